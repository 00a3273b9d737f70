package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// v1 wraps a route of the reworked surface: authenticated, errors as RFC
// 9457 problem documents.
func (s *Server) v1(h handlerFunc) http.Handler { return s.wrap(h, true, true) }

// param is a query parameter of a /v1 route.
type param struct {
	name, desc, typ string // typ: string, integer or boolean
	required        bool
}

// v1Route is one route of the reworked surface. The table in v1Routes is
// the single source of both the mux registrations and /openapi.json.
type v1Route struct {
	method, pattern, summary string
	query                    []param
	body                     any  // JSON request body (a zero value of its type), or nil
	bytes                    bool // the body may instead be the raw bytes to publish
	resp                     any  // JSON answer (a zero value of its type), or nil
	data                     bool // the answer is the blob's bytes
	status                   int  // status of success; 0 means 200
	h                        handlerFunc
}

var (
	pLimit    = param{name: "limit", typ: "integer", desc: "page size, 1 to 1000 (default 100)"}
	pCursor   = param{name: "cursor", typ: "string", desc: "the next cursor of the previous page"}
	pNS       = param{name: "namespace", typ: "string", desc: "only artifacts of this namespace"}
	pPrefix   = param{name: "prefix", typ: "string", desc: "only names starting with this"}
	pState    = param{name: "state", typ: "string", desc: "initial, created or error"}
	pMeta     = param{name: "metadata", typ: "string", desc: "only artifacts with this metadata key"}
	pInstance = param{name: "instance", typ: "string", desc: "only snapshots of this instance"}
	pSet      = param{name: "set", typ: "string", desc: "only snapshots of this snapshot-set ID"}
	pType     = param{name: "type", typ: "string", desc: "image, snapshot, label or other"}
	pPublish  = []param{
		{name: "digest", typ: "string", desc: "digest the bytes must have (blake3:, sha256: or sha512:)"},
		{name: "max_versions", typ: "integer", desc: "version policy"},
		{name: "create", typ: "boolean", desc: "false refuses to create a missing artifact"},
		{name: "shared", typ: "boolean", desc: "readable by every namespace (system only)"},
		{name: "allow_external", typ: "boolean", desc: "accept a qcow2 image naming a backing or data file"},
		{name: "size", typ: "integer", desc: "total size of a resumable stream, reserved up front"},
	}
)

// v1Routes lists the reworked surface.
func (s *Server) v1Routes() []v1Route {
	publishType := append([]param{{name: "type", typ: "string", desc: "image (default) or other"}}, pPublish...)
	return []v1Route{
		{method: "GET", pattern: "/v1/resolve", summary: "what a reference means for the caller (the one name rule)",
			query: []param{{name: "ref", typ: "string", required: true, desc: "name, ns/name[@n], digest, UUID or sf:// URL"}},
			resp:  api.Resolved{}, h: s.resolveV1},

		{method: "GET", pattern: "/v1/labels", summary: "list labels",
			query: []param{pNS, pPrefix, pState, pMeta, pLimit, pCursor}, resp: api.ArtifactPage{}, h: s.listLabelsV1},
		{method: "PUT", pattern: "/v1/labels/{ns}/{name}", summary: "create a label, empty or from a reference",
			body: api.LabelCreate{}, resp: api.Artifact{}, status: http.StatusCreated, h: s.createLabelV1},
		{method: "POST", pattern: "/v1/labels/{ns}/{name}", summary: "publish bytes, a URL, an upload or a reference as the label's new version, in one call",
			query: pPublish, body: api.PublishRequest{}, bytes: true, resp: api.Published{}, h: s.publishLabelV1},
		{method: "PATCH", pattern: "/v1/labels/{ns}/{name}", summary: "point an existing label at a reference and/or set its version policy",
			body: api.LabelUpdate{}, resp: api.Published{}, h: s.updateLabelV1},
		{method: "GET", pattern: "/v1/labels/{ns}/{name}", summary: "show a label and its versions", resp: api.Artifact{}, h: s.getLabelV1},
		{method: "DELETE", pattern: "/v1/labels/{ns}/{name}", summary: "delete a label", resp: api.Artifact{}, h: s.deleteLabelV1},
		{method: "GET", pattern: "/v1/labels/{ns}/{name}/history", summary: "every move of a label, newest first",
			query: []param{pLimit}, resp: []api.HistoryEntry{}, h: s.labelHistoryV1},
		{method: "POST", pattern: "/v1/labels/{ns}/{name}/rollback", summary: "make an earlier version's content current again",
			body: api.Rollback{}, resp: api.Published{}, h: s.rollbackLabelV1},

		{method: "GET", pattern: "/v1/artifacts", summary: "list artifacts",
			query: []param{pNS, pType, pPrefix, pState, pMeta, pInstance, pSet, pLimit, pCursor}, resp: api.ArtifactPage{}, h: s.listArtifactsV1},
		{method: "POST", pattern: "/v1/artifacts/{ns}/{name}", summary: "publish bytes, a URL, an upload or a reference as an image's (or other's) new version, in one call",
			query: publishType, body: api.PublishRequest{}, bytes: true, resp: api.Published{}, h: s.publishArtifactV1},
		{method: "GET", pattern: "/v1/artifacts/{ns}/{name}", summary: "show an artifact", resp: api.Artifact{}, h: s.getArtifactV1},
		{method: "PATCH", pattern: "/v1/artifacts/{ns}/{name}", summary: "set an artifact's version policy",
			body: api.ArtifactUpdate{}, resp: api.Artifact{}, h: s.patchArtifactV1},
		{method: "DELETE", pattern: "/v1/artifacts/{ns}/{name}", summary: "delete an artifact", resp: api.Artifact{}, h: s.deleteArtifactV1},
		{method: "DELETE", pattern: "/v1/artifacts/{ns}/{name}/versions/{index}", summary: "delete one version",
			resp: api.Artifact{}, h: s.deleteVersionV1},
		{method: "GET", pattern: "/v1/artifacts/{ns}/{name}/events", summary: "an artifact's events, newest first",
			query: []param{pLimit}, resp: []api.HistoryEntry{}, h: s.artifactEventsV1},
		{method: "GET", pattern: "/v1/artifacts/{ns}/{name}/grants", summary: "namespaces granted read access (owner or system)",
			resp: api.Grants{}, h: s.listGrantsV1},
		{method: "PUT", pattern: "/v1/artifacts/{ns}/{name}/grants/{grantee}", summary: "let a namespace read the artifact",
			resp: api.Grants{}, h: s.grantV1},
		{method: "DELETE", pattern: "/v1/artifacts/{ns}/{name}/grants/{grantee}", summary: "withdraw a namespace's read access",
			resp: api.Grants{}, h: s.revokeV1},

		{method: "POST", pattern: "/v1/snapshots", summary: "snapshot an instance's disks: one snapshot artifact per disk, grouped by a set ID",
			body: api.SnapshotCreate{}, resp: api.SnapshotSet{}, status: http.StatusCreated, h: s.createSnapshotsV1},
		{method: "GET", pattern: "/v1/snapshots", summary: "list snapshots",
			query: []param{pNS, pInstance, pSet, pPrefix, pLimit, pCursor}, resp: api.ArtifactPage{}, h: s.listSnapshotsV1},

		{method: "POST", pattern: "/v1/namespaces/{ns}/cleanup", summary: "delete a namespace's artifacts in a safe order, keeping what others can read unless forced",
			body: api.CleanupRequest{}, resp: api.CleanupReport{}, h: s.cleanupV1},

		{method: "HEAD", pattern: "/v1/uploads/{id}", summary: "where an upload session is (Upload-Offset header)", h: s.getUploadV1},
		{method: "GET", pattern: "/v1/uploads/{id}", summary: "an upload session", resp: api.Upload{}, h: s.getUploadV1},
		{method: "DELETE", pattern: "/v1/uploads/{id}", summary: "abandon an upload session", h: s.deleteUploadV1},
		{method: "GET", pattern: "/v1/blobs/{digest}", summary: "a blob by digest (operators)", resp: api.Blob{}, h: s.getBlobV1},
		{method: "GET", pattern: "/v1/blobs/{digest}/data", summary: "a blob's bytes (Range, ETag, If-None-Match)", data: true, h: s.getBlobDataV1},

		{method: "GET", pattern: "/v1/admin/catalog", summary: "a consistent copy of catalog.db, taken while running (system only)", data: true, h: s.backupCatalogV1},
	}
}

// routesV1 registers the reworked surface and /openapi.json.
func (s *Server) routesV1() {
	routes := s.v1Routes()
	for _, rt := range routes {
		p := rt.method + " " + rt.pattern
		s.mux.Handle(p, s.v1(rt.h))
		s.v1Patterns = append(s.v1Patterns, p)
	}
	s.openapi = buildOpenAPI(routes, s.version)
	s.mux.Handle("GET /openapi.json", s.public(s.handleOpenAPI))
	s.mux.Handle("/v1/", s.wrap(s.noRouteV1, false, true))
}

// noRouteV1 answers a /v1 request no route takes: 405 with Allow when the
// path exists for other methods, else 404.
func (s *Server) noRouteV1(w http.ResponseWriter, r *http.Request, _ catalog.Caller) error {
	var allow []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pat := s.mux.Handler(probe); pat != "" && pat != "/v1/" && slices.Contains(s.v1Patterns, pat) {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return errorf(http.StatusMethodNotAllowed, codeMethod, r.Method+" is not allowed on "+clip(r.URL.Path)+"; use "+strings.Join(allow, ", "))
	}
	return errorf(http.StatusNotFound, codeNotFound, "no route for "+r.Method+" "+clip(r.URL.Path))
}

// guardV1 refuses /v1 paths with "." or ".." segments before the mux would
// clean them into a redirect to some other route.
func (s *Server) guardV1(next http.Handler) http.Handler {
	bad := s.wrap(func(w http.ResponseWriter, r *http.Request, _ catalog.Caller) error {
		return badRequest("the path has '.' or '..' segments, which no name may be")
	}, false, true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			for _, seg := range strings.Split(r.URL.Path, "/") {
				if seg == "." || seg == ".." {
					bad.ServeHTTP(w, r)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
