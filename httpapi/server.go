package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sfcas/sfcas/catalog"
)

// Options configure a Server.
type Options struct {
	// DB is the catalog (and, through it, the blob store). Required.
	DB *catalog.DB
	// Logger receives one line per request and every internal error.
	Logger *slog.Logger
	// TokenTTL is the lifetime of tokens from POST /auth; default 15 minutes.
	TokenTTL time.Duration
	// MaxChunk bounds one upload chunk (POST /upload/{uuid}); default 64 MiB.
	MaxChunk int64
	// Version is reported by GET / and /v1/version.
	Version string
	// Fetch configures downloads from URLs.
	Fetch FetchOptions
	// SnapshotDirs are the node-local directories POST /v1/snapshots may
	// read disk files from (system only). None: files are refused.
	SnapshotDirs []string
	// Observe, if set, is called once per request after it is served
	// (metrics). It must not block.
	Observe func(RequestInfo)
}

// RequestInfo describes one served request.
type RequestInfo struct {
	Method    string
	Route     string // the route pattern, e.g. "GET /blobs/{uuid}/data"
	Status    int
	BytesIn   int64 // request body bytes read
	BytesOut  int64 // response body bytes written
	Duration  time.Duration
	Namespace string // the caller's namespace, if authenticated
}

// Server serves the Shaken Fist-compatible API. Create it with New; it is
// safe for concurrent use.
type Server struct {
	db       *catalog.DB
	log      *slog.Logger
	tokenTTL time.Duration
	maxChunk int64
	version  string
	fetch    *fetcher
	mux      *http.ServeMux

	// bg tracks background fetches so Close can cancel and wait for them.
	bg     sync.WaitGroup
	bgCtx  context.Context
	cancel context.CancelFunc

	ready   func() bool
	observe func(RequestInfo)

	snapshotDirs []string
	v1Patterns   []string // every /v1 route, as registered
	openapi      []byte   // the /openapi.json document
}

// New returns a Server for o.
func New(o Options) *Server {
	s := &Server{db: o.DB, log: o.Logger, tokenTTL: o.TokenTTL, maxChunk: o.MaxChunk, version: o.Version,
		snapshotDirs: o.SnapshotDirs, observe: o.Observe}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = 15 * time.Minute
	}
	if s.maxChunk <= 0 {
		s.maxChunk = 64 << 20
	}
	s.fetch = newFetcher(o.Fetch)
	s.bgCtx, s.cancel = context.WithCancel(context.Background())
	s.ready = func() bool { return true }
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// SetReady installs the readiness check behind /readyz (default: always
// ready). The daemon reports not ready while starting and while draining.
func (s *Server) SetReady(f func() bool) { s.ready = f }

// Close cancels background work (URL fetches) and waits for it.
func (s *Server) Close() {
	s.cancel()
	s.bg.Wait()
}

// Handler returns the HTTP handler with request IDs, logging and panic
// recovery around every route.
func (s *Server) Handler() http.Handler { return s.middleware(s.guardV1(s.mux)) }

// handlerFunc is a route that may fail; errors are written by the wrapper.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c catalog.Caller) error

// compat wraps a Shaken Fist-compatible route: authenticated, errors as
// {"error", "status", ...} JSON.
func (s *Server) compat(h handlerFunc) http.Handler { return s.wrap(h, true, false) }

// public wraps a route that needs no token.
func (s *Server) public(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request, _ catalog.Caller) error { return h(w, r) }, false, false)
}

func (s *Server) wrap(h handlerFunc, auth, problem bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c catalog.Caller
		if auth {
			var err error
			if c, err = s.authenticate(r); err != nil {
				writeError(w, r, s.log, err, problem)
				return
			}
			setLogNamespace(r, c.Namespace)
		}
		if err := h(w, r, c); err != nil {
			writeError(w, r, s.log, err, problem)
		}
	})
}

// newRequestID returns 16 random hex characters.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID accepts a client's X-Request-ID if it is short and plain.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) < 0
}
