package modelfile_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lenetcl/lenetcl/modelfile"
)

// noTemps fails the test if dir holds leftover temporary files from Save.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	tmps, err := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tmps) > 0 {
		t.Errorf("temporary files left behind: %v", tmps)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.lenet")
	for _, n := range []int{100, 7} { // the second Save replaces the first
		m := testModel(n)
		if err := modelfile.Save(path, m); err != nil {
			t.Fatalf("Save: %v", err)
		}
		got, err := modelfile.Load(path)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		sameModel(t, got, m)
		noTemps(t, dir)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o644 {
		t.Errorf("mode = %v, want 0644", perm)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := encode(t, testModel(7)); !bytes.Equal(raw, want) {
		t.Error("saved bytes differ from Encode's")
	}
}

func TestSaveRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := modelfile.Save("m.lenet", testModel(3)); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if _, err := modelfile.Load("m.lenet"); err != nil {
		t.Fatalf("Load: %v", err)
	}
	noTemps(t, ".")
}

// TestSaveFailureKeepsOld checks that a failed Save leaves the file at path
// as it was and no temporary files behind. Permission-based failures are not
// tested because root bypasses them.
func TestSaveFailureKeepsOld(t *testing.T) {
	nan := testModel(5)
	nan.Params[3] = float32(math.NaN())
	tests := []struct {
		name  string
		setup func(t *testing.T, path string) // creates what is at path
		m     *modelfile.Model
		msg   string
	}{
		{"invalid model over file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("old model"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, nan, "parameter 3 is NaN"},
		// Rename fails after the temporary file is written and synced.
		{"valid model over directory", func(t *testing.T, path string) {
			if err := os.MkdirAll(filepath.Join(path, "child"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, testModel(5), "rename"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "m.lenet")
			tt.setup(t, path)
			before := snapshot(t, path)

			err := modelfile.Save(path, tt.m)
			if err == nil {
				t.Fatal("Save succeeded, want error")
			}
			if want := "modelfile: " + path + ": "; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Save error %q, want prefix %q and %q", err, want, tt.msg)
			}
			if after := snapshot(t, path); after != before {
				t.Errorf("path changed: before %q, after %q", before, after)
			}
			noTemps(t, dir)
		})
	}
}

// snapshot describes what is at path: a file's contents or a directory's
// entries.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return "dir: " + strings.Join(names, ",")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return "file: " + string(b)
}

func TestSaveMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "m.lenet")
	if err := modelfile.Save(path, testModel(3)); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Save = %v, want a not-exist error", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := encode(t, testModel(100))
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	huge := filepath.Join(dir, "huge")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size is what matters, and Load must not read it.
	if err := f.Truncate(modelfile.MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	tests := []struct {
		name string
		path string
		want error
		msg  string
	}{
		{"missing", filepath.Join(dir, "absent"), os.ErrNotExist, "no such file"},
		{"truncated", write("short", good[:len(good)-1]), modelfile.ErrTruncated, "truncated: 100 parameters need"},
		{"text", write("text", []byte(strings.Repeat("hello, world\n", 10))), modelfile.ErrNotModel, "not a lenetcl model file"},
		{"corrupt", write("flipped", func() []byte {
			b := bytes.Clone(good)
			b[len(b)/2] ^= 0x10
			return b
		}()), modelfile.ErrChecksum, "checksum mismatch"},
		{"too large", huge, modelfile.ErrTooLarge, "too large: file is 67108865 bytes, limit is 67108864"},
		{"directory", dir, nil, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := modelfile.Load(tt.path)
			if err == nil {
				t.Fatal("Load succeeded, want error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Load error %q is not %q", err, tt.want)
			}
			if want := "modelfile: " + tt.path + ": "; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Load error %q, want prefix %q and %q", err, want, tt.msg)
			}
		})
	}
}
