// Package api holds the wire types of the sfcas /v1 surface, shared by the
// server (package httpapi) and its Go client (package client).
package api

import (
	"encoding/json"
	"time"
)

// Version is one version of an artifact.
type Version struct {
	Ref         string    `json:"ref"` // "<ns>/<name>@<index>"
	Index       int       `json:"index"`
	Digest      string    `json:"digest"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Format      string    `json:"format"`
	VirtualSize int64     `json:"virtual_size"`
	Created     time.Time `json:"created"`
	Who         string    `json:"who,omitempty"`
	Note        string    `json:"note,omitempty"`
	Degraded    bool      `json:"degraded,omitempty"`
}

// Snapshot says where a snapshot artifact came from.
type Snapshot struct {
	SetID    string `json:"set_id"`
	Instance string `json:"instance"`
	Device   string `json:"device"`
}

// Artifact is an image, snapshot, label or other artifact.
type Artifact struct {
	Ref         string                     `json:"ref"`
	UUID        string                     `json:"uuid"`
	Namespace   string                     `json:"namespace"`
	Name        string                     `json:"name"`
	Type        string                     `json:"type"`
	State       string                     `json:"state"`
	Error       string                     `json:"error,omitempty"`
	Degraded    bool                       `json:"degraded"`
	MaxVersions int                        `json:"max_versions"`
	Shared      bool                       `json:"shared"`
	Grants      []string                   `json:"grants"`
	SourceURL   string                     `json:"source_url,omitempty"`
	Created     time.Time                  `json:"created"`
	Updated     time.Time                  `json:"updated"`
	Current     *Version                   `json:"current"`
	Versions    []Version                  `json:"versions"`
	Metadata    map[string]json.RawMessage `json:"metadata"`
	Snapshot    *Snapshot                  `json:"snapshot,omitempty"`
}

// Blob is a blob as operators see it.
type Blob struct {
	Digest      string    `json:"digest"`
	SHA256      string    `json:"sha256"`
	SHA512      string    `json:"sha512"`
	UUID        string    `json:"uuid"`
	Size        int64     `json:"size"`
	Format      string    `json:"format"`
	VirtualSize int64     `json:"virtual_size"`
	State       string    `json:"state"`
	Problem     string    `json:"problem,omitempty"`
	Refs        int       `json:"refs"`
	Created     time.Time `json:"created"`
}

// Upload is a resumable upload session.
type Upload struct {
	ID        string    `json:"id"`
	Namespace string    `json:"namespace"`
	Offset    int64     `json:"offset"`
	Declared  int64     `json:"declared,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Expires   time.Time `json:"expires"`
}

// Resolved is what a reference means (GET /v1/resolve).
type Resolved struct {
	Ref      string    `json:"ref"`
	Kind     string    `json:"kind"` // artifact, blob or upload
	Artifact *Artifact `json:"artifact,omitempty"`
	Version  *Version  `json:"version,omitempty"`
	Blob     *Blob     `json:"blob,omitempty"`
	Upload   *Upload   `json:"upload,omitempty"`
}

// Published is the answer to a publish.
type Published struct {
	Artifact Artifact `json:"artifact"`
	Version  *Version `json:"version"`
	// Changed is false when the content was already the current version.
	Changed bool `json:"changed"`
}

// HistoryEntry is one change of an artifact, newest first in a history.
type HistoryEntry struct {
	Time    time.Time      `json:"time"`
	Who     string         `json:"who"`
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Index   any            `json:"index,omitempty"`
	From    any            `json:"from,omitempty"`
	To      any            `json:"to,omitempty"`
	Extra   map[string]any `json:"extra,omitempty"`
}

// Namespace is a namespace (both surfaces use this shape).
type Namespace struct {
	Name     string                     `json:"name"`
	State    string                     `json:"state"`
	Version  int                        `json:"version"`
	Metadata map[string]json.RawMessage `json:"metadata"`
	Keys     []string                   `json:"keys"`
	Trust    map[string][]string        `json:"trust"`
}

// Problem is the error document of both surfaces: RFC 9457 fields, the
// Shaken Fist "error", and a stable code.
type Problem struct {
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Status     int      `json:"status"`
	Detail     string   `json:"detail"`
	Code       string   `json:"code"`
	Error      string   `json:"error"`
	Candidates []string `json:"candidates,omitempty"`
	Offset     *int64   `json:"offset,omitempty"`
	RequestID  string   `json:"request_id,omitempty"`
}

// Token is the answer of POST /auth.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// FsckRequest is the body of POST /v1/fsck.
type FsckRequest struct {
	Repair bool `json:"repair"`
}

// GCRequest is the body of POST /v1/gc.
type GCRequest struct {
	DryRun bool `json:"dry_run"`
}

// ScrubRequest is the body of POST /v1/scrub: re-hash up to Limit blobs
// (0: to the end of the pass) from the checkpoint, or from the start.
type ScrubRequest struct {
	Limit   int64 `json:"limit"`
	Restart bool  `json:"restart"`
}

// QuotaRequest is the body of PUT /v1/namespaces/{ns}/quota.
type QuotaRequest struct {
	Bytes *int64 `json:"bytes"` // 0 removes the quota
}
