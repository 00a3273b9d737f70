package main

import (
	"slices"
	"testing"
)

func TestInterspersed_MovesFlags(t *testing.T) {
	app := newApp()
	for _, tc := range []struct{ in, want []string }{
		{[]string{"sfcas", "label", "list", "--output", "json", "--in", "system"},
			[]string{"sfcas", "--output", "json", "label", "list", "--in", "system"}},
		{[]string{"sfcas", "publish", "f.qcow2", "--label", "a/b", "-o", "json", "--shared"},
			[]string{"sfcas", "-o", "json", "publish", "--label", "a/b", "--shared", "f.qcow2"}},
		{[]string{"sfcas", "--url", "http://x", "label", "show", "web", "--output=json"},
			[]string{"sfcas", "--output=json", "--url", "http://x", "label", "show", "web"}},
		{[]string{"sfcas", "label", "update", "web", "--", "--output"},
			[]string{"sfcas", "label", "update", "web", "--", "--output"}},
	} {
		if got := interspersed(app, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("interspersed(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
