package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// IntegrityOptions configure the maintenance routes (POST /v1/fsck, /v1/gc,
// /v1/scrub; capacity: GET /v1/namespaces/{ns}/usage, PUT
// /v1/namespaces/{ns}/quota). The zero value is usable.
type IntegrityOptions struct {
	// GCGrace is how long an unreferenced blob is kept; zero means
	// catalog.DefaultGCGrace.
	GCGrace time.Duration
	// ScrubWait paces scrub reads (a rate limiter's WaitN); nil is full speed.
	ScrubWait func(ctx context.Context, n int) error
	// LeftoverAge is how old a file in tmp/ or uploads/ must be before an
	// online fsck calls it stray; zero means an hour.
	LeftoverAge time.Duration
}

func systemOnly(c catalog.Caller, what string) error {
	if !c.IsSystem() {
		return fmt.Errorf("%s: only %s may: %w", what, catalog.SystemNamespace, catalog.ErrForbidden)
	}
	return nil
}

// fsckV1 is POST /v1/fsck {"repair": bool}: the catalog and store checked
// (and repaired) while the daemon runs. The answer is the report, 200 even
// when it lists problems.
func (s *Server) fsckV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if err := systemOnly(c, "fsck"); err != nil {
		return err
	}
	var body api.FsckRequest
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	age := s.integrity.LeftoverAge
	if age <= 0 {
		age = time.Hour
	}
	rep, err := s.db.Fsck(r.Context(), catalog.FsckOptions{Repair: body.Repair, LeftoverAge: age})
	if err != nil {
		return err
	}
	writeJSON(w, rep)
	return nil
}

// gcV1 is POST /v1/gc {"dry_run": bool}.
func (s *Server) gcV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if err := systemOnly(c, "gc"); err != nil {
		return err
	}
	var body api.GCRequest
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	rep, err := s.db.GC(r.Context(), catalog.GCOptions{Grace: s.integrity.GCGrace, DryRun: body.DryRun})
	if err != nil {
		return err
	}
	writeJSON(w, rep)
	return nil
}

// scrubV1 is POST /v1/scrub {"limit": n, "restart": bool}: re-hash up to
// limit blobs (0: to the end of the pass) from the checkpoint.
func (s *Server) scrubV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if err := systemOnly(c, "scrub"); err != nil {
		return err
	}
	var body api.ScrubRequest
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Limit < 0 {
		return badRequest("limit cannot be negative")
	}
	rep, err := s.db.Scrub(r.Context(), catalog.ScrubOptions{Limit: int(min(body.Limit, 1<<30)),
		Restart: body.Restart, Wait: s.integrity.ScrubWait})
	if err != nil {
		return err
	}
	writeJSON(w, rep)
	return nil
}

// usageV1 is GET /v1/namespaces/{ns}/usage: bytes held, reserved, quota.
func (s *Server) usageV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	u, err := s.db.NamespaceUsage(r.Context(), c, r.PathValue("ns"))
	if err != nil {
		return err
	}
	writeJSON(w, u)
	return nil
}

// setQuotaV1 is PUT /v1/namespaces/{ns}/quota {"bytes": n} (system only; 0
// removes the quota).
func (s *Server) setQuotaV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body api.QuotaRequest
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Bytes == nil {
		return badRequest("missing bytes")
	}
	u, err := s.db.SetQuota(r.Context(), c, r.PathValue("ns"), *body.Bytes)
	if err != nil {
		return err
	}
	writeJSON(w, u)
	return nil
}
