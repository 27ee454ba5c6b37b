package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the CLI with args and returns what it printed to stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, r)
		done <- b.String()
	}()
	err = newApp().Run(append([]string{"lenetcl"}, args...))
	os.Stdout = stdout
	w.Close()
	return <-done, err
}

func TestInfo(t *testing.T) {
	out, err := run(t, "info")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"C1", "6@28x28", "122,304", "C3", "1,516", "151,600", "48,120", "10,164", "60,000", "340,908", "15: [0 1 2 3 4 5]"} {
		if !strings.Contains(out, want) {
			t.Errorf("info output lacks %q:\n%s", want, out)
		}
	}
}

// TestTrainEvalPredict trains briefly on a subset, then evaluates, predicts
// and describes the model; a damaged copy of the file is refused by name.
func TestTrainEvalPredict(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real MNIST")
	}
	model := filepath.Join(t.TempDir(), "m.model")
	out, err := run(t, "train", "--backend", "cpu", "--limit", "1000", "--epochs", "1", "--out", model)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "epoch  1/1") || !strings.Contains(out, "test error") {
		t.Errorf("train printed no epoch line:\n%s", out)
	}
	out, err = run(t, "eval", "--backend", "cpu", "--limit", "1000", "-m", model)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "test error") || !strings.Contains(out, "confusion matrix") {
		t.Errorf("eval output:\n%s", out)
	}
	out, err = run(t, "predict", "--backend", "cpu", "-m", model, "-i", "0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "test image 0 (label 7)") {
		t.Errorf("predict output:\n%s", out)
	}
	if out, err = run(t, "info", "-m", model); err != nil || !strings.Contains(out, "lenet5-1998") {
		t.Errorf("info -m: %v\n%s", err, out)
	}
	data, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.model")
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "eval", "--backend", "cpu", "-m", bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("eval of a damaged model: %v, want an error naming %s", err, bad)
	}
}

func TestBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"train", "--batch", "0"}, "batch 0"},
		{[]string{"train", "--mu", "0"}, "mu 0"},
		{[]string{"train", "--optimizer", "adam"}, "adam"},
		{[]string{"train", "--loss", "hinge"}, "hinge"},
		{[]string{"train", "--backend", "tpu"}, "tpu"},
		{[]string{"train", "--out", "/nonexistent/m.model"}, "/nonexistent"},
		{[]string{"bench", "--batch", "0"}, "batch 0"},
		{[]string{"predict", "-m", "/nonexistent/model", "-i", "0"}, "/nonexistent/model"},
	} {
		if _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.args, err, c.want)
		}
	}
}

// TestMain lets a test run the real main in a child process, to see its
// exit status and output under a different environment.
func TestMain(m *testing.M) {
	if args := os.Getenv("LENETCL_TEST_ARGS"); args != "" {
		os.Args = append([]string{"lenetcl"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// lenetcl runs main in a child process with extra environment variables.
func lenetcl(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env...), "LENETCL_TEST_ARGS="+strings.Join(args, " "))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestFallback: without the OpenCL library, auto trains on the CPU backend
// and says why; --backend opencl fails clearly with a non-zero status.
func TestFallback(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real MNIST")
	}
	noCL := []string{"LENETCL_OPENCL_LIBRARY=/nonexistent/libOpenCL.so.1"}
	model := filepath.Join(t.TempDir(), "m.model")
	out, errs, code := lenetcl(t, noCL, "train", "--limit", "300", "--epochs", "1", "--out", model)
	if code != 0 || !strings.Contains(errs, "backend: cpu") || !strings.Contains(errs, "OpenCL is unavailable") || !strings.Contains(out, "epoch  1/1") {
		t.Errorf("auto without OpenCL: status %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	_, errs, code = lenetcl(t, noCL, "train", "--backend", "opencl", "--limit", "300", "--epochs", "1", "--out", model)
	if code == 0 || !strings.Contains(errs, "--backend opencl") || !strings.Contains(errs, "/nonexistent/libOpenCL.so.1") {
		t.Errorf("--backend opencl without OpenCL: status %d, stderr:\n%s", code, errs)
	}
	_, errs, code = lenetcl(t, noCL, "devices")
	if code == 0 || !strings.Contains(errs, "CPU backend") {
		t.Errorf("devices without OpenCL: status %d, stderr:\n%s", code, errs)
	}
}

// TestOpenCL trains briefly on the OpenCL backend where there is one
// (required where LENETCL_REQUIRE_OPENCL=1).
func TestOpenCL(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real MNIST")
	}
	out, errs, code := lenetcl(t, nil, "devices")
	if code != 0 {
		if os.Getenv("LENETCL_REQUIRE_OPENCL") == "1" {
			t.Fatalf("no OpenCL device: %s", errs)
		}
		t.Skipf("no OpenCL device: %s", errs)
	}
	if !strings.Contains(out, "0: ") {
		t.Errorf("devices lists nothing:\n%s", out)
	}
	model := filepath.Join(t.TempDir(), "m.model")
	out, errs, code = lenetcl(t, nil, "train", "--backend", "opencl", "--limit", "1000", "--epochs", "1", "--out", model)
	if code != 0 || !strings.Contains(errs, "backend: opencl") || !strings.Contains(out, "epoch  1/1") {
		t.Fatalf("train --backend opencl: status %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// The model file is the same format whichever backend trained it.
	out, errs, code = lenetcl(t, nil, "eval", "--backend", "cpu", "--limit", "1000", "-m", model)
	if code != 0 || !strings.Contains(out, "confusion matrix") {
		t.Errorf("eval --backend cpu of an OpenCL-trained model: status %d\n%s%s", code, out, errs)
	}
}
