package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// raw sends a request with exactly this body and content type.
func raw(t *testing.T, method, u, token, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestBadInput_ClearErrors sends malformed, oversized and hostile requests:
// each gets a 4xx JSON error with a code, never a 500, and nothing is
// created.
func TestBadInput_ClearErrors(t *testing.T) {
	d := startDaemon(t, "", "--token-ttl", "2s")
	sf := newSFClient(t, d.url, "system", d.systemKey())
	if err := sf.authenticate(); err != nil {
		t.Fatal(err)
	}
	tok := sf.token
	up := sf.must("POST", "/upload", nil)
	upID := up["uuid"].(string)
	sf.sendUploadFile(upID, []byte("twelve bytes"), -1)
	decl := sf.must("POST", "/upload", map[string]any{"size": 1000})
	sf.sendUploadFile(decl["uuid"].(string), []byte("only 20 of 1000 byte"), -1)

	long := strings.Repeat("x", 10<<10)
	j := "application/json"
	cases := []struct {
		name, method, path, ctype string
		body                      string
		status                    int
	}{
		{"malformed JSON", "POST", "/label/x", j, `{"blob_uuid": `, 400},
		{"JSON array", "POST", "/label/x", j, `["a"]`, 400},
		{"unknown key", "POST", "/label/x", j, `{"blob_uuid": "x", "colour": "red"}`, 400},
		{"unknown key on GET", "GET", "/artifacts", j, `{"nod": null}`, 400},
		{"wrong type", "POST", "/label/x", j, `{"blob_uuid": 7}`, 400},
		{"trailing data", "POST", "/auth/namespaces", j, `{"namespace": "a"} {}`, 400},
		{"huge body", "POST", "/auth/namespaces", j, `{"namespace": "` + strings.Repeat("a", 2<<20) + `"}`, 413},
		{"negative offset", "GET", "/blobs/00000000-0000-8000-8000-000000000000/data?offset=-1", "", "", 400},
		{"non-numeric offset", "GET", "/blobs/00000000-0000-8000-8000-000000000000/data?offset=1e99", "", "", 400},
		{"negative limit", "GET", "/blobs/00000000-0000-8000-8000-000000000000/data?limit=-5", "", "", 400},
		{"bad blob uuid", "GET", "/blobs/not-a-uuid", "", "", 400},
		{"truncate negative", "POST", "/upload/" + upID + "/truncate/-1", "", "", 400},
		{"truncate beyond end", "POST", "/upload/" + upID + "/truncate/99999999999", "", "", 400},
		{"truncate not a number", "POST", "/upload/" + upID + "/truncate/x", "", "", 400},
		{"label name ..", "POST", "/label/system/%2e%2e", j, `{"blob_uuid": "00000000-0000-8000-8000-000000000000"}`, 400},
		{"label path with ..", "POST", "/label/system/..", j, `{"blob_uuid": "00000000-0000-8000-8000-000000000000"}`, 404},
		{"v1 label name ..", "POST", "/v1/labels/system/%2e%2e", "application/octet-stream", "x", 400},
		{"label name with NUL", "POST", "/label/" + url.PathEscape("a\x00b"), j, `{"blob_uuid": "00000000-0000-8000-8000-000000000000"}`, 400},
		{"label name 10 KB", "POST", "/label/" + long, j, `{"blob_uuid": "00000000-0000-8000-8000-000000000000"}`, 400},
		{"label name with slash", "POST", "/artifacts/upload/" + url.PathEscape("a/b"), j, `{"upload_uuid": "` + upID + `"}`, 400},
		{"control character", "POST", "/artifacts/upload/" + url.PathEscape("a\tb"), j, `{"upload_uuid": "` + upID + `"}`, 400},
		{"namespace with slash", "POST", "/auth/namespaces", j, `{"namespace": "a/b"}`, 400},
		{"namespace 10 KB", "POST", "/auth/namespaces", j, `{"namespace": "` + long + `"}`, 400},
		{"both sources", "POST", "/artifacts/upload/x", j, `{"upload_uuid": "` + upID + `", "blob_uuid": "` + upID + `"}`, 400},
		{"unknown upload", "POST", "/artifacts/upload/x", j, `{"upload_uuid": "00000000-0000-4000-8000-000000000000"}`, 404},
		{"declared size not reached", "POST", "/artifacts/upload/short", j, `{"upload_uuid": "` + decl["uuid"].(string) + `"}`, 400},
		{"bad checksum algorithm", "GET", "/blob_checksums/md5/abc", "", "", 400},
		{"short checksum", "GET", "/blob_checksums/sha512/abc", "", "", 400},
		{"bad version index", "DELETE", "/artifacts/x/versions/one", "", "", 400},
		{"max_versions too big", "POST", "/artifacts/x/versions", j, `{"max_versions": 1000000}`, 400},
		{"unknown route", "GET", "/nope", "", "", 404},
		{"v1 bad ref", "GET", "/v1/resolve?ref=" + url.QueryEscape("https://evil.example/x"), "", "", 400},
		{"v1 bad digest", "GET", "/v1/blobs/blake3:zz", "", "", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := raw(t, c.method, d.url+c.path, tok, c.ctype, []byte(c.body))
			if status != c.status {
				t.Fatalf("status %d (%v), want %d", status, body, c.status)
			}
			if body["code"] == nil || body["error"] == nil {
				t.Fatalf("error body %v lacks code or error", body)
			}
		})
	}
	// Resuming an upload at an offset it is not at is a conflict that says
	// where it is.
	req, _ := http.NewRequest("POST", d.url+"/v1/labels/system/resumed", strings.NewReader("data"))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Upload-Key", "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5")
	req.Header.Set("Upload-Offset", "5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var prob map[string]any
	json.NewDecoder(resp.Body).Decode(&prob)
	resp.Body.Close()
	if resp.StatusCode != 404 && resp.StatusCode != 409 {
		t.Fatalf("resume of an unknown upload at offset 5: %d %v", resp.StatusCode, prob)
	}

	// None of the refused requests created anything.
	if list, err := sf.call("GET", "/artifacts", nil); err != nil || len(list.([]any)) != 0 {
		t.Fatalf("refused requests left artifacts: %v %v", list, err)
	}

	// Tokens: none, garbage, wrong signature, alg none, expired.
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	for name, bad := range map[string]string{"missing": "", "garbage": "x.y.z", "forged": forged, "alg none": none} {
		if status, body := raw(t, "GET", d.url+"/artifacts", bad, "", nil); status != 401 || body["code"] != "unauthorized" {
			t.Fatalf("%s token: %d %v", name, status, body)
		}
	}
	time.Sleep(3200 * time.Millisecond) // the token lives 2 s, plus 1 s leeway
	if status, _ := raw(t, "GET", d.url+"/artifacts", tok, "", nil); status != 401 {
		t.Fatalf("expired token: %d", status)
	}
	if status, body := raw(t, "POST", d.url+"/auth", "", j, []byte(`{"namespace": "system", "key": "wrong"}`)); status != 401 || body["code"] != "unauthorized" {
		t.Fatalf("wrong key: %d %v", status, body)
	}
	if !strings.Contains(d.logText(), `"status":401`) || strings.Contains(d.logText(), tok) {
		t.Fatal("the request log must record statuses and never tokens")
	}
}

// TestBadInput_RevokedToken: replacing a key revokes tokens minted with it.
func TestBadInput_RevokedToken(t *testing.T) {
	d := startDaemon(t, "")
	sys := newSFClient(t, d.url, "system", d.systemKey())
	sys.must("POST", "/auth/namespaces", map[string]any{"namespace": "ci", "key_name": "deploy", "key": "first-secret"})
	ci := newSFClient(t, d.url, "ci", "first-secret")
	if _, err := ci.call("GET", "/artifacts", nil); err != nil {
		t.Fatal(err)
	}
	old := ci.token
	if _, err := sys.call("PUT", "/auth/namespaces/ci/keys/deploy", map[string]any{"key": "second-secret"}); err != nil {
		t.Fatal(err)
	}
	if status, _ := raw(t, "GET", d.url+"/artifacts", old, "", nil); status != 401 {
		t.Fatalf("token of a replaced key: %d", status)
	}
	ci2 := newSFClient(t, d.url, "ci", "second-secret")
	if _, err := ci2.call("GET", "/artifacts", nil); err != nil {
		t.Fatalf("new key: %v", err)
	}
	// Older clients name the key in the body of PUT .../keys.
	if _, err := sys.call("PUT", "/auth/namespaces/ci/keys", map[string]any{"key_name": "deploy", "key": "third-secret"}); err != nil {
		t.Fatal(err)
	}
	if status, _ := raw(t, "GET", d.url+"/artifacts", ci2.token, "", nil); status != 401 {
		t.Fatalf("token of a key replaced through the older route: %d", status)
	}
}
