package main

import (
	"errors"
	"net/http"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/client"
)

// Exit codes, listed in the README.
const (
	exitOK          = 0
	exitFailure     = 1 // anything not listed below
	exitUsage       = 2 // bad flags or arguments
	exitNotFound    = 3
	exitConflict    = 4 // conflict, already exists, ambiguous reference
	exitDenied      = 5 // unauthenticated or forbidden
	exitNoSpace     = 6 // insufficient storage
	exitUnavailable = 7 // daemon unreachable or not ready; degraded data; catalog locked
	exitInvalid     = 8 // invalid input, digest mismatch, unsafe image
)

// exitCode is the one mapping from errors to exit codes.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		switch {
		case ce.Status == 0 || ce.Status == http.StatusServiceUnavailable:
			return exitUnavailable
		case ce.Status == http.StatusNotFound:
			return exitNotFound
		case ce.Status == http.StatusConflict:
			return exitConflict
		case ce.Status == http.StatusUnauthorized || ce.Status == http.StatusForbidden:
			return exitDenied
		case ce.Status == http.StatusInsufficientStorage:
			return exitNoSpace
		case ce.Status == http.StatusBadRequest || ce.Status == http.StatusRequestEntityTooLarge:
			return exitInvalid
		}
		return exitFailure
	}
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return exitNotFound
	case errors.Is(err, catalog.ErrConflict), errors.Is(err, catalog.ErrExists), errors.Is(err, catalog.ErrAmbiguous):
		return exitConflict
	case errors.Is(err, catalog.ErrForbidden), errors.Is(err, catalog.ErrUnauthenticated):
		return exitDenied
	case errors.Is(err, catalog.ErrLocked), errors.Is(err, catalog.ErrDegraded):
		return exitUnavailable
	case errors.Is(err, catalog.ErrInvalid):
		return exitInvalid
	}
	return exitFailure
}
