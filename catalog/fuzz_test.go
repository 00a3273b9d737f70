package catalog_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sfcas/sfcas/catalog"
)

// FuzzParseRef: any string either parses or is ErrInvalid; what parses
// names only valid names, and its explicit form parses back to the same
// reference.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"", "debian", "system/centos:7@3", "a/b/c", "x@0", "x@-1", "@", "sf://label/ns/n@2",
		"sf://artifact/0b1a2c3d-0000-4000-8000-000000000000@1", "sf://blob/0b1a2c3d-0000-4000-8000-000000000000",
		"sf://upload/0b1a2c3d-0000-4000-8000-000000000000", "sf://instance/x", "https://example.com/x.qcow2",
		"blake3:" + strings.Repeat("a", 64), "sha512:" + strings.Repeat("F", 128), "sha256:zz", "../etc/passwd",
		"ns/.hidden", "a\x00b", "ns/name\n", strings.Repeat("n", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := catalog.ParseRef(s)
		if err != nil {
			if !errors.Is(err, catalog.ErrInvalid) {
				t.Fatalf("ParseRef(%q): %v is not ErrInvalid", s, err)
			}
			return
		}
		switch r.Kind {
		case catalog.RefNamed, catalog.RefBareName:
			if err := catalog.ValidateName(r.Name); err != nil {
				t.Fatalf("ParseRef(%q) accepted name %q: %v", s, r.Name, err)
			}
			if r.Kind == catalog.RefNamed {
				if err := catalog.ValidateIdent("namespace", r.Namespace); err != nil {
					t.Fatalf("ParseRef(%q) accepted namespace %q", s, r.Namespace)
				}
			}
		}
		back, err := catalog.ParseRef(r.String())
		r.LabelOnly = false
		if err != nil || back != r {
			t.Fatalf("ParseRef(%q) = %+v, but its form %q parses to %+v, %v", s, r, r.String(), back, err)
		}
	})
}

// FuzzValidateName: an accepted name has none of the characters that could
// escape a path or confuse a reference.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"debian-12", "centos:7", ".blobs", "a/b", "..", "a@1", " x", "x\t", "\xff", "ok.name"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if catalog.ValidateName(s) != nil {
			return
		}
		if s == "" || len(s) > catalog.MaxNameLen || !utf8.ValidString(s) || strings.HasPrefix(s, ".") ||
			strings.ContainsAny(s, "/@\\\x00") || strings.TrimSpace(s) != s {
			t.Fatalf("ValidateName accepted %q", s)
		}
		for _, r := range s {
			if unicode.IsControl(r) {
				t.Fatalf("ValidateName accepted a control character in %q", s)
			}
		}
		if catalog.ValidateIdent("namespace", s) == nil && strings.ContainsAny(s, ":") {
			t.Fatalf("ValidateIdent accepted %q", s)
		}
	})
}
