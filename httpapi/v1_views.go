package httpapi

import (
	"context"
	"strconv"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// The JSON shapes of the /v1 surface: names, digests and version indexes;
// blob UUIDs appear nowhere a user needs them.

func (s *Server) artifactV1(ctx context.Context, a *catalog.Artifact) (api.Artifact, error) {
	blobs, err := s.db.VersionBlobs(ctx, a)
	if err != nil {
		return api.Artifact{}, err
	}
	v := api.Artifact{
		Ref: a.Ref(), UUID: a.UUID.String(), Namespace: a.Namespace, Name: a.Name, Type: string(a.Type),
		State: string(a.State), Error: a.Error, MaxVersions: a.MaxVersions, Shared: a.Shared,
		Grants: append([]string{}, a.Grants...), SourceURL: a.SourceURL, Created: a.Created,
		Updated: a.Updated, Versions: []api.Version{}, Metadata: orEmpty(a.Metadata), Snapshot: snapshotV1(a.Snapshot),
	}
	for _, ver := range a.Versions {
		b := blobs[ver.Digest]
		v.Versions = append(v.Versions, api.Version{
			Ref: a.Ref() + "@" + strconv.Itoa(ver.Index), Index: ver.Index, Digest: ver.Digest.String(),
			SHA256: b.SHA256, Size: ver.Size, Format: b.Format, VirtualSize: b.VirtualSize,
			Created: ver.Created, Who: ver.Who, Note: ver.Note, Degraded: b.State != catalog.BlobCreated,
		})
	}
	if n := len(v.Versions); n > 0 {
		cur := v.Versions[n-1]
		v.Current, v.Degraded = &cur, cur.Degraded
	}
	return v, nil
}

func blobV1Of(b *catalog.Blob) api.Blob {
	return api.Blob{Digest: b.Digest.String(), SHA256: b.SHA256, SHA512: b.SHA512, UUID: b.UUID.String(),
		Size: b.Size, Format: b.Format, VirtualSize: b.VirtualSize, State: string(b.State),
		Problem: b.Problem, Refs: b.Refs, Created: b.Created}
}

func (s *Server) uploadV1(u *catalog.Upload) api.Upload {
	return api.Upload{ID: u.UUID.String(), Namespace: u.Namespace, Offset: u.Size, Declared: u.Declared,
		Created: u.Created, Updated: u.Updated, Expires: u.Expires(s.db.UploadTTL())}
}

func snapshotV1(s *catalog.Snapshot) *api.Snapshot {
	if s == nil {
		return nil
	}
	return &api.Snapshot{SetID: s.SetID.String(), Instance: s.Instance, Device: s.Device}
}
