package httpapi

import (
	"html"
	"net/http"
	"strings"
)

// capabilities are the tokens GET / advertises, by family. The Shaken Fist
// client checks a token by searching the page for it, so only routes that
// exist here are listed.
var capabilities = []struct {
	family string
	tokens []string
}{
	{"artifacts", []string{"artifact-metadata", "artifact-upload-types"}},
	{"blobs", []string{"blob-metadata", "blob-search-by-hash", "blob-data-limit", "blob-events",
		"blob-hash-sha256", "blob-checksums", "blob-single-checksum"}},
	{"events", []string{"events-by-type"}},
	{"sfcas", []string{"sfcas-v1", "label-namespaced", "blob-search-by-blake3"}},
}

// handleRoot is GET /: the capability page (HTML, as the Shaken Fist client
// reads it), or JSON when the client asks for it.
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) error {
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		caps := map[string][]string{}
		for _, c := range capabilities {
			caps[c.family] = c.tokens
		}
		writeJSON(w, map[string]any{"service": "sfcas", "version": s.version, "capabilities": caps})
		return nil
	}
	var b strings.Builder
	b.WriteString("<html><head><title>sfcas: Shaken Fist-compatible storage API</title></head><body>")
	b.WriteString("<h1>sfcas storage API</h1><p>Version " + html.EscapeString(s.version) + ".</p>")
	b.WriteString("<p>Machine searchable API capabilities:</p><ul>\n")
	for _, c := range capabilities {
		b.WriteString("<li>" + c.family + ": " + strings.Join(c.tokens, ", ") + "</li>\n")
	}
	b.WriteString("</ul></body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write([]byte(b.String()))
	return err
}

func (s *Server) handleLivez(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	if !s.ready() {
		return errorf(http.StatusServiceUnavailable, codeUnavailable, "not ready")
	}
	writeJSON(w, map[string]string{"status": "ready"})
	return nil
}
