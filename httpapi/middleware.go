package httpapi

import (
	"context"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
)

// logInfo collects what the request log line reports; handlers fill in the
// namespace once the caller is known.
type logInfo struct{ namespace string }

type logKey struct{}

func setLogNamespace(r *http.Request, ns string) {
	if li, ok := r.Context().Value(logKey{}).(*logInfo); ok {
		li.namespace = ns
	}
}

// statusWriter records the status and bytes of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (sendfile,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware adds a request ID, cleans doubled slashes without redirecting
// (a redirect would turn the client's POST into a GET), recovers panics as
// 500s and logs one line per request. Tokens and bodies are never logged.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		if strings.Contains(r.URL.Path, "//") {
			r.URL.Path = path.Clean(r.URL.Path)
			r.URL.RawPath = ""
		}
		li := &logInfo{}
		r = r.WithContext(context.WithValue(r.Context(), logKey{}, li))
		sw := &statusWriter{ResponseWriter: w}
		body := &countingReader{r: r.Body}
		r.Body = body
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", "path", r.URL.Path, "panic", p, "request_id", id)
				if sw.status == 0 {
					writeError(sw, r, s.log, errorf(http.StatusInternalServerError, codeInternal, "internal error"), false)
				}
			}
			if sw.status == 0 {
				sw.status = http.StatusOK // nothing written: net/http sends 200
			}
			pattern := r.Pattern
			if pattern == "" {
				pattern = "unmatched"
			}
			took := time.Since(start)
			s.log.Info("request", "method", r.Method, "route", pattern, "status", sw.status,
				"bytes_in", body.n, "bytes", sw.bytes, "duration_ms", float64(took.Microseconds())/1000,
				"namespace", li.namespace, "request_id", id)
			if s.observe != nil {
				s.observe(RequestInfo{Method: r.Method, Route: pattern, Status: sw.status, BytesIn: body.n,
					BytesOut: sw.bytes, Duration: took, Namespace: li.namespace})
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// ReadFrom keeps the connection's sendfile path for blob downloads.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.bytes += n
	return n, err
}

// countingReader counts request body bytes.
type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }
