package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirections enforces the layering: cmd → {httpapi, fusefs} →
// catalog → cas. Each package may import the standard library, the listed
// modules and the listed project packages, nothing else.
func TestImportDirections(t *testing.T) {
	const mod = "github.com/sfcas/sfcas"
	allowed := map[string][]string{
		mod + "/cas":            {"github.com/minio/sha256-simd", "github.com/zeebo/blake3", "golang.org/x/sys/", mod + "/cas/"},
		mod + "/cas/":           {mod + "/cas"},
		mod + "/catalog":        {"go.etcd.io/bbolt", "go.etcd.io/bbolt/", "golang.org/x/crypto/bcrypt", "golang.org/x/time/rate", mod + "/cas", mod + "/cas/"},
		mod + "/catalog/":       {mod + "/catalog", mod + "/cas"},
		mod + "/fusefs":         {"github.com/hanwen/go-fuse/v2/", "golang.org/x/sys/", mod + "/catalog", mod + "/cas"},
		mod + "/fusefs/":        {"github.com/hanwen/go-fuse/v2/", "golang.org/x/sys/", mod + "/fusefs", mod + "/catalog", mod + "/cas"},
		mod + "/httpapi":        {"github.com/golang-jwt/jwt/v5", mod + "/httpapi/api", mod + "/catalog", mod + "/cas"},
		mod + "/httpapi/api":    {},
		mod + "/httpapi/client": {mod + "/httpapi/api", "github.com/zeebo/blake3"},
		mod + "/cmd/sfcas":      {"*"},
		mod + "/bench":          {"*"},
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		rules, ok := allowed[pkg]
		if !ok {
			for prefix, r := range allowed {
				if strings.HasSuffix(prefix, "/") && strings.HasPrefix(pkg, prefix) {
					rules, ok = r, true
				}
			}
		}
		if !ok {
			t.Errorf("package %s has no import rule; add it to this test", pkg)
			continue
		}
		for _, imp := range imports {
			if isStdlib(imp) || permitted(imp, rules) {
				continue
			}
			t.Errorf("%s imports %s, which the layering does not allow", pkg, imp)
		}
	}
}

func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func permitted(imp string, rules []string) bool {
	for _, r := range rules {
		if r == "*" || imp == r || (strings.HasSuffix(r, "/") && strings.HasPrefix(imp, r)) {
			return true
		}
	}
	return false
}
