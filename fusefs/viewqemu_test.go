package fusefs

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// TestView_QEMU runs the hypervisor tools against the label view: what
// qemu-img and qemu-io (and so QEMU) do with a backing image on /sf.
func TestView_QEMU(t *testing.T) {
	requireFUSE(t)
	requireTool(t, "qemu-img")
	requireTool(t, "qemu-io")
	for _, pt := range []bool{true, false} {
		t.Run(fmt.Sprintf("passthrough=%v", pt), func(t *testing.T) {
			db := catalogtest.Open(t)
			tmp := t.TempDir()
			base := filepath.Join(tmp, "base.qcow2")
			run(t, "qemu-img", "create", "-q", "-f", "qcow2", base, "64M")
			run(t, "qemu-io", "-f", "qcow2", "-c", "write -P 0x5f 0 4M", "-c", "write -P 0xa7 60M 1M", base)
			b := publishFile(t, db, catalogtest.System, "debian-12", base)
			m := testView(t, db, catalog.Caller{}, pt)
			label := filepath.Join(m.Dir(), "system", "debian-12")

			var info struct {
				Format      string `json:"format"`
				VirtualSize int64  `json:"virtual-size"`
			}
			out := run(t, "qemu-img", "info", "--output=json", label)
			if err := json.Unmarshal([]byte(out), &info); err != nil {
				t.Fatalf("qemu-img info: %v\n%s", err, out)
			}
			if info.Format != "qcow2" || info.VirtualSize != 64<<20 {
				t.Errorf("qemu-img info: format %q virtual size %d, want qcow2 %d", info.Format, info.VirtualSize, 64<<20)
			}
			run(t, "qemu-img", "compare", base, label)
			run(t, "qemu-img", "compare", "-T", "none", base, label)
			out = run(t, "qemu-io", "-r", "-f", "qcow2", "-c", "read -v 0 4096", label)
			if !strings.Contains(out, "5f 5f 5f 5f") || !strings.Contains(out, "read 4096/4096 bytes") {
				t.Errorf("qemu-io read -v did not show the image's bytes:\n%s", out)
			}
			// O_DIRECT with QEMU's image locking (OFD locks, kept by the kernel).
			out = run(t, "qemu-io", "-r", "-t", "none", "-f", "qcow2", "-c", "read -P 0xa7 60M 1M", label)
			if !strings.Contains(out, "read 1048576/1048576 bytes") {
				t.Errorf("qemu-io -t none:\n%s", out)
			}

			// An overlay names the immutable digest path as its backing file.
			overlay := filepath.Join(tmp, "vm.qcow2")
			backing := filepath.Join(m.Dir(), ".blobs", b.Digest.String())
			run(t, "qemu-img", "create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay)
			out = run(t, "qemu-io", "-t", "none", "-f", "qcow2", "-c", "read -P 0x5f 0 4M", "-c", "write -P 0x11 8M 64k", overlay)
			if !strings.Contains(out, "read 4194304/4194304 bytes") {
				t.Errorf("reading base bytes through the overlay:\n%s", out)
			}
			// The overlay differs exactly where it was written; the base on
			// the mount is untouched.
			out, err := runErr(t, "qemu-img", "compare", overlay, base)
			if err == nil || !strings.Contains(out, "Content mismatch at offset 8388608") {
				t.Errorf("compare overlay with base: %v\n%s", err, out)
			}
			run(t, "qemu-img", "compare", backing, base)
		})
	}
}
