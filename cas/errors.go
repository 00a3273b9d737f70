package cas

import "errors"

var (
	// ErrNotFound is returned when no blob file exists at a digest's path.
	ErrNotFound = errors.New("blob not found")
	// ErrDigestMismatch is returned when bytes do not hash to the digest that
	// names them or that the caller expected.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrSizeMismatch is returned when a blob's length differs from the
	// expected length.
	ErrSizeMismatch = errors.New("size mismatch")
	// ErrInvalidDigest is returned by the digest parsers for malformed input.
	ErrInvalidDigest = errors.New("invalid digest")
	// ErrPinned is returned by Store.Remove when a blob is pinned.
	ErrPinned = errors.New("blob is pinned")
	// ErrClosed is returned by a Writer used after Commit or Abort.
	ErrClosed = errors.New("writer closed")
	// ErrExists is returned by Store.CreateSpool when the spool already exists.
	ErrExists = errors.New("already exists")
	// ErrNoSpace is returned when a write would cross the store's free-space
	// floor or the filesystem is full.
	ErrNoSpace = errors.New("insufficient storage")
)
