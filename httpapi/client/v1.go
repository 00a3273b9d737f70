package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sfcas/sfcas/httpapi/api"
)

// ListOptions filter and page a listing; zero fields select all.
type ListOptions struct {
	Namespace, Type, Prefix, State, Metadata, Instance, Set string
	Limit                                                   int
	Cursor                                                  string
}

func (o ListOptions) query(withType bool) string {
	q := url.Values{}
	for k, v := range map[string]string{"namespace": o.Namespace, "prefix": o.Prefix, "state": o.State,
		"metadata": o.Metadata, "instance": o.Instance, "set": o.Set, "cursor": o.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if withType && o.Type != "" {
		q.Set("type", o.Type)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

func nsName(ns, name string) string { return seg(ns) + "/" + seg(name) }

// Artifacts lists one page of artifacts.
func (c *Client) Artifacts(ctx context.Context, o ListOptions) (api.ArtifactPage, error) {
	var p api.ArtifactPage
	err := c.getJSON(ctx, "/v1/artifacts"+o.query(true), &p)
	return p, err
}

// Labels lists one page of labels.
func (c *Client) Labels(ctx context.Context, o ListOptions) (api.ArtifactPage, error) {
	var p api.ArtifactPage
	o.Instance, o.Set = "", ""
	err := c.getJSON(ctx, "/v1/labels"+o.query(false), &p)
	return p, err
}

// Snapshots lists one page of snapshots.
func (c *Client) Snapshots(ctx context.Context, o ListOptions) (api.ArtifactPage, error) {
	var p api.ArtifactPage
	o.State, o.Metadata = "", ""
	err := c.getJSON(ctx, "/v1/snapshots"+o.query(false), &p)
	return p, err
}

// Artifact returns the artifact ns/name.
func (c *Client) Artifact(ctx context.Context, ns, name string) (api.Artifact, error) {
	var a api.Artifact
	err := c.getJSON(ctx, "/v1/artifacts/"+nsName(ns, name), &a)
	return a, err
}

// DeleteArtifact deletes the artifact ns/name and returns what it was.
func (c *Client) DeleteArtifact(ctx context.Context, ns, name string) (api.Artifact, error) {
	var a api.Artifact
	err := c.call(ctx, request{method: http.MethodDelete, path: "/v1/artifacts/" + nsName(ns, name)}, &a)
	return a, err
}

// SetArtifactMaxVersions sets an artifact's version policy.
func (c *Client) SetArtifactMaxVersions(ctx context.Context, ns, name string, n int) (api.Artifact, error) {
	var a api.Artifact
	err := c.call(ctx, request{method: http.MethodPatch, path: "/v1/artifacts/" + nsName(ns, name),
		json: api.ArtifactUpdate{MaxVersions: n}}, &a)
	return a, err
}

// CreateLabel creates a label, empty or from a reference.
func (c *Client) CreateLabel(ctx context.Context, ns, name string, body api.LabelCreate) (api.Artifact, error) {
	var a api.Artifact
	err := c.call(ctx, request{method: http.MethodPut, path: "/v1/labels/" + nsName(ns, name), json: body}, &a)
	return a, err
}

// UpdateLabel points an existing label at a reference and/or sets its
// version policy.
func (c *Client) UpdateLabel(ctx context.Context, ns, name string, body api.LabelUpdate) (api.Published, error) {
	var p api.Published
	err := c.call(ctx, request{method: http.MethodPatch, path: "/v1/labels/" + nsName(ns, name), json: body}, &p)
	return p, err
}

// RollbackLabel makes version to's content current again (0: the newest
// version with other content).
func (c *Client) RollbackLabel(ctx context.Context, ns, name string, to int) (api.Published, error) {
	var p api.Published
	err := c.call(ctx, request{method: http.MethodPost, path: "/v1/labels/" + nsName(ns, name) + "/rollback",
		json: api.Rollback{To: to}}, &p)
	return p, err
}

// DeleteLabel deletes a label and returns what it was.
func (c *Client) DeleteLabel(ctx context.Context, ns, name string) (api.Artifact, error) {
	var a api.Artifact
	err := c.call(ctx, request{method: http.MethodDelete, path: "/v1/labels/" + nsName(ns, name)}, &a)
	return a, err
}

// Grant lets namespace grantee read the artifact ns/name.
func (c *Client) Grant(ctx context.Context, ns, name, grantee string) (api.Grants, error) {
	var g api.Grants
	err := c.call(ctx, request{method: http.MethodPut, path: "/v1/artifacts/" + nsName(ns, name) + "/grants/" + seg(grantee)}, &g)
	return g, err
}

// Revoke withdraws a grant.
func (c *Client) Revoke(ctx context.Context, ns, name, grantee string) (api.Grants, error) {
	var g api.Grants
	err := c.call(ctx, request{method: http.MethodDelete, path: "/v1/artifacts/" + nsName(ns, name) + "/grants/" + seg(grantee)}, &g)
	return g, err
}

// Grants lists an artifact's grants.
func (c *Client) Grants(ctx context.Context, ns, name string) (api.Grants, error) {
	var g api.Grants
	err := c.getJSON(ctx, "/v1/artifacts/"+nsName(ns, name)+"/grants", &g)
	return g, err
}

// CreateSnapshots snapshots an instance's disks.
func (c *Client) CreateSnapshots(ctx context.Context, body api.SnapshotCreate) (api.SnapshotSet, error) {
	var s api.SnapshotSet
	err := c.call(ctx, request{method: http.MethodPost, path: "/v1/snapshots", json: body}, &s)
	return s, err
}

// Cleanup deletes (or, with DryRun, lists) a namespace's artifacts.
func (c *Client) Cleanup(ctx context.Context, ns string, body api.CleanupRequest) (api.CleanupReport, error) {
	var r api.CleanupReport
	err := c.call(ctx, request{method: http.MethodPost, path: "/v1/namespaces/" + seg(ns) + "/cleanup", json: body}, &r)
	return r, err
}
