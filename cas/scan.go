package cas

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Leftover is a file in tmp/ or uploads/ as fsck sees it.
type Leftover struct {
	Path     string
	Name     string
	Size     int64
	Modified time.Time
	// Spool is true for uploads/ files; ID is the session a spool's name
	// parses to (IDOK false when it does not).
	Spool bool
	ID    UUID
	IDOK  bool
}

// Leftovers lists the files in tmp/ and uploads/: anonymous ingest temp
// files and upload spools. Whether one is stray is for the caller (the
// catalog) to decide.
func (s *Store) Leftovers() ([]Leftover, error) {
	var out []Leftover
	for _, dir := range []struct {
		path  string
		spool bool
	}{{tempDir(s.root), false}, {spoolDir(s.root), true}} {
		entries, err := os.ReadDir(dir.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", dir.path, err)
		}
		for _, e := range entries {
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile (a commit, a delete)
			}
			if err != nil {
				return nil, err
			}
			l := Leftover{Path: filepath.Join(dir.path, e.Name()), Name: e.Name(), Size: fi.Size(),
				Modified: fi.ModTime(), Spool: dir.spool}
			if dir.spool {
				l.ID, err = ParseUUID(e.Name())
				l.IDOK = err == nil
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// RemoveLeftover deletes a file Leftovers listed. It refuses any path
// outside tmp/ and uploads/.
func (s *Store) RemoveLeftover(l Leftover) error {
	dir := tempDir(s.root)
	if l.Spool {
		dir = spoolDir(s.root)
	}
	if filepath.Base(l.Name) != l.Name || l.Name == "." || l.Name == ".." || l.Path != filepath.Join(dir, l.Name) {
		return fmt.Errorf("remove leftover %q: not a file of %s", l.Path, dir)
	}
	if err := os.RemoveAll(l.Path); err != nil {
		return fmt.Errorf("remove leftover: %w", err)
	}
	return nil
}

// RemoveStray deletes a file in the digest tree whose name is not a digest
// path (Walk reports it with ok false). It refuses anything else.
func (s *Store) RemoveStray(path string) error {
	rel, err := filepath.Rel(blobDir(s.root), path)
	if err != nil || rel == "." || filepath.IsAbs(rel) || rel == ".." || len(rel) > 2 && rel[:3] == "../" {
		return fmt.Errorf("remove stray %q: not in the digest tree", path)
	}
	if d, err := ParseDigest(filepath.Base(path)); err == nil && blobPath(s.root, d) == path {
		return fmt.Errorf("remove stray %q: a digest path; use Remove", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stray: %w", err)
	}
	return nil
}
