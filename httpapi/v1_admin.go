package httpapi

import (
	"net/http"
	"strconv"

	"github.com/sfcas/sfcas/catalog"
)

// backupCatalogV1 is GET /v1/admin/catalog: a consistent copy of catalog.db
// taken while the daemon runs (system only). The blobs themselves are
// immutable files under blobs/ and can be copied with any tool.
func (s *Server) backupCatalogV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if !c.IsSystem() {
		return errorf(http.StatusForbidden, codeForbidden, "only the system namespace may back up the catalog")
	}
	size, err := s.db.BackupSize()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="catalog.db"`)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	if _, err := s.db.Backup(r.Context(), c, w); err != nil {
		panic(http.ErrAbortHandler) // headers are out: cut the transfer short
	}
	return nil
}
