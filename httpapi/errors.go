package httpapi

import (
	"errors"
	"net/http"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// Stable error codes, shared by both surfaces (the "code" field).
const (
	codeNotFound      = "not_found"
	codeAmbiguous     = "ambiguous_reference"
	codeConflict      = "conflict"
	codeExists        = "already_exists"
	codeInvalid       = "invalid_argument"
	codeUnsafeImage   = "unsafe_image"
	codeTooLarge      = "too_large"
	codeNoSpace       = "insufficient_storage"
	codeDigest        = "digest_mismatch"
	codeDegraded      = "degraded"
	codeUnauthorized  = "unauthorized"
	codeForbidden     = "forbidden"
	codeBadURL        = "bad_url"
	codeUnreachable   = "unreachable"
	codeOriginError   = "origin_error"
	codeRedirects     = "too_many_redirects"
	codeDownload      = "download_failed"
	codeBusy          = "busy"
	codeUnavailable   = "unavailable"
	codeInternal      = "internal"
	codeMethod        = "method_not_allowed"
	codeRangeNotValid = "range_not_satisfiable"
)

// apiError is an error with an HTTP status and code chosen at the edge, for
// failures that arise in this package (bad JSON, bad headers, downloads).
type apiError struct {
	status int
	code   string
	msg    string
	err    error // optional cause, never shown to clients
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

func errorf(status int, code, msg string) error {
	return &apiError{status: status, code: code, msg: msg}
}

func badRequest(msg string) error { return errorf(http.StatusBadRequest, codeInvalid, msg) }

// statusFor is the one mapping from errors to HTTP statuses and codes. Errors
// it does not know are 500 "internal", and their text is not shown.
func statusFor(err error) (int, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.code
	case errors.Is(err, catalog.ErrAmbiguous):
		return http.StatusConflict, codeAmbiguous
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, cas.ErrNotFound):
		return http.StatusNotFound, codeNotFound
	case errors.Is(err, catalog.ErrExists):
		return http.StatusConflict, codeExists
	case errors.Is(err, catalog.ErrConflict):
		return http.StatusConflict, codeConflict
	case errors.Is(err, catalog.ErrUnsafeImage):
		return http.StatusBadRequest, codeUnsafeImage
	case errors.Is(err, catalog.ErrInvalid), errors.Is(err, cas.ErrInvalidDigest):
		return http.StatusBadRequest, codeInvalid
	case errors.Is(err, catalog.ErrForbidden):
		return http.StatusForbidden, codeForbidden
	case errors.Is(err, catalog.ErrUnauthenticated):
		return http.StatusUnauthorized, codeUnauthorized
	case errors.Is(err, cas.ErrNoSpace):
		return http.StatusInsufficientStorage, codeNoSpace
	case errors.Is(err, cas.ErrDigestMismatch), errors.Is(err, cas.ErrSizeMismatch):
		return http.StatusBadRequest, codeDigest
	case errors.Is(err, catalog.ErrDegraded):
		return http.StatusServiceUnavailable, codeDegraded
	case errors.Is(err, catalog.ErrLocked):
		return http.StatusServiceUnavailable, codeUnavailable
	}
	return http.StatusInternalServerError, codeInternal
}

// publicMessage is the text a client sees: our own messages as they are,
// internal failures as a generic sentence (details go to the log).
func publicMessage(err error, status int) string {
	if status == http.StatusInternalServerError {
		return "internal error; the server log has the details"
	}
	return err.Error()
}
