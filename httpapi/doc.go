// Package httpapi serves the sfcas REST API over net/http: the Shaken
// Fist-compatible surface (so the existing Python client works unchanged)
// and the reworked /v1 surface.
//
// # Wire rules of the compatible surface
//
// Success is HTTP 200 with a JSON body ("null" when there is nothing to
// return). Parameters may come as a JSON body on any method, GET and DELETE
// included; unknown keys are a 400. Errors are JSON documents carrying the
// Shaken Fist "error" and "status" fields, the RFC 9457 problem fields and a
// stable "code".
//
// # Errors
//
// Every handler returns an error; statusFor in errors.go is the one place
// that maps errors to statuses and codes. Internal errors are logged and
// answered with a generic message: no Go error text from inside the store
// reaches a client as a 500.
//
// # Authentication
//
// POST /auth exchanges a namespace key for a short-lived HS256 token whose
// claims name the key and its generation; replacing or deleting the key
// revokes the token. Every other route except GET /, /livez and /readyz
// needs a token.
package httpapi
