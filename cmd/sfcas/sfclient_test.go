package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// sfClient speaks HTTP exactly as the Shaken Fist Python client
// (shakenfist_client.apiclient) does: the base URL and path are joined as
// strings, parameters travel as an indented JSON body with sorted keys on
// every method (GET and DELETE included) except blob data's offset/limit,
// only 200 and 202 count as success, every answer is parsed as JSON, and a
// 401 triggers one re-authentication and one retry.
type sfClient struct {
	t         testing.TB
	base      string
	namespace string
	key       string
	token     string
	hc        http.Client
}

func newSFClient(t testing.TB, base, ns, key string) *sfClient {
	return &sfClient{t: t, base: base, namespace: ns, key: key}
}

// sfError is a non-success answer: the status and the parsed error body.
type sfError struct {
	Status int
	Body   map[string]any
	Raw    string
}

func (e *sfError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Raw) }

func (c *sfClient) authenticate() error {
	body, _ := json.Marshal(map[string]string{"namespace": c.namespace, "key": c.key})
	req, _ := http.NewRequest("POST", c.base+"/auth", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return &sfError{Status: resp.StatusCode, Raw: string(raw)}
	}
	var tok map[string]any
	if err := json.Unmarshal(raw, &tok); err != nil {
		return err
	}
	c.token, _ = tok["access_token"].(string)
	return nil
}

// request sends one call; data is a JSON-able value (nil or empty map: no
// body) or []byte sent as application/octet-stream.
func (c *sfClient) request(method, path string, data any) (*http.Response, error) {
	if c.token == "" {
		if err := c.authenticate(); err != nil {
			return nil, err
		}
	}
	resp, err := c.send(method, path, data)
	if err == nil && resp.StatusCode == 401 {
		resp.Body.Close()
		if err := c.authenticate(); err != nil {
			return nil, err
		}
		resp, err = c.send(method, path, data)
	}
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 && resp.StatusCode != 202 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		e := &sfError{Status: resp.StatusCode, Raw: string(raw)}
		json.Unmarshal(raw, &e.Body)
		return nil, e
	}
	return resp, nil
}

func (c *sfClient) send(method, path string, data any) (*http.Response, error) {
	var body io.Reader
	ctype := ""
	switch d := data.(type) {
	case nil:
	case []byte:
		body, ctype = bytes.NewReader(d), "application/octet-stream"
	case map[string]any:
		if len(d) > 0 {
			b, _ := json.MarshalIndent(d, "", "    ")
			body, ctype = bytes.NewReader(b), "application/json"
		}
	default:
		b, _ := json.MarshalIndent(d, "", "    ")
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (Ubuntu; Linux x86_64) Shaken Fist/0.8")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.hc.Do(req)
}

// call sends a request and decodes the JSON answer (like r.json()).
func (c *sfClient) call(method, path string, data any) (any, error) {
	resp, err := c.request(method, path, data)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s %s: answer is not JSON: %q", method, path, clipBytes(raw))
	}
	return v, nil
}

// must is call that fails the test on error and returns an object.
func (c *sfClient) must(method, path string, data any) map[string]any {
	c.t.Helper()
	v, err := c.call(method, path, data)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.t.Fatalf("%s %s: answer %v is not an object", method, path, v)
	}
	return m
}

// sendUploadFile mirrors send_upload_file: chunks that grow toward 2 MiB;
// after a failed chunk, truncate to the acknowledged total and resend.
// failAt, if >= 0, makes the chunk starting at that offset be sent with a
// corrupted tail first and then truncated away, exercising the retry path.
func (c *sfClient) sendUploadFile(uploadUUID string, data []byte, failAt int) {
	c.t.Helper()
	buffer, total := 4096, 0
	failed := false
	for total < len(data) {
		end := min(total+buffer, len(data))
		chunk := data[total:end]
		if !failed && failAt >= 0 && total >= failAt {
			// A chunk whose acknowledgement was lost: the bytes landed, the
			// client does not know; it truncates back and resends.
			if _, err := c.call("POST", "/upload/"+uploadUUID, append([]byte("garbage"), chunk...)); err != nil {
				c.t.Fatal(err)
			}
			if _, err := c.call("POST", fmt.Sprintf("/upload/%s/truncate/%d", uploadUUID, total), nil); err != nil {
				c.t.Fatalf("truncate: %v", err)
			}
			failed = true
		}
		v, err := c.call("POST", "/upload/"+uploadUUID, chunk)
		if err != nil {
			c.t.Fatalf("send chunk at %d: %v", total, err)
		}
		total = end
		if got, ok := v.(float64); !ok || int(got) != total {
			c.t.Fatalf("send_upload answered %v, want the new total %d", v, total)
		}
		buffer = min(buffer*2, 2<<20)
	}
}

// blobData mirrors get_blob_data with blob-data-limit: ranged reads of at
// most limit bytes until a short one.
func (c *sfClient) blobData(blobUUID string, offset, limit int) []byte {
	c.t.Helper()
	var out []byte
	for {
		resp, err := c.request("GET", fmt.Sprintf("/blobs/%s/data?offset=%d&limit=%d", blobUUID, offset, limit), nil)
		if err != nil {
			c.t.Fatalf("blob data at %d: %v", offset, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			c.t.Fatal(err)
		}
		out = append(out, b...)
		offset += len(b)
		if len(b) < limit {
			return out
		}
	}
}
