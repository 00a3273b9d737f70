package client

import (
	"context"
	"net/http"
)

// Maintenance runs one of the system-only maintenance operations on the
// daemon (op is "fsck", "gc" or "scrub": POST /v1/<op>) with the JSON body
// body and decodes the report into out.
func (c *Client) Maintenance(ctx context.Context, op string, body, out any) error {
	return c.call(ctx, request{method: http.MethodPost, path: "/v1/" + seg(op), json: body}, out)
}
