package httpapi

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// The JSON shapes of the Shaken Fist-compatible surface. Field names follow
// the Shaken Fist API so its client works unchanged; sfcas adds a few
// (digest, name, checksums) that clients ignore.

type blobView struct {
	UUID           string            `json:"uuid"`
	Digest         string            `json:"digest"`
	State          string            `json:"state"`
	Version        int               `json:"version"`
	Metadata       catalog.Metadata  `json:"metadata"`
	Size           int64             `json:"size"`
	Modified       float64           `json:"modified"`
	FetchedAt      float64           `json:"fetched_at"`
	LastUsed       *float64          `json:"last_used"`
	DependsOn      *string           `json:"depends_on"`
	Transcodes     map[string]string `json:"transcodes"`
	ReferenceCount int               `json:"reference_count"`
	SHA512         string            `json:"sha512"`
	Checksums      map[string]string `json:"checksums"`
	Locations      []string          `json:"locations"`
	Instances      []string          `json:"instances"`
	MimeType       string            `json:"mime-type"`
	FileFormat     string            `json:"file format"`
	VirtualSize    int64             `json:"virtual size"`
	DiskSize       int64             `json:"disk size"`
	ReferencesTo   map[string][]ref  `json:"references_to"`
	ReferencesFrom map[string][]ref  `json:"references_from"`
	Problem        string            `json:"problem,omitempty"`
}

// ref is one entry of a blob's references_to.
type ref struct {
	SourceObjectType  string  `json:"source_object_type"`
	SourceUUID        string  `json:"source_uuid"`
	Relationship      string  `json:"relationship"`
	RelationshipValue string  `json:"relationship_value"`
	TargetObjectType  string  `json:"target_object_type"`
	TargetUUID        string  `json:"target_uuid"`
	Created           float64 `json:"created"`
	LastActive        float64 `json:"last_active"`
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// blobState maps a blob's health to the Shaken Fist state names.
func blobState(b *catalog.Blob) string {
	if b.State == catalog.BlobQuarantined {
		return "error"
	}
	return "created"
}

func (s *Server) blobView(ctx context.Context, c catalog.Caller, b *catalog.Blob) blobView {
	v := blobView{
		UUID: b.UUID.String(), Digest: b.Digest.String(), State: blobState(b), Version: b.Gen,
		Metadata: orEmpty(b.Metadata), Size: b.Size, Modified: epoch(b.Created), FetchedAt: epoch(b.Created),
		Transcodes: map[string]string{}, ReferenceCount: b.Refs, SHA512: b.SHA512,
		Checksums: map[string]string{"blake3": b.Digest.Hex(), "sha256": b.SHA256, "sha512": b.SHA512},
		Locations: []string{s.db.Node()}, Instances: []string{}, MimeType: "application/octet-stream",
		FileFormat: b.Format, VirtualSize: b.VirtualSize, DiskSize: b.Size,
		ReferencesTo: map[string][]ref{}, ReferencesFrom: map[string][]ref{}, Problem: b.Problem,
	}
	if b.Format == "qcow2" {
		v.MimeType = "application/x-qemu-disk"
	}
	arts, err := s.db.BlobReferrers(ctx, c, b.Digest)
	if err != nil {
		s.log.Warn("blob referrers", "blob", b.Digest, "err", err)
	}
	for _, a := range arts {
		for _, ver := range a.Versions {
			if ver.Digest != b.Digest {
				continue
			}
			v.ReferencesTo["artifact_index"] = append(v.ReferencesTo["artifact_index"], ref{
				SourceObjectType: "artifact", SourceUUID: a.UUID.String(), Relationship: "artifact_index",
				RelationshipValue: strconv.Itoa(ver.Index), TargetObjectType: "blob", TargetUUID: b.UUID.String(),
				Created: epoch(ver.Created), LastActive: epoch(ver.Created),
			})
		}
	}
	return v
}

func orEmpty(m catalog.Metadata) catalog.Metadata {
	if m == nil {
		return catalog.Metadata{}
	}
	return m
}

type versionBlob struct {
	UUID           string   `json:"uuid"`
	Digest         string   `json:"digest"`
	Size           int64    `json:"size"`
	ReferenceCount int      `json:"reference_count"`
	DependsOn      *string  `json:"depends_on"`
	Instances      []string `json:"instances"`
}

type artifactView struct {
	UUID           string                 `json:"uuid"`
	Name           string                 `json:"name"`
	ArtifactType   catalog.ArtifactType   `json:"artifact_type"`
	Namespace      string                 `json:"namespace"`
	State          catalog.ArtifactState  `json:"state"`
	Version        int                    `json:"version"`
	Metadata       catalog.Metadata       `json:"metadata"`
	SourceURL      string                 `json:"source_url"`
	MaxVersions    int                    `json:"max_versions"`
	Shared         bool                   `json:"shared"`
	Index          int                    `json:"index"`
	BlobUUID       string                 `json:"blob_uuid,omitempty"`
	Digest         string                 `json:"digest,omitempty"`
	Blobs          map[string]versionBlob `json:"blobs"`
	Error          string                 `json:"error,omitempty"`
	ReferencesTo   map[string][]ref       `json:"references_to"`
	ReferencesFrom map[string][]ref       `json:"references_from"`
}

// sourceURL is what the Shaken Fist API shows as an artifact's origin.
func sourceURL(a *catalog.Artifact) string {
	switch {
	case a.Type == catalog.TypeLabel:
		return "sf://label/" + a.Namespace + "/" + a.Name
	case a.SourceURL != "":
		return a.SourceURL
	}
	return "sf://upload/" + a.Namespace + "/" + a.Name
}

func (s *Server) artifactView(ctx context.Context, a *catalog.Artifact) (artifactView, error) {
	blobs, err := s.db.VersionBlobs(ctx, a)
	if err != nil {
		return artifactView{}, err
	}
	v := artifactView{
		UUID: a.UUID.String(), Name: a.Name, ArtifactType: a.Type, Namespace: a.Namespace, State: a.State,
		Version: a.Gen, Metadata: orEmpty(a.Metadata), SourceURL: sourceURL(a), MaxVersions: a.MaxVersions,
		Shared: a.Shared, Blobs: map[string]versionBlob{}, Error: a.Error,
		ReferencesTo: map[string][]ref{}, ReferencesFrom: map[string][]ref{},
	}
	for _, ver := range a.Versions {
		b := blobs[ver.Digest]
		v.Blobs[strconv.Itoa(ver.Index)] = versionBlob{UUID: ver.Digest.UUID().String(), Digest: ver.Digest.String(),
			Size: ver.Size, ReferenceCount: b.Refs, Instances: []string{}}
		v.ReferencesFrom["artifact_index"] = append(v.ReferencesFrom["artifact_index"], ref{
			SourceObjectType: "artifact", SourceUUID: a.UUID.String(), Relationship: "artifact_index",
			RelationshipValue: strconv.Itoa(ver.Index), TargetObjectType: "blob", TargetUUID: ver.Digest.UUID().String(),
			Created: epoch(ver.Created), LastActive: epoch(ver.Created),
		})
	}
	if latest, ok := a.Latest(); ok {
		v.Index, v.BlobUUID, v.Digest = latest.Index, latest.Digest.UUID().String(), latest.Digest.String()
	}
	return v, nil
}

type uploadView struct {
	UUID      string           `json:"uuid"`
	State     string           `json:"state"`
	Version   int              `json:"version"`
	Metadata  catalog.Metadata `json:"metadata"`
	Node      string           `json:"node"`
	CreatedAt float64          `json:"created_at"`
	Size      int64            `json:"size"`
}

func (s *Server) uploadView(u *catalog.Upload) uploadView {
	return uploadView{UUID: u.UUID.String(), State: "created", Version: u.Gen, Metadata: catalog.Metadata{},
		Node: s.db.Node(), CreatedAt: epoch(u.Created), Size: u.Size}
}

func namespaceViewOf(n *catalog.Namespace) api.Namespace {
	return api.Namespace{Name: n.Name, State: "created", Version: 1, Metadata: orEmpty(n.Metadata),
		Keys: n.KeyNames(), Trust: map[string][]string{"full": {catalog.SystemNamespace}}}
}

type eventView struct {
	EventUUID string          `json:"event_uuid"`
	EventType string          `json:"event_type"`
	Type      string          `json:"type"`
	Timestamp float64         `json:"timestamp"`
	FQDN      string          `json:"fqdn"`
	Duration  *float64        `json:"duration"`
	Message   string          `json:"message"`
	Extra     json.RawMessage `json:"extra"`
	Who       string          `json:"who,omitempty"`
	RequestID *string         `json:"request_id"`
}

func eventViews(key string, evs []catalog.Event) []eventView {
	out := make([]eventView, 0, len(evs))
	for _, e := range evs {
		extra, _ := json.Marshal(e.Extra)
		out = append(out, eventView{
			EventUUID: key + "/" + strconv.FormatUint(e.Seq, 10), EventType: e.Type, Type: e.Type,
			Timestamp: epoch(e.Time), FQDN: e.Node, Message: e.Message, Extra: extra, Who: e.Who,
		})
	}
	return out
}
