package httpapi

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// createSnapshotsV1 is POST /v1/snapshots: one snapshot artifact per disk,
// all under one snapshot-set ID, or none if any disk fails. Disks come from
// upload sessions, or (system only) from node-local files under the
// daemon's snapshot directories.
func (s *Server) createSnapshotsV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body api.SnapshotCreate
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	ns := body.Namespace
	if ns == "" {
		ns = c.Namespace
	}
	if err := catalog.ValidateIdent("namespace", ns); err != nil {
		return err
	}
	if body.Name != "" {
		if err := catalog.ValidateName(body.Name); err != nil {
			return err
		}
	}
	spec := catalog.SnapshotSpec{Namespace: ns, Instance: body.Instance, Name: body.Name, MaxVersions: body.MaxVersions}
	for _, d := range body.Disks {
		if (d.Path == "") == (d.Upload == "") {
			return badRequest(fmt.Sprintf("disk %q: give exactly one of path and upload", clip(d.Device)))
		}
		if d.Path != "" && !c.IsSystem() {
			return fmt.Errorf("disk %q: only %s may snapshot node-local files; send an upload instead: %w",
				clip(d.Device), catalog.SystemNamespace, catalog.ErrForbidden)
		}
		spec.Disks = append(spec.Disks, catalog.SnapshotDisk{Device: d.Device})
	}
	if err := s.db.CheckSnapshot(c, spec); err != nil {
		return err
	}
	opts := catalog.IngestOptions{AllowExternal: body.AllowExternal}
	for i, d := range body.Disks {
		var pin *cas.Pin
		var err error
		if d.Path != "" {
			pin, err = s.ingestSnapshotFile(r, d.Path, opts)
		} else {
			pin, err = s.ingestUpload(r, c, d.Upload, opts)
		}
		if err != nil {
			return err
		}
		defer pin.Release()
		spec.Disks[i].Pin = pin
	}
	arts, err := s.db.CreateSnapshots(r.Context(), c, spec)
	if err != nil {
		return err
	}
	out := api.SnapshotSet{Instance: spec.Instance, Artifacts: []api.Artifact{}}
	for i := range arts {
		v, err := s.artifactFor(r.Context(), c, &arts[i])
		if err != nil {
			return err
		}
		out.SetID = v.Snapshot.SetID
		out.Artifacts = append(out.Artifacts, v)
	}
	writeJSONStatus(w, http.StatusCreated, "application/json", out)
	return nil
}

func (s *Server) ingestUpload(r *http.Request, c catalog.Caller, id string, opts catalog.IngestOptions) (*cas.Pin, error) {
	u, err := cas.ParseUUID(id)
	if err != nil {
		return nil, badRequest(fmt.Sprintf("upload %q is not an upload id", clip(id)))
	}
	_, pin, err := s.db.CommitUpload(r.Context(), c, u, opts)
	return pin, err
}

// ingestSnapshotFile copies a node-local file into the store. The path must
// be absolute and inside one of the snapshot directories; os.Root keeps
// symbolic links and ".." from leading out of it.
func (s *Server) ingestSnapshotFile(r *http.Request, path string, opts catalog.IngestOptions) (*cas.Pin, error) {
	f, err := s.openSnapshotFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	wr, err := s.db.Blobs().Create()
	if err != nil {
		return nil, err
	}
	if _, err := wr.ReadFrom(f); err != nil {
		wr.Abort()
		if errors.Is(err, cas.ErrNoSpace) {
			return nil, err
		}
		return nil, errorf(http.StatusUnprocessableEntity, codeInvalid, fmt.Sprintf("%s could not be read to its end", clip(path)))
	}
	_, pin, err := s.db.IngestBlob(r.Context(), wr, opts)
	return pin, err
}

func (s *Server) openSnapshotFile(path string) (*os.File, error) {
	if !filepath.IsAbs(path) || strings.ContainsRune(path, 0) {
		return nil, badRequest(fmt.Sprintf("path %q must be absolute", clip(path)))
	}
	clean := filepath.Clean(path)
	for _, dir := range s.snapshotDirs {
		rel, err := filepath.Rel(dir, clean)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("snapshot directory %s: %w", dir, err)
		}
		f, err := root.Open(rel)
		root.Close()
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("file %s: %w", clip(path), catalog.ErrNotFound)
		case err != nil:
			return nil, fmt.Errorf("file %s leads outside the snapshot directories or cannot be opened: %w", clip(path), catalog.ErrForbidden)
		}
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, badRequest(fmt.Sprintf("%s is not a regular file", clip(path)))
		}
		return f, nil
	}
	if len(s.snapshotDirs) == 0 {
		return nil, fmt.Errorf("this daemon has no snapshot directories (sfcas serve --snapshot-dirs): %w", catalog.ErrForbidden)
	}
	return nil, fmt.Errorf("%s is not under a snapshot directory: %w", clip(path), catalog.ErrForbidden)
}

// cleanupV1 is POST /v1/namespaces/{ns}/cleanup {"dry_run", "force"}.
func (s *Server) cleanupV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ns := r.PathValue("ns")
	if err := catalog.ValidateIdent("namespace", ns); err != nil {
		return err
	}
	var body api.CleanupRequest
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	rep, err := s.db.CleanupNamespace(r.Context(), c, ns, catalog.CleanupOptions{DryRun: body.DryRun, Force: body.Force})
	if err != nil {
		return err
	}
	out := api.CleanupReport{Namespace: rep.Namespace, DryRun: rep.DryRun, Uploads: rep.Uploads,
		Deleted: cleanupItems(rep.Deleted), Kept: cleanupItems(rep.Kept)}
	writeJSON(w, out)
	return nil
}

func cleanupItems(in []catalog.CleanupItem) []api.CleanupItem {
	out := make([]api.CleanupItem, 0, len(in))
	for _, it := range in {
		out = append(out, api.CleanupItem{Ref: it.Ref, UUID: it.UUID.String(), Type: string(it.Type), Reason: it.Reason})
	}
	return out
}
