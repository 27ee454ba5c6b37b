package modelfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Save writes m to the file at path atomically: readers see either the old
// file or the complete new one, never a partial write. It writes a temporary
// file in the same directory, syncs it to disk and renames it over path. On
// failure the temporary file is removed and any existing file at path is
// left untouched. The new file has mode 0644.
func Save(path string, m *Model) error {
	if err := save(path, m); err != nil {
		return fmt.Errorf("modelfile: %s: %w", path, err)
	}
	return nil
}

func save(path string, m *Model) (err error) {
	// Validate before touching the file system.
	b, err := marshal(m)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // may already be closed; the first error matters
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. It is best effort: the rename has
// already happened, and some systems cannot sync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// Load reads and decodes the model file at path. Errors name the file.
// Files larger than MaxFileSize are refused without being read.
func Load(path string) (*Model, error) {
	m, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("modelfile: %s: %w", path, err)
	}
	return m, nil
}

func load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%w: file is %d bytes, limit is %d", ErrTooLarge, fi.Size(), MaxFileSize)
	}
	// The limit also guards files that grow after Stat, or report no size.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: file exceeds limit of %d bytes", ErrTooLarge, MaxFileSize)
	}
	return unmarshal(data)
}
