package catalog

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned when an object does not exist or the caller may
	// not see it (the two are not distinguished, so existence does not leak).
	ErrNotFound = errors.New("not found")
	// ErrExists is returned when creating an object whose name is taken.
	ErrExists = errors.New("already exists")
	// ErrForbidden is returned when the caller may see an object but not
	// change it, or may not perform an administrative operation.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid is returned for malformed names, arguments and references.
	ErrInvalid = errors.New("invalid argument")
	// ErrConflict is returned when the request conflicts with the object's
	// current state (deleting a namespace that still owns artifacts, moving an
	// upload past its end).
	ErrConflict = errors.New("conflict")
	// ErrUnauthenticated is returned for a wrong key or an unusable token.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrDegraded is returned when an artifact's blob is quarantined, missing
	// or damaged: its bytes must not be served.
	ErrDegraded = errors.New("blob degraded")
	// ErrLocked is returned by Open when another process holds the catalog.
	ErrLocked = errors.New("catalog is in use by another process")
	// ErrUnsafeImage is returned when a qcow2 image names a backing file or an
	// external data file and the publish did not allow it.
	ErrUnsafeImage = errors.New("unsafe image")
)

// invalidf returns an ErrInvalid error with a message.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}
