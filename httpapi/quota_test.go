package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// TestQuota_Answers507: a publish or an upload beyond a namespace's quota
// is insufficient_storage, and usage says why.
func TestQuota_Answers507(t *testing.T) {
	db := catalogtest.Open(t)
	s := newTestServer(t, db)
	sys, dave := s.login(catalog.SystemNamespace), s.login("dave")
	if st, body := s.do(sys, http.MethodPut, "/v1/namespaces/dave/quota", map[string]int{"bytes": 100000}, nil); st != 200 {
		t.Fatalf("set quota: %d %s", st, body)
	}
	if st, body := s.do(dave, http.MethodPost, "/v1/labels/dave/a", castest.RandomBytes(t, 60000), nil); st != 200 {
		t.Fatalf("publish within the quota: %d %s", st, body)
	}
	if st, body := s.do(dave, http.MethodPost, "/v1/labels/dave/b", castest.RandomBytes(t, 60000), nil); st != http.StatusInsufficientStorage || !strings.Contains(body, "quota") {
		t.Fatalf("publish beyond the quota: %d %s", st, body)
	}
	if st, body := s.do(dave, http.MethodPost, "/upload", map[string]int{"size": 50000}, nil); st != http.StatusInsufficientStorage {
		t.Fatalf("upload declaring beyond the quota: %d %s", st, body)
	}
	var u catalog.Usage
	if st, body := s.do(dave, http.MethodGet, "/v1/namespaces/dave/usage", nil, &u); st != 200 || u.Bytes != 60000 || u.Quota != 100000 {
		t.Fatalf("usage: %d %s", st, body)
	}
	if st, _ := s.do(dave, http.MethodPut, "/v1/namespaces/dave/quota", map[string]int{"bytes": 0}, nil); st != http.StatusForbidden {
		t.Fatalf("dave lifted his own quota: %d", st)
	}
}
