package api

// ArtifactPage is one page of a listing. Next, when set, is the opaque
// cursor of the next page; a page may be short (even empty) and still have
// one.
type ArtifactPage struct {
	Items []Artifact `json:"items"`
	Next  string     `json:"next,omitempty"`
}

// PublishRequest is the JSON form of a publish (POST /v1/labels/{ns}/{name}
// and POST /v1/artifacts/{ns}/{name}): exactly one of URL, Ref and Upload.
// Without a JSON body, the request body is the bytes themselves and these
// fields are query parameters.
type PublishRequest struct {
	URL           string `json:"url,omitempty"`
	Ref           string `json:"ref,omitempty"`
	Upload        string `json:"upload,omitempty"`
	Digest        string `json:"digest,omitempty"` // expected blake3:, sha256: or sha512: digest
	Type          string `json:"type,omitempty"`   // image or other (artifacts route); label
	MaxVersions   int    `json:"max_versions,omitempty"`
	AllowExternal bool   `json:"allow_external,omitempty"`
	Create        *bool  `json:"create,omitempty"`
	Shared        bool   `json:"shared,omitempty"`
	Note          string `json:"note,omitempty"`
}

// LabelCreate is the body of PUT /v1/labels/{ns}/{name}: an empty label, or
// one whose first version is what From names.
type LabelCreate struct {
	From        string `json:"from,omitempty"`
	MaxVersions int    `json:"max_versions,omitempty"`
	Shared      bool   `json:"shared,omitempty"`
}

// LabelUpdate is the body of PATCH /v1/labels/{ns}/{name}: point the label
// at what Ref names, change its version policy, or both.
type LabelUpdate struct {
	Ref         string `json:"ref,omitempty"`
	MaxVersions int    `json:"max_versions,omitempty"`
}

// Rollback is the body of POST /v1/labels/{ns}/{name}/rollback; To zero
// means the newest version with other content than the current one.
type Rollback struct {
	To int `json:"to,omitempty"`
}

// ArtifactUpdate is the body of PATCH /v1/artifacts/{ns}/{name}.
type ArtifactUpdate struct {
	MaxVersions int `json:"max_versions"`
}

// Grants lists the namespaces an artifact is granted to.
type Grants struct {
	Artifact string   `json:"artifact"`
	Grants   []string `json:"grants"`
}

// SnapshotDisk is one disk to snapshot: a node-local file (system only,
// under the daemon's snapshot directories) or an upload session.
type SnapshotDisk struct {
	Device string `json:"device"`
	Path   string `json:"path,omitempty"`
	Upload string `json:"upload,omitempty"`
}

// SnapshotCreate is the body of POST /v1/snapshots.
type SnapshotCreate struct {
	Namespace     string         `json:"namespace,omitempty"` // default: the caller's
	Instance      string         `json:"instance"`
	Name          string         `json:"name,omitempty"` // prefix of the artifacts' names
	MaxVersions   int            `json:"max_versions,omitempty"`
	AllowExternal bool           `json:"allow_external,omitempty"`
	Disks         []SnapshotDisk `json:"disks"`
}

// SnapshotSet is the answer to POST /v1/snapshots: one artifact per disk.
type SnapshotSet struct {
	SetID     string     `json:"set_id"`
	Instance  string     `json:"instance"`
	Artifacts []Artifact `json:"artifacts"`
}

// CleanupRequest is the body of POST /v1/namespaces/{ns}/cleanup.
type CleanupRequest struct {
	DryRun bool `json:"dry_run,omitempty"`
	Force  bool `json:"force,omitempty"`
}

// CleanupItem is one artifact a cleanup deleted or kept, and why.
type CleanupItem struct {
	Ref    string `json:"ref"`
	UUID   string `json:"uuid"`
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// CleanupReport says what a cleanup deleted (or would delete, in a dry
// run) and kept, in the order it went.
type CleanupReport struct {
	Namespace string        `json:"namespace"`
	DryRun    bool          `json:"dry_run"`
	Deleted   []CleanupItem `json:"deleted"`
	Kept      []CleanupItem `json:"kept"`
	Uploads   int           `json:"uploads"`
}
