package httpapi

import (
	"net/http"

	"github.com/sfcas/sfcas/catalog"
)

// v1 wraps a route of the reworked surface: authenticated, errors as RFC
// 9457 problem documents.
func (s *Server) v1(h handlerFunc) http.Handler { return s.wrap(h, true, true) }

// routesV1 registers the reworked surface.
func (s *Server) routesV1() {
	m := s.mux
	m.Handle("GET /v1/resolve", s.v1(s.resolveV1))
	m.Handle("POST /v1/labels/{ns}/{name}", s.v1(s.publishLabelV1))
	m.Handle("GET /v1/labels/{ns}/{name}", s.v1(s.getLabelV1))
	m.Handle("GET /v1/labels/{ns}/{name}/history", s.v1(s.labelHistoryV1))
	m.Handle("HEAD /v1/uploads/{id}", s.v1(s.getUploadV1))
	m.Handle("GET /v1/uploads/{id}", s.v1(s.getUploadV1))
	m.Handle("DELETE /v1/uploads/{id}", s.v1(s.deleteUploadV1))
	m.Handle("GET /v1/blobs/{digest}", s.v1(s.getBlobV1))
	m.Handle("GET /v1/blobs/{digest}/data", s.v1(s.getBlobDataV1))
	s.routesIntegrity()
	m.Handle("/v1/", s.wrap(func(w http.ResponseWriter, r *http.Request, _ catalog.Caller) error {
		return errorf(http.StatusNotFound, codeNotFound, "no route for "+r.Method+" "+clip(r.URL.Path))
	}, false, true))
}
