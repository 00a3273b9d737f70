// Package client is a Go client of the sfcas REST API, used by the sfcas
// command line. It authenticates with a namespace key, re-authenticating
// once when a token expires, and turns error documents into *Error.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sfcas/sfcas/httpapi/api"
)

// Client talks to one sfcas daemon as one namespace. It is safe for
// concurrent use.
type Client struct {
	base       string
	namespace  string
	key        []byte
	hc         *http.Client
	tokenCache string

	mu    sync.Mutex
	token string
}

// Options configure a Client.
type Options struct {
	// URL is the daemon's base URL, e.g. http://127.0.0.1:13000.
	URL string
	// Namespace and Key authenticate (POST /auth).
	Namespace string
	Key       []byte
	// HTTPClient, if set, replaces http.DefaultClient.
	HTTPClient *http.Client
	// TokenCache, if set, is a directory where tokens are kept between
	// runs (one file per daemon, namespace and key, mode 0600), so a
	// command-line tool need not log in every time.
	TokenCache string
}

// New returns a client; it does not contact the daemon.
func New(o Options) *Client {
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: strings.TrimRight(o.URL, "/"), namespace: o.Namespace, key: o.Key, hc: hc, tokenCache: o.TokenCache}
}

// Namespace returns the namespace the client acts as.
func (c *Client) Namespace() string { return c.namespace }

// Error is an error answer from the daemon, or a failure to reach it.
type Error struct {
	Status     int // 0 when the daemon could not be reached
	Code       string
	Message    string
	Candidates []string
	Offset     *int64
	Err        error
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return e.Message
	}
	msg := e.Message
	if len(e.Candidates) > 0 {
		msg += "\n  candidates:\n    " + strings.Join(e.Candidates, "\n    ")
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// IsCode reports whether err is an *Error with that code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// request is one API call.
type request struct {
	method  string
	path    string // escaped path, with query
	json    any    // body to encode, or nil
	body    io.Reader
	length  int64 // body length, or -1
	headers map[string]string
	trailer http.Header // request trailers (filled in by the body reader)
}

// do sends rq, authenticating first and once more after a 401, and returns
// the response for status 2xx. The caller closes its body.
func (c *Client) do(ctx context.Context, rq request) (*http.Response, error) {
	tok, err := c.authToken(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, rq, tok)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		// The token expired or was revoked: log in again. A request whose
		// body was streamed cannot be resent here; its caller resumes.
		if tok, err = c.authToken(ctx, true); err != nil {
			resp.Body.Close()
			return nil, err
		}
		if rq.body == nil {
			resp.Body.Close()
			resp, err = c.send(ctx, rq, tok)
		}
	}
	if err != nil {
		return nil, &Error{Message: fmt.Sprintf("cannot reach sfcas at %s: %v", c.base, rootCause(err)), Err: err}
	}
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotModified {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

func (c *Client) send(ctx context.Context, rq request, tok string) (*http.Response, error) {
	body := rq.body
	if rq.json != nil {
		b, err := json.Marshal(rq.json)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, c.base+rq.path, body)
	if err != nil {
		return nil, err
	}
	if rq.body != nil && rq.length >= 0 {
		req.ContentLength = rq.length
	}
	req.Trailer = rq.trailer
	if rq.json != nil {
		req.Header.Set("Content-Type", "application/json")
	} else if rq.body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	for k, v := range rq.headers {
		req.Header.Set(k, v)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("User-Agent", "sfcas-client")
	return c.hc.Do(req)
}

// authToken returns a cached token or logs in (POST /auth).
func (c *Client) authToken(ctx context.Context, fresh bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && !fresh {
		return c.token, nil
	}
	if !fresh {
		if tok := c.loadToken(time.Now()); tok != "" {
			c.token = tok
			return tok, nil
		}
	}
	if c.namespace == "" || len(c.key) == 0 {
		return "", &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
			Message: "no credentials: set SFCAS_NAMESPACE and SFCAS_KEY (or --key-file), or run as root on the node"}
	}
	resp, err := c.send(ctx, request{method: http.MethodPost, path: "/auth",
		json: map[string]string{"namespace": c.namespace, "key": string(c.key)}}, "")
	if err != nil {
		return "", &Error{Message: fmt.Sprintf("cannot reach sfcas at %s: %v", c.base, rootCause(err)), Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", decodeError(resp)
	}
	var t api.Token
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
		return "", fmt.Errorf("decoding token: %w", err)
	}
	c.token = t.AccessToken
	c.saveToken(t.AccessToken, time.Now().Add(time.Duration(t.ExpiresIn)*time.Second))
	return c.token, nil
}

func decodeError(resp *http.Response) error {
	var p api.Problem
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, &p) != nil || p.Detail == "" && p.Error == "" {
		return &Error{Status: resp.StatusCode, Code: "http_" + fmt.Sprint(resp.StatusCode), Message: resp.Status}
	}
	msg := p.Detail
	if msg == "" {
		msg = p.Error
	}
	return &Error{Status: resp.StatusCode, Code: p.Code, Message: msg, Candidates: p.Candidates, Offset: p.Offset}
}

// rootCause strips url.Error wrapping for a readable message.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// getJSON GETs path and decodes the answer into out.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	return c.call(ctx, request{method: http.MethodGet, path: path}, out)
}

// call sends rq and decodes a JSON answer into out (if not nil).
func (c *Client) call(ctx context.Context, rq request, out any) error {
	resp, err := c.do(ctx, rq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding answer of %s %s: %w", rq.method, rq.path, err)
	}
	return nil
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }
