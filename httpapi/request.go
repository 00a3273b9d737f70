package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfcas/sfcas/cas"
)

// maxJSONBody bounds JSON request bodies.
const maxJSONBody = 1 << 20

// decodeBody decodes an optional JSON object body into v. Any method may
// carry one (the Shaken Fist client sends parameters of GET and DELETE in
// bodies); an empty body leaves v as it is. Unknown keys, trailing data,
// non-objects and oversized bodies are 4xx errors.
func decodeBody(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxJSONBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errorf(http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("request body is larger than %d bytes", maxJSONBody))
	}
	if err != nil {
		return badRequest("the request body could not be read to its end")
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	if data[0] != '{' {
		return badRequest("the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest(jsonProblem(err))
	}
	if dec.More() {
		return badRequest("the request body has data after the JSON object")
	}
	return nil
}

// jsonProblem turns a decoder error into a message about the request.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("key %q must be a JSON %s", typ.Field, typ.Type.Kind())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown key " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends early"
	}
	return "malformed JSON body"
}

// flexInt accepts a JSON number, a decimal string (the Shaken Fist CLI sends
// limits as strings) or null.
type flexInt struct {
	set bool
	v   int64
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %w", err)
	}
	f.set, f.v = true, v
	return nil
}

// queryInt reads a non-negative integer query parameter; missing is 0.
func queryInt(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("%s must be an integer", name))
	}
	if v < 0 {
		return 0, badRequest(fmt.Sprintf("%s cannot be negative", name))
	}
	return v, nil
}

// pathUUID parses a UUID path parameter.
func pathUUID(r *http.Request, name string) (cas.UUID, error) {
	u, err := cas.ParseUUID(r.PathValue(name))
	if err != nil {
		return cas.UUID{}, badRequest(fmt.Sprintf("%s %q is not a UUID", name, clip(r.PathValue(name))))
	}
	return u, nil
}

// clip shortens untrusted text before it is echoed.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
