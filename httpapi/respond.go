package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// writeJSON writes v as a 200 JSON response ("null" for a nil v, as the
// Shaken Fist client expects).
func writeJSON(w http.ResponseWriter, v any) {
	writeJSONStatus(w, http.StatusOK, "application/json", v)
}

func writeJSONStatus(w http.ResponseWriter, status int, ctype string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error","status":500,"code":"internal"}`)
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError maps err (statusFor) and writes the error document; problem
// selects the application/problem+json media type of the /v1 surface.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, problem bool) {
	status, code := statusFor(err)
	msg := publicMessage(err, status)
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	body := api.Problem{
		Type: "https://sfcas.dev/errors/" + code, Title: http.StatusText(status), Status: status,
		Detail: msg, Code: code, Error: msg, Candidates: candidates(err),
		RequestID: w.Header().Get("X-Request-ID"),
	}
	var oe *catalog.OffsetError
	if errors.As(err, &oe) {
		body.Offset = &oe.Have
		w.Header().Set(headerUploadOffset, strconv.FormatInt(oe.Have, 10))
	}
	ctype := "application/json"
	if problem {
		ctype = "application/problem+json"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sfcas"`)
	}
	writeJSONStatus(w, status, ctype, body)
}

// candidates lists the explicit references of an ambiguity error.
func candidates(err error) []string {
	var amb *catalog.AmbiguousError
	if errors.As(err, &amb) {
		return amb.Candidates
	}
	return nil
}
