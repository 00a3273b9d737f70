package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sfcas/sfcas/httpapi/api"
)

// Resolve shows what a reference means (GET /v1/resolve).
func (c *Client) Resolve(ctx context.Context, ref string) (api.Resolved, error) {
	var r api.Resolved
	err := c.getJSON(ctx, "/v1/resolve?ref="+url.QueryEscape(ref), &r)
	return r, err
}

// Label returns a label.
func (c *Client) Label(ctx context.Context, ns, name string) (api.Artifact, error) {
	var a api.Artifact
	err := c.getJSON(ctx, "/v1/labels/"+seg(ns)+"/"+seg(name), &a)
	return a, err
}

// LabelHistory returns a label's moves, newest first.
func (c *Client) LabelHistory(ctx context.Context, ns, name string, limit int) ([]api.HistoryEntry, error) {
	var h []api.HistoryEntry
	err := c.getJSON(ctx, "/v1/labels/"+seg(ns)+"/"+seg(name)+"/history?limit="+strconv.Itoa(limit), &h)
	return h, err
}

// Blob returns a blob by digest (blake3:, sha256: or sha512:).
func (c *Client) Blob(ctx context.Context, digest string) (api.Blob, error) {
	var b api.Blob
	err := c.getJSON(ctx, "/v1/blobs/"+seg(digest), &b)
	return b, err
}

// BlobData opens a blob's bytes from offset. The caller closes the reader.
func (c *Client) BlobData(ctx context.Context, digest string, offset int64) (io.ReadCloser, int64, error) {
	h := map[string]string{}
	if offset > 0 {
		h["Range"] = "bytes=" + strconv.FormatInt(offset, 10) + "-"
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/blobs/" + seg(digest) + "/data", headers: h})
	if err != nil {
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

// Namespaces lists the namespaces the caller may see.
func (c *Client) Namespaces(ctx context.Context) ([]api.Namespace, error) {
	var out []api.Namespace
	err := c.getJSON(ctx, "/auth/namespaces", &out)
	return out, err
}

// CreateNamespace creates a namespace (system only).
func (c *Client) CreateNamespace(ctx context.Context, name string) (api.Namespace, error) {
	var out api.Namespace
	err := c.call(ctx, request{method: http.MethodPost, path: "/auth/namespaces", json: map[string]string{"namespace": name}}, &out)
	return out, err
}

// DeleteNamespace deletes an empty namespace (system only).
func (c *Client) DeleteNamespace(ctx context.Context, name string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: "/auth/namespaces/" + seg(name)}, nil)
}

// SetKey adds or replaces a namespace key.
func (c *Client) SetKey(ctx context.Context, ns, keyName string, secret []byte) error {
	return c.call(ctx, request{method: http.MethodPost, path: "/auth/namespaces/" + seg(ns) + "/keys",
		json: map[string]string{"key_name": keyName, "key": string(secret)}}, nil)
}

// BackupCatalog streams a consistent copy of the daemon's catalog.db to w.
func (c *Client) BackupCatalog(ctx context.Context, w io.Writer) (int64, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/admin/catalog"})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
