package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// asSFError fails unless err is an HTTP error with one of the statuses and a
// JSON body carrying error, status and code.
func asSFError(t testing.TB, err error, statuses ...int) *sfError {
	t.Helper()
	var e *sfError
	if !errors.As(err, &e) {
		t.Fatalf("want an HTTP error %v, got %v", statuses, err)
	}
	ok := false
	for _, s := range statuses {
		ok = ok || e.Status == s
	}
	if !ok {
		t.Fatalf("status %d (%s), want %v", e.Status, e.Raw, statuses)
	}
	if e.Body["error"] == nil || e.Body["code"] == nil || int(e.Body["status"].(float64)) != e.Status {
		t.Fatalf("error body %s lacks error/status/code", e.Raw)
	}
	return e
}

// TestCompat_ShakenFistFlows drives the Shaken Fist storage flows over HTTP
// against a real daemon, as the Python client does.
func TestCompat_ShakenFistFlows(t *testing.T) {
	d := startDaemon(t, "")
	sf := newSFClient(t, d.url, "system", d.systemKey())

	// The capability probe needs no token and is searched as text.
	resp, err := http.Get(d.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, tok := range []string{"blob-search-by-hash", "blob-data-limit", "artifact-upload-types", "artifact-metadata", "blob-metadata", "events-by-type"} {
		if !bytes.Contains(page, []byte(tok)) {
			t.Fatalf("capability %q missing from GET /", tok)
		}
	}

	// Upload in growing chunks, with one lost acknowledgement repaired by
	// truncate-and-resend, then turn it into an image artifact.
	data := randomBytes(t, 5<<20+123)
	up := sf.must("POST", "/upload", nil)
	id := up["uuid"].(string)
	if up["node"] == nil {
		t.Fatal("upload has no node")
	}
	sf.sendUploadFile(id, data, 1<<20)
	art := sf.must("POST", "/artifacts/upload/debian:12", map[string]any{"upload_uuid": id, "namespace": nil, "shared": false, "source_url": nil})
	if art["artifact_type"] != "image" || art["state"] != "created" || art["index"].(float64) != 1 {
		t.Fatalf("artifact from upload: %v", art)
	}
	blobUUID := art["blob_uuid"].(string)
	blobs := art["blobs"].(map[string]any)
	if v, ok := blobs["1"].(map[string]any); !ok || v["uuid"] != blobUUID || int(v["size"].(float64)) != len(data) {
		t.Fatalf("blobs map %v", blobs)
	}

	// The blob reads back whole, by ranged offset/limit, and with Range.
	if got := sf.blobData(blobUUID, 0, 1<<20); !bytes.Equal(got, data) {
		t.Fatal("blob data (offset/limit loop) differs from the upload")
	}
	if got := sf.blobData(blobUUID, len(data)-10, 1<<20); !bytes.Equal(got, data[len(data)-10:]) {
		t.Fatal("blob data from an offset differs")
	}
	if got := sf.blobData(blobUUID, len(data), 1<<20); len(got) != 0 {
		t.Fatal("blob data at offset == size is not empty")
	}
	req, _ := http.NewRequest("GET", d.url+"/blobs/"+blobUUID+"/data", nil)
	req.Header.Set("Authorization", "Bearer "+sf.token)
	req.Header.Set("Range", "bytes=100-199")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || !bytes.Equal(part, data[100:200]) || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(data)) {
		t.Fatalf("Range: status %d, %d bytes, Content-Range %q", resp.StatusCode, len(part), resp.Header.Get("Content-Range"))
	}
	etag := resp.Header.Get("ETag")
	req.Header.Del("Range")
	req.Header.Set("If-None-Match", etag)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 304 {
		t.Fatalf("If-None-Match %s: %v %v", etag, resp.StatusCode, err)
	}
	resp.Body.Close()

	// Search by checksum: a hit, and 200 null for a miss.
	sum := sha512.Sum512(data)
	hit := sf.must("GET", "/blob_checksums/sha512/"+hex.EncodeToString(sum[:]), nil)
	if hit["uuid"] != blobUUID || hit["reference_count"].(float64) != 1 {
		t.Fatalf("checksum hit %v", hit)
	}
	miss, err := sf.call("GET", "/blob_checksums/sha512/"+strings.Repeat("ab", 64), nil)
	if err != nil || miss != nil {
		t.Fatalf("checksum miss: %v, %v", miss, err)
	}

	// Label the blob; read the label and the artifact's versions.
	label := sf.must("POST", "/label/debian-12-prod", map[string]any{"blob_uuid": blobUUID})
	if label["artifact_type"] != "label" || label["source_url"] != "sf://label/system/debian-12-prod" || label["blob_uuid"] != blobUUID {
		t.Fatalf("label update: %v", label)
	}
	if got := sf.must("GET", "/label/system/debian-12-prod", nil); got["uuid"] != label["uuid"] {
		t.Fatal("GET /label/{ns}/{name} returns another artifact")
	}
	if got := sf.must("GET", "/artifacts/debian-12-prod", nil); got["uuid"] != label["uuid"] {
		t.Fatal("artifact by name returns another artifact")
	}
	vers, err := sf.call("GET", "/artifacts/"+art["uuid"].(string)+"/versions", nil)
	if err != nil || len(vers.([]any)) != 1 || vers.([]any)[0].(map[string]any)["index"].(float64) != 1 {
		t.Fatalf("versions: %v %v", vers, err)
	}

	// Metadata on artifacts and blobs.
	for _, base := range []string{"/artifacts/" + art["uuid"].(string), "/blobs/" + blobUUID} {
		if _, err := sf.call("PUT", base+"/metadata/owner", map[string]any{"value": "team-a"}); err != nil {
			t.Fatalf("PUT %s metadata: %v", base, err)
		}
		md := sf.must("GET", base+"/metadata", nil)
		if md["owner"] != "team-a" {
			t.Fatalf("%s metadata %v", base, md)
		}
		if _, err := sf.call("DELETE", base+"/metadata/owner", nil); err != nil {
			t.Fatal(err)
		}
		if md := sf.must("GET", base+"/metadata", nil); len(md) != 0 {
			t.Fatalf("%s metadata after delete %v", base, md)
		}
	}

	// Events, filtered by type with a string limit (as the CLI sends it).
	evs, err := sf.call("GET", "/artifacts/"+label["uuid"].(string)+"/events", map[string]any{"event_type": "mutate", "limit": "5"})
	if err != nil || len(evs.([]any)) != 1 {
		t.Fatalf("label events: %v %v", evs, err)
	}
	ev := evs.([]any)[0].(map[string]any)
	for _, k := range []string{"timestamp", "fqdn", "duration", "message", "extra", "event_type"} {
		if _, ok := ev[k]; !ok {
			t.Fatalf("event lacks %q: %v", k, ev)
		}
	}
	if evs, err := sf.call("GET", "/blobs/"+blobUUID+"/events", nil); err != nil || len(evs.([]any)) == 0 {
		t.Fatalf("blob events: %v %v", evs, err)
	}

	// max_versions reaping frees refcounts.
	var uuids []string
	for i := range 3 {
		up := sf.must("POST", "/upload", nil)
		sf.sendUploadFile(up["uuid"].(string), []byte(fmt.Sprintf("version %d of the image", i)), -1)
		a := sf.must("POST", "/artifacts/upload/debian:12", map[string]any{"upload_uuid": up["uuid"], "shared": false})
		uuids = append(uuids, a["blob_uuid"].(string))
	}
	a := sf.must("GET", "/artifacts/debian:12", nil)
	if len(a["blobs"].(map[string]any)) != 3 || a["index"].(float64) != 4 {
		t.Fatalf("after 4 uploads with max_versions 3: %v", a)
	}
	if _, err := sf.call("POST", "/artifacts/debian:12/versions", map[string]any{"max_versions": 1}); err != nil {
		t.Fatal(err)
	}
	for i, u := range uuids[:2] {
		if b := sf.must("GET", "/blobs/"+u, nil); b["reference_count"].(float64) != 0 {
			t.Fatalf("reaped version %d still has refcount %v", i, b["reference_count"])
		}
	}
	if b := sf.must("GET", "/blobs/"+blobUUID, nil); b["reference_count"].(float64) != 1 {
		t.Fatalf("labelled blob refcount %v, want 1 (the label)", b["reference_count"])
	}
	if _, err := sf.call("DELETE", "/artifacts/debian:12/versions/4", nil); err != nil {
		t.Fatal(err)
	}
}

// TestCompat_NamespaceIsolation: namespace B cannot read, change or find by
// checksum namespace A's private blob or label.
func TestCompat_NamespaceIsolation(t *testing.T) {
	d := startDaemon(t, "")
	sys := newSFClient(t, d.url, "system", d.systemKey())
	for _, ns := range []string{"alice", "bob"} {
		sys.must("POST", "/auth/namespaces", map[string]any{"namespace": ns, "key_name": "k", "key": ns + "-secret-key"})
	}
	alice := newSFClient(t, d.url, "alice", "alice-secret-key")
	bob := newSFClient(t, d.url, "bob", "bob-secret-key")

	secret := randomBytes(t, 70000)
	up := alice.must("POST", "/upload", nil)
	alice.sendUploadFile(up["uuid"].(string), secret, -1)
	art := alice.must("POST", "/artifacts/upload/private", map[string]any{"upload_uuid": up["uuid"]})
	blob := art["blob_uuid"].(string)
	label := alice.must("POST", "/label/private-label", map[string]any{"blob_uuid": blob})
	sum := sha512.Sum512(secret)

	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/artifacts/" + art["uuid"].(string), nil},
		{"GET", "/artifacts/" + label["uuid"].(string), nil},
		{"GET", "/label/alice/private-label", nil},
		{"GET", "/blobs/" + blob, nil},
		{"GET", "/blobs/" + blob + "/data", nil},
		{"GET", "/blobs/" + blob + "/metadata", nil},
		{"GET", "/artifacts/" + art["uuid"].(string) + "/events", nil},
		{"DELETE", "/artifacts/" + art["uuid"].(string), nil},
		{"POST", "/label/alice/private-label", map[string]any{"blob_uuid": blob}},
		{"POST", "/label/bob-copy", map[string]any{"blob_uuid": blob}},
		{"POST", "/artifacts/upload/stolen", map[string]any{"blob_uuid": blob}},
		{"PUT", "/blobs/" + blob + "/metadata/x", map[string]any{"value": "y"}},
		{"POST", "/upload/" + up["uuid"].(string), []byte("x")},
	} {
		_, err := bob.call(c.method, c.path, c.body)
		asSFError(t, err, 403, 404)
	}
	if v, err := bob.call("GET", "/blob_checksums/sha512/"+hex.EncodeToString(sum[:]), nil); err != nil || v != nil {
		t.Fatalf("bob found alice's blob by checksum: %v %v", v, err)
	}
	if list, err := bob.call("GET", "/artifacts", nil); err != nil || len(list.([]any)) != 0 {
		t.Fatalf("bob lists %v (%v)", list, err)
	}
	if _, err := bob.call("GET", "/blobs", nil); err == nil {
		t.Fatal("bob listed all blobs")
	}
	// Alice still has everything.
	if got := alice.blobData(blob, 0, 1<<20); !bytes.Equal(got, secret) {
		t.Fatal("alice's blob changed")
	}
}

// TestCompat_CacheArtifact: POST /artifacts {"url"} (cache_artifact) makes
// an image artifact at once and fetches it in the background; a failing
// URL ends in state error with a typed reason.
func TestCompat_CacheArtifact(t *testing.T) {
	img := randomBytes(t, 3<<20)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/images/debian-12.qcow2" {
			http.NotFound(w, r)
			return
		}
		w.Write(img)
	}))
	defer origin.Close()
	d := startDaemon(t, "")
	sf := newSFClient(t, d.url, "system", d.systemKey())

	a := sf.must("POST", "/artifacts", map[string]any{"url": origin.URL + "/images/debian-12.qcow2", "shared": false, "namespace": nil})
	if a["state"] != "initial" || a["source_url"] != origin.URL+"/images/debian-12.qcow2" {
		t.Fatalf("cache_artifact answered %v", a)
	}
	waitState := func(id, want string) map[string]any {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got := sf.must("GET", "/artifacts/"+id, nil); got["state"] == want {
				return got
			}
		}
		t.Fatalf("artifact %s never reached state %s", id, want)
		return nil
	}
	got := waitState(a["uuid"].(string), "created")
	if got["index"].(float64) != 1 || !bytes.Equal(sf.blobData(got["blob_uuid"].(string), 0, 1<<30), img) {
		t.Fatalf("fetched artifact %v holds other bytes", got)
	}

	bad := sf.must("POST", "/artifacts", map[string]any{"url": origin.URL + "/images/missing.qcow2"})
	failed := waitState(bad["uuid"].(string), "error")
	if !strings.Contains(failed["error"].(string), "origin_error") || len(failed["blobs"].(map[string]any)) != 0 {
		t.Fatalf("failed fetch: %v", failed)
	}
	if _, err := sf.call("POST", "/artifacts", map[string]any{"url": "file:///etc/shadow"}); err == nil {
		t.Fatal("a file:// URL was accepted")
	} else {
		asSFError(t, err, 400)
	}
}
