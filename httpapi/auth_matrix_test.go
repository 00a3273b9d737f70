package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	"github.com/sfcas/sfcas/httpapi/api"
)

// TestAuth_NamespaceMatrix: namespace bob, authenticated, tries every route
// of both surfaces against namespace alice's private objects. Nothing may
// succeed, and no answer may contain an identifier of alice's objects;
// afterwards alice's objects are exactly as they were.
func TestAuth_NamespaceMatrix(t *testing.T) {
	db := catalogtest.Open(t)
	s := newTestServer(t, db)
	alice, bob := s.login("alice"), s.login("bob")

	secret := castest.RandomBytes(t, 70000)
	var pub api.Published
	if st, body := s.do(alice, http.MethodPost, "/v1/labels/alice/secret", secret, &pub); st != 200 {
		t.Fatalf("alice publishes: %d %s", st, body)
	}
	label, _ := db.ArtifactByName(t.Context(), catalogtest.System, "alice", "secret")
	blob, _ := db.Blob(t.Context(), catalogtest.System, label.Versions[0].Digest)
	if st, body := s.do(alice, http.MethodPut, "/blobs/"+blob.UUID.String()+"/metadata/owner", map[string]string{"value": "alice"}, nil); st != 200 {
		t.Fatalf("alice sets blob metadata: %d %s", st, body)
	}
	if st, body := s.do(alice, http.MethodPut, "/artifacts/"+label.UUID.String()+"/metadata/tier", map[string]string{"value": "gold"}, nil); st != 200 {
		t.Fatalf("alice sets artifact metadata: %d %s", st, body)
	}
	var up struct {
		UUID string `json:"uuid"`
	}
	if st, body := s.do(alice, http.MethodPost, "/upload", nil, &up); st != 200 {
		t.Fatalf("alice starts an upload: %d %s", st, body)
	}
	// bob's own blob, to try attaching to alice's label.
	var bobPub api.Published
	if st, body := s.do(bob, http.MethodPost, "/v1/labels/bob/mine", castest.RandomBytes(t, 1000), &bobPub); st != 200 {
		t.Fatalf("bob publishes: %d %s", st, body)
	}
	bobBlob := strings.TrimPrefix(bobPub.Version.Digest, "")
	bobUUID := ""
	if b, err := db.BlobByChecksum(t.Context(), catalogtest.System, catalog.AlgBLAKE3, strings.TrimPrefix(bobBlob, "blake3:")); err == nil {
		bobUUID = b.UUID.String()
	}

	a, bu, d := label.UUID.String(), blob.UUID.String(), blob.Digest.String()
	secrets := []string{a, bu, blob.Digest.Hex(), blob.SHA256, up.UUID, "secret", "gold"}
	type try struct {
		method, path string
		body         any
		list         bool // a listing: 200 is fine if alice's objects are absent
	}
	tries := []try{
		{"GET", "/auth/namespaces", nil, true},
		{"GET", "/auth/namespaces/alice", nil, false},
		{"DELETE", "/auth/namespaces/alice", nil, false},
		{"GET", "/auth/namespaces/alice/keys", nil, false},
		{"POST", "/auth/namespaces/alice/keys", map[string]string{"key_name": "evil", "key": "evil-key-123"}, false},
		{"PUT", "/auth/namespaces/alice/keys/k", map[string]string{"key": "evil-key-123"}, false},
		{"DELETE", "/auth/namespaces/alice/keys/k", nil, false},
		{"GET", "/blobs", nil, false},
		{"GET", "/blobs/" + bu, nil, false},
		{"GET", "/blobs/" + bu + "/data", nil, false},
		{"GET", "/blobs/" + bu + "/checksum/sha256", nil, false},
		{"GET", "/blob_checksums/sha256/" + blob.SHA256, nil, true},
		{"GET", "/blob_checksums/sha512/" + blob.SHA512, nil, true},
		{"GET", "/blob_checksums/blake3/" + blob.Digest.Hex(), nil, true},
		{"GET", "/blobs/" + bu + "/events", nil, false},
		{"GET", "/blobs/" + bu + "/metadata", nil, false},
		{"POST", "/blobs/" + bu + "/metadata", map[string]string{"key": "owner", "value": "bob"}, false},
		{"PUT", "/blobs/" + bu + "/metadata/owner", map[string]string{"value": "bob"}, false},
		{"DELETE", "/blobs/" + bu + "/metadata/owner", nil, false},
		{"GET", "/artifacts", nil, true},
		{"POST", "/artifacts", map[string]any{"url": "http://127.0.0.1:9/secret", "namespace": "alice"}, false},
		{"DELETE", "/artifacts", map[string]any{"confirm": true, "namespace": "alice"}, true},
		{"GET", "/artifacts/" + a, nil, false},
		{"GET", "/artifacts/alice%2Fsecret", nil, false},
		{"GET", "/artifacts/secret", map[string]string{"namespace": "alice"}, false},
		{"DELETE", "/artifacts/" + a, nil, false},
		{"GET", "/artifacts/" + a + "/versions", nil, false},
		{"DELETE", "/artifacts/" + a + "/versions/1", nil, false},
		{"GET", "/artifacts/" + a + "/events", nil, false},
		{"GET", "/artifacts/" + a + "/metadata", nil, false},
		{"PUT", "/artifacts/" + a + "/metadata/tier", map[string]string{"value": "lead"}, false},
		{"DELETE", "/artifacts/" + a + "/metadata/tier", nil, false},
		{"POST", "/artifacts/" + a + "/metadata", map[string]string{"key": "tier", "value": "lead"}, false},
		{"POST", "/artifacts/" + a + "/versions", map[string]int{"max_versions": 1}, false},
		{"POST", "/artifacts/" + a + "/share", nil, false},
		{"POST", "/artifacts/" + a + "/unshare", nil, false},
		{"POST", "/artifacts/upload/stolen", map[string]string{"blob_uuid": bu}, false},
		{"POST", "/artifacts/upload/stolen", map[string]string{"upload_uuid": up.UUID}, false},
		{"POST", "/artifacts/upload/secret", map[string]string{"blob_uuid": bobUUID, "namespace": "alice"}, false},
		{"GET", "/label/alice/secret", nil, false},
		{"POST", "/label/alice/secret", map[string]string{"blob_uuid": bobUUID}, false},
		{"DELETE", "/label/alice/secret", nil, false},
		{"POST", "/label/stolen", map[string]string{"blob_uuid": bu}, false},
		{"GET", "/upload/" + up.UUID, nil, false},
		{"POST", "/upload/" + up.UUID, []byte("injected"), false},
		{"DELETE", "/upload/" + up.UUID, nil, false},
		{"POST", "/upload/" + up.UUID + "/truncate/0", nil, false},
		{"GET", "/v1/resolve?ref=alice/secret", nil, false},
		{"GET", "/v1/resolve?ref=" + d, nil, false},
		{"GET", "/v1/resolve?ref=sha256:" + blob.SHA256, nil, false},
		{"GET", "/v1/resolve?ref=sf://blob/" + bu, nil, false},
		{"GET", "/v1/resolve?ref=sf://artifact/" + a, nil, false},
		{"GET", "/v1/resolve?ref=sf://upload/" + up.UUID, nil, false},
		{"GET", "/v1/resolve?ref=" + a, nil, false},
		{"POST", "/v1/labels/alice/secret", []byte("overwrite"), false},
		{"POST", "/v1/labels/alice/secret", map[string]string{"ref": "bob/mine"}, false},
		{"POST", "/v1/labels/bob/stolen", map[string]string{"ref": d}, false},
		{"POST", "/v1/labels/bob/stolen", map[string]string{"ref": "alice/secret"}, false},
		{"POST", "/v1/labels/bob/stolen", map[string]string{"upload": up.UUID}, false},
		{"GET", "/v1/labels/alice/secret", nil, false},
		{"GET", "/v1/labels/alice/secret/history", nil, false},
		{"HEAD", "/v1/uploads/" + up.UUID, nil, false},
		{"GET", "/v1/uploads/" + up.UUID, nil, false},
		{"DELETE", "/v1/uploads/" + up.UUID, nil, false},
		{"GET", "/v1/blobs/" + d, nil, false},
		{"GET", "/v1/blobs/sha256:" + blob.SHA256, nil, false},
		{"GET", "/v1/blobs/" + d + "/data", nil, false},
		{"POST", "/v1/fsck", map[string]bool{"repair": true}, false},
		{"POST", "/v1/gc", nil, false},
		{"POST", "/v1/scrub", nil, false},
		{"GET", "/v1/namespaces/alice/usage", nil, false},
		{"PUT", "/v1/namespaces/alice/quota", map[string]int{"bytes": 1}, false},
		{"PUT", "/v1/namespaces/bob/quota", map[string]int{"bytes": 1 << 40}, false},
	}
	for _, tr := range tries {
		st, body := s.do(bob, tr.method, tr.path, tr.body, nil)
		if st < 300 && !tr.list {
			t.Errorf("bob %s %s: %d %s", tr.method, tr.path, st, body)
		}
		if st >= 500 {
			t.Errorf("bob %s %s: %d %s", tr.method, tr.path, st, body)
		}
		sent := tr.path + fmt.Sprint(tr.body)
		for _, sec := range secrets {
			if sec != "" && strings.Contains(body, sec) && !strings.Contains(sent, sec) {
				t.Errorf("bob %s %s: the answer reveals %q: %s", tr.method, tr.path, sec, body)
			}
		}
	}
	// alice's objects are as they were.
	after, err := db.ArtifactByName(t.Context(), catalogtest.System, "alice", "secret")
	if err != nil || len(after.Versions) != 1 || after.Versions[0].Digest != blob.Digest || after.Shared || string(after.Metadata["tier"]) != `"gold"` || after.MaxVersions != label.MaxVersions {
		t.Fatalf("alice's label changed: %+v, %v", after, err)
	}
	if b, _ := db.Blob(t.Context(), catalogtest.System, blob.Digest); string(b.Metadata["owner"]) != `"alice"` || b.Refs != 1 {
		t.Fatalf("alice's blob changed: %+v", b)
	}
	if u, err := db.GetUpload(t.Context(), catalogtest.System, mustUUID(t, up.UUID)); err != nil || u.Size != 0 {
		t.Fatalf("alice's upload changed: %+v, %v", u, err)
	}
	if ns, _ := db.GetNamespace(t.Context(), catalogtest.System, "alice"); len(ns.Keys) != 1 {
		t.Fatalf("alice's keys changed: %v", ns.KeyNames())
	}
	if _, err := db.ArtifactByName(t.Context(), catalogtest.System, "bob", "stolen"); err == nil {
		t.Fatal("bob made a label of alice's bytes")
	}
}

// TestAuth_BadTokens: expired, forged (wrong key, alg none), revoked (key
// replaced, key deleted, secret rotated) and malformed tokens are refused
// with 401 on every surface.
func TestAuth_BadTokens(t *testing.T) {
	db := catalogtest.Open(t)
	s := newTestServer(t, db)
	good := s.login("carol")
	_, gen, err := db.Authenticate(t.Context(), "carol", []byte("key-of-carol"))
	if err != nil {
		t.Fatal(err)
	}
	mint := func(method jwt.SigningMethod, key any, exp time.Time, g uint64) string {
		tok, err := jwt.NewWithClaims(method, jwt.MapClaims{"ns": "carol", "key": "k", "gen": g, "iss": "sfcas",
			"sub": "carol:k", "exp": exp.Unix(), "iat": time.Now().Unix()}).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	secret := db.TokenSecret()
	soon := time.Now().Add(time.Hour)
	check := func(what, tok string, want int) {
		t.Helper()
		for _, path := range []string{"/artifacts", "/v1/labels/carol/x", "/upload/00000000-0000-4000-8000-000000000000"} {
			if st, body := s.do(tok, http.MethodGet, path, nil, nil); (st == http.StatusUnauthorized) != (want == http.StatusUnauthorized) {
				t.Errorf("%s token, GET %s: %d %s", what, path, st, body)
			}
		}
	}
	check("valid", good, 200)
	check("self-minted valid", mint(jwt.SigningMethodHS256, secret, soon, gen), 200)
	check("expired", mint(jwt.SigningMethodHS256, secret, time.Now().Add(-time.Minute), gen), http.StatusUnauthorized)
	check("wrong key", mint(jwt.SigningMethodHS256, []byte("guessed secret"), soon, gen), http.StatusUnauthorized)
	check("alg none", mint(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, soon, gen), http.StatusUnauthorized)
	check("HS512", mint(jwt.SigningMethodHS512, secret, soon, gen), http.StatusUnauthorized)
	check("other generation", mint(jwt.SigningMethodHS256, secret, soon, gen+1), http.StatusUnauthorized)
	check("garbage", "not.a.token", http.StatusUnauthorized)
	check("none", "", http.StatusUnauthorized)
	if st, _ := s.do("", http.MethodPost, "/auth", map[string]string{"namespace": "carol", "key": "wrong-key-1"}, nil); st != http.StatusUnauthorized {
		t.Errorf("wrong key at /auth: %d", st)
	}
	// Revocation: replacing the key, deleting it, rotating the secret.
	if err := db.SetKey(t.Context(), catalogtest.System, "carol", "k", []byte("key-of-carol-2")); err != nil {
		t.Fatal(err)
	}
	check("revoked by key replacement", good, http.StatusUnauthorized)
	good = s.loginAgain("carol", "key-of-carol-2")
	check("fresh", good, 200)
	if err := db.DeleteKey(t.Context(), catalogtest.System, "carol", "k"); err != nil {
		t.Fatal(err)
	}
	check("revoked by key deletion", good, http.StatusUnauthorized)
	sysTok := s.login(catalog.SystemNamespace)
	check("system", sysTok, 200)
	if err := db.RotateTokenSecret(); err != nil {
		t.Fatal(err)
	}
	check("revoked by secret rotation", sysTok, http.StatusUnauthorized)
}

func (s *testServer) loginAgain(ns, secret string) string {
	s.t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if st, body := s.do("", http.MethodPost, "/auth", map[string]string{"namespace": ns, "key": secret}, &tok); st != 200 {
		s.t.Fatalf("auth %s: %d %s", ns, st, body)
	}
	return tok.AccessToken
}
