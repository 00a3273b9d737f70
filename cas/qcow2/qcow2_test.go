package qcow2_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/cas/qcow2"
)

// qemuImg runs qemu-img, failing the test if it is missing: make deps
// installs it, so a missing qemu-img is a broken setup, not a reason to skip.
func qemuImg(t *testing.T, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Fatalf("qemu-img not installed (run make deps): %v", err)
	}
	if out, err := exec.Command("qemu-img", args...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func probeFile(t *testing.T, path string) (qcow2.Info, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	return qcow2.Probe(f, fi.Size())
}

func TestProbe_ImagesFromQemuImg(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", "-o", "compat=1.1", base, "3G")
	v2 := filepath.Join(dir, "v2.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", "-o", "compat=0.10,cluster_size=4096", v2, "100M")
	overlay := filepath.Join(dir, "overlay.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay)
	data := filepath.Join(dir, "external.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", "-o", "data_file="+filepath.Join(dir, "external.raw"), data, "64M")
	raw := filepath.Join(dir, "disk.raw")
	qemuImg(t, "create", "-q", "-f", "raw", raw, "10M")

	cases := []struct {
		path    string
		format  string
		version uint32
		vsize   int64
		other   bool
		backing string
	}{
		{base, qcow2.FormatQCOW2, 3, 3 << 30, false, ""},
		{v2, qcow2.FormatQCOW2, 2, 100 << 20, false, ""},
		{overlay, qcow2.FormatQCOW2, 3, 3 << 30, true, base},
		{data, qcow2.FormatQCOW2, 3, 64 << 20, true, ""},
		{raw, qcow2.FormatRaw, 0, 10 << 20, false, ""},
	}
	for _, c := range cases {
		info, err := probeFile(t, c.path)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(c.path), err)
		}
		if info.Format != c.format || info.Version != c.version || info.VirtualSize != c.vsize ||
			info.NamesOtherFiles() != c.other || info.BackingFile != c.backing {
			t.Fatalf("%s: %+v", filepath.Base(c.path), info)
		}
	}
	if info, _ := probeFile(t, overlay); info.BackingFormat != "qcow2" {
		t.Fatalf("overlay backing format %q", info.BackingFormat)
	}
	if info, _ := probeFile(t, data); !info.ExternalData || !strings.HasSuffix(info.DataFile, "external.raw") {
		t.Fatalf("external data file not seen: %+v", info)
	}
}

func TestProbe_Malformed(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", good, "1G")
	img, _ := os.ReadFile(good)
	for name, mutate := range map[string]func([]byte) []byte{
		"truncated header":    func(b []byte) []byte { return b[:40] },
		"bad version":         func(b []byte) []byte { b[7] = 9; return b },
		"cluster bits 40":     func(b []byte) []byte { b[23] = 40; return b },
		"backing beyond file": func(b []byte) []byte { b[8] = 0x7f; b[19] = 10; return b },
		"header length 7":     func(b []byte) []byte { b[100], b[101], b[102], b[103] = 0, 0, 0, 7; return b },
	} {
		b := mutate(append([]byte(nil), img...))
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(p, b, 0o644)
		if _, err := probeFile(t, p); !errors.Is(err, qcow2.ErrMalformed) {
			t.Fatalf("%s: %v, want ErrMalformed", name, err)
		}
	}
}
