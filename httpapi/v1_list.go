package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// listQuery reads the filters and paging of a list route. Parameters the
// route does not take are a 400, so a misspelt filter never silently
// selects everything.
func listQuery(r *http.Request, allowed ...string) (catalog.ListOptions, error) {
	var o catalog.ListOptions
	q := r.URL.Query()
	for k, vs := range q {
		if !contains(allowed, k) {
			return o, badRequest(fmt.Sprintf("unknown query parameter %q (this route takes %s)", clip(k), strings.Join(allowed, ", ")))
		}
		if len(vs) > 1 {
			return o, badRequest(fmt.Sprintf("query parameter %q is given %d times", clip(k), len(vs)))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > catalog.MaxPage {
			return o, badRequest(fmt.Sprintf("limit must be an integer from 1 to %d", catalog.MaxPage))
		}
		o.Limit = n
	}
	o.Cursor = q.Get("cursor")
	if ns := q.Get("namespace"); ns != "" {
		if err := catalog.ValidateIdent("namespace", ns); err != nil {
			return o, err
		}
		o.Namespace = ns
	}
	if t := q.Get("type"); t != "" {
		typ, err := catalog.ParseArtifactType(t)
		if err != nil {
			return o, err
		}
		o.Type = typ
	}
	if p := q.Get("prefix"); p != "" {
		if len(p) > catalog.MaxNameLen || strings.ContainsAny(p, "/\x00") || strings.IndexFunc(p, unicode.IsControl) >= 0 {
			return o, badRequest("prefix must be the start of a name: no '/', no control characters, at most 255 bytes")
		}
		o.NamePrefix = p
	}
	switch st := catalog.ArtifactState(q.Get("state")); st {
	case "", catalog.StateInitial, catalog.StateCreated, catalog.StateError:
		o.State = st
	default:
		return o, badRequest("state must be initial, created or error")
	}
	if m := q.Get("metadata"); m != "" {
		if len(m) > catalog.MaxMetadataKeyLen {
			return o, badRequest(fmt.Sprintf("metadata key is longer than %d bytes", catalog.MaxMetadataKeyLen))
		}
		o.MetadataKey = m
	}
	if in := q.Get("instance"); in != "" {
		if err := catalog.ValidateInstance(in); err != nil {
			return o, err
		}
		o.Instance = in
	}
	if set := q.Get("set"); set != "" {
		u, err := cas.ParseUUID(set)
		if err != nil {
			return o, badRequest("set must be a snapshot-set ID (a UUID)")
		}
		o.SetID = u
	}
	return o, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// writePage lists one page as c and writes it.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, c catalog.Caller, o catalog.ListOptions) error {
	page, err := s.db.ListArtifacts(r.Context(), c, o)
	if err != nil {
		return err
	}
	out := api.ArtifactPage{Items: make([]api.Artifact, 0, len(page.Artifacts)), Next: page.Next}
	for i := range page.Artifacts {
		v, err := s.artifactFor(r.Context(), c, &page.Artifacts[i])
		if err != nil {
			return err
		}
		out.Items = append(out.Items, v)
	}
	writeJSON(w, out)
	return nil
}

// artifactFor is the /v1 view of a as c sees it: only the owner and system
// learn whom it is granted to.
func (s *Server) artifactFor(ctx context.Context, c catalog.Caller, a *catalog.Artifact) (api.Artifact, error) {
	v, err := s.artifactV1(ctx, a)
	if err == nil && !c.IsSystem() && c.Namespace != a.Namespace {
		v.Grants = []string{}
	}
	return v, err
}

func (s *Server) writeArtifactFor(w http.ResponseWriter, r *http.Request, c catalog.Caller, a *catalog.Artifact, status int) error {
	v, err := s.artifactFor(r.Context(), c, a)
	if err != nil {
		return err
	}
	writeJSONStatus(w, status, "application/json", v)
	return nil
}

func (s *Server) listArtifactsV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	o, err := listQuery(r, "namespace", "type", "prefix", "state", "metadata", "instance", "set", "limit", "cursor")
	if err != nil {
		return err
	}
	return s.writePage(w, r, c, o)
}

func (s *Server) listLabelsV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	o, err := listQuery(r, "namespace", "prefix", "state", "metadata", "limit", "cursor")
	if err != nil {
		return err
	}
	o.Type = catalog.TypeLabel
	return s.writePage(w, r, c, o)
}

func (s *Server) listSnapshotsV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	o, err := listQuery(r, "namespace", "instance", "set", "prefix", "limit", "cursor")
	if err != nil {
		return err
	}
	o.Type = catalog.TypeSnapshot
	return s.writePage(w, r, c, o)
}
