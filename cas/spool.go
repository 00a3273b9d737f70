package cas

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// CreateSpool returns a Writer on a new persistent spool file for upload
// session id. ErrExists if it already exists.
func (s *Store) CreateSpool(id UUID) (*Writer, error) {
	f, err := os.OpenFile(spoolPath(s.root, id), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("spool %s: %w", id, ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("create spool %s: %w", id, mapNoSpace(err))
	}
	return s.newWriter(f, true, 0), nil
}

// OpenSpool reopens upload session id's spool. If size is non-negative the
// file is first cut to size bytes (bytes beyond what the catalog
// acknowledged are dropped); a file shorter than size is an error wrapping
// ErrSizeMismatch. The bytes already there are hashed at Commit.
func (s *Store) OpenSpool(id UUID, size int64) (*Writer, error) {
	f, err := os.OpenFile(spoolPath(s.root, id), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("spool %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool %s: %w", id, err)
	}
	have := fi.Size()
	if size >= 0 {
		if have < size {
			f.Close()
			return nil, fmt.Errorf("spool %s holds %d of %d acknowledged bytes: %w", id, have, size, ErrSizeMismatch)
		}
		if have > size {
			if err := f.Truncate(size); err != nil {
				f.Close()
				return nil, fmt.Errorf("spool %s: %w", id, err)
			}
			have = size
		}
	}
	return s.newWriter(f, true, have), nil
}

// SpoolSize returns the length of upload session id's spool file.
func (s *Store) SpoolSize(id UUID) (int64, error) {
	fi, err := os.Stat(spoolPath(s.root, id))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("spool %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// RemoveSpool deletes upload session id's spool file; a missing one is fine.
func (s *Store) RemoveSpool(id UUID) error {
	if err := os.Remove(spoolPath(s.root, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove spool %s: %w", id, err)
	}
	return nil
}
