package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// FuzzParseRange: a Range header either selects a non-empty window inside
// the representation, is ignored, or is unsatisfiable.
func FuzzParseRange(f *testing.F) {
	for _, h := range []string{"", "bytes=0-0", "bytes=0-", "bytes=-1", "bytes=5-2", "bytes=-0", "bytes=9223372036854775807-",
		"bytes=1-9223372036854775807", "bytes=0-1,2-3", "items=0-1", "bytes= 3 - 4", "bytes=-99999999999999999999"} {
		f.Add(h, int64(100))
		f.Add(h, int64(0))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		start, n, ok, err := parseRange(h, size)
		if err != nil {
			if !errors.Is(err, errRange) || ok {
				t.Fatalf("parseRange(%q, %d): %v, ok %v", h, size, err, ok)
			}
			return
		}
		if ok && (start < 0 || n <= 0 || start > size-n) {
			t.Fatalf("parseRange(%q, %d) = [%d, +%d) outside the representation", h, size, start, n)
		}
	})
}

// compatBody has the shapes of the compatible surface's bodies: optional
// strings, flexible integers, booleans and raw values.
type compatBody struct {
	UploadUUID  *string         `json:"upload_uuid"`
	BlobUUID    *string         `json:"blob_uuid"`
	Namespace   *string         `json:"namespace"`
	Shared      bool            `json:"shared"`
	MaxVersions flexInt         `json:"max_versions"`
	Limit       flexInt         `json:"limit"`
	Value       json.RawMessage `json:"value"`
}

// FuzzDecodeBody: any body either decodes or is a 4xx error with a message
// of our own; nothing panics and nothing becomes a 500.
func FuzzDecodeBody(f *testing.F) {
	for _, b := range []string{``, `null`, `{}`, `{"max_versions":"3"}`, `{"max_versions":3.5}`, `{"limit":null}`,
		`{"upload_uuid":"x","extra":1}`, `{"value":{"a":[1,2]}}`, `[1]`, `{"shared":true}{}`, `{"namespace":`, "\xff\xfe"} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/artifacts/upload/x", bytes.NewReader(body))
		var v compatBody
		err := decodeBody(r, &v)
		if err == nil {
			return
		}
		status, _ := statusFor(err)
		if status < 400 || status >= 500 {
			t.Fatalf("decodeBody(%q): status %d for %v", body, status, err)
		}
	})
}

// fuzzServer is a server on a real catalog with one blob in a label.
func fuzzServer(f *testing.F) (*Server, catalog.Blob, []byte) {
	db := catalogtest.Open(f)
	data := make([]byte, 3000)
	rand.Read(data)
	_, b := catalogtest.Publish(f, db, catalogtest.System, catalog.TypeLabel, "fuzz", data)
	return New(Options{DB: db}), b, data
}

// FuzzParseToken: only the token the server minted authenticates, and only
// as whom it was minted for; every other string is ErrUnauthenticated.
func FuzzParseToken(f *testing.F) {
	s, _, _ := fuzzServer(f)
	if err := s.db.SetKey(f.Context(), catalogtest.System, catalog.SystemNamespace, "test", []byte("fuzz-key-123")); err != nil {
		f.Fatal(err)
	}
	c, gen, err := s.db.Authenticate(f.Context(), catalog.SystemNamespace, []byte("fuzz-key-123"))
	if err != nil {
		f.Fatal(err)
	}
	good, err := s.issueToken(c, gen)
	if err != nil {
		f.Fatal(err)
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims{Namespace: "system", Key: "test", Gen: gen,
		RegisteredClaims: jwt.RegisteredClaims{Issuer: tokenIssuer}}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{Namespace: "system", Key: "test", Gen: gen,
		RegisteredClaims: jwt.RegisteredClaims{Issuer: tokenIssuer}}).SignedString([]byte("not the secret"))
	for _, tok := range []string{good, none, forged, "", "a.b.c", good + "x", good[:len(good)-2]} {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := s.parseToken(t.Context(), raw)
		if err != nil {
			if !errors.Is(err, catalog.ErrUnauthenticated) {
				t.Fatalf("parseToken: %v is not ErrUnauthenticated", err)
			}
			return
		}
		if raw != good || got != c {
			t.Fatalf("parseToken accepted %q as %+v", raw, got)
		}
	})
}

// FuzzBlobWindow requests a blob's data with arbitrary offset, limit and
// Range: the answer is either an error below 500 or exactly the bytes of
// the window asked for.
func FuzzBlobWindow(f *testing.F) {
	s, b, data := fuzzServer(f)
	for _, c := range []struct {
		off, lim string
		rng      string
	}{{"0", "0", ""}, {"10", "100", ""}, {"2999", "", "bytes=0-"}, {"3000", "", ""}, {"3001", "", ""}, {"-1", "", ""},
		{"5", "10", "bytes=-3"}, {"", "", "bytes=2990-5000"}, {"x", "", ""}, {"0", "9223372036854775807", "bytes=1-1"}} {
		f.Add(c.off, c.lim, c.rng)
	}
	f.Fuzz(func(t *testing.T, off, lim, rng string) {
		r := httptest.NewRequest(http.MethodGet, "/blobs/"+b.UUID.String()+"/data?offset="+url.QueryEscape(off)+"&limit="+url.QueryEscape(lim), nil)
		r.SetPathValue("uuid", b.UUID.String())
		if rng != "" {
			r.Header.Set("Range", rng)
		}
		w := httptest.NewRecorder()
		if err := s.getBlobData(w, r, catalogtest.System); err != nil {
			if status, _ := statusFor(err); status >= 500 {
				t.Fatalf("offset %q limit %q range %q: %d %v", off, lim, rng, status, err)
			}
			return
		}
		if w.Code != http.StatusOK && w.Code != http.StatusPartialContent {
			t.Fatalf("status %d", w.Code)
		}
		body, _ := io.ReadAll(w.Body)
		if !bytes.Contains(data, body) {
			t.Fatalf("offset %q limit %q range %q: %d bytes that are not a window of the blob", off, lim, rng, len(body))
		}
		var o, l int64
		fmt.Sscan(off, &o)
		fmt.Sscan(lim, &l)
		if rng == "" && len(body) > 0 && !bytes.Equal(body, data[o:o+int64(len(body))]) {
			t.Fatalf("offset %d: wrong window", o)
		}
	})
}
