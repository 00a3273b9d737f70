package fusefs

import (
	"bufio"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// DefaultName is the filesystem name of sfcas mounts: /proc/self/mountinfo
// shows them as type fuse.sfcas, which is how a stale one is recognised.
const DefaultName = "sfcas"

// maxIO is the largest READ or WRITE request (the kernel's default cap).
const maxIO = 1 << 20

// mountConfig is what both mounts share.
type mountConfig struct {
	dir          string
	name         string // MountOptions.Name; DefaultName if empty
	readOnly     bool
	noAllowOther bool // only the mounting user may use the mount
	passthrough  bool // offer kernel passthrough
	debug        bool
	log          *slog.Logger
	entry, attr  time.Duration
}

// Mount is a mounted sfcas filesystem. Unmount it with Unmount; Wait
// returns when the kernel has let go of it.
type Mount struct {
	dir         string
	server      *fuse.Server
	log         *slog.Logger
	passthrough bool
	onUnmount   []func()
	stats       *counters
}

// Dir returns the mount point.
func (m *Mount) Dir() string { return m.dir }

// Passthrough reports whether reads bypass the daemon through kernel FUSE
// passthrough (checked once, when the mount was made).
func (m *Mount) Passthrough() bool { return m.passthrough }

// Wait blocks until the filesystem is unmounted.
func (m *Mount) Wait() { m.server.Wait() }

// Unmount detaches the filesystem. If processes still hold files open (a
// plain unmount fails with EBUSY), it detaches lazily: the mount point is
// free at once, the open files keep working while this process serves them
// and fail with ENOTCONN once it exits. It is idempotent.
func (m *Mount) Unmount() error {
	for _, f := range m.onUnmount {
		f()
	}
	m.onUnmount = nil
	err := m.server.Unmount()
	if err == nil {
		m.server.Wait()
		return nil
	}
	if lerr := unix.Unmount(m.dir, unix.MNT_DETACH); lerr != nil && !errors.Is(lerr, unix.EINVAL) {
		return fmt.Errorf("unmount %s: %v; lazy unmount: %w", m.dir, err, lerr)
	}
	m.log.Warn("unmounted lazily: files were still open", "dir", m.dir, "err", err)
	return nil
}

// mount makes the mount point, clears a stale mount left there by an
// earlier sfcas, and mounts root.
func mount(root fs.InodeEmbedder, c mountConfig) (*Mount, error) {
	if c.name == "" {
		c.name = DefaultName
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		return nil, err
	}
	if err := clearStale(dir, c.name, c.log); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mount point %s: %w", dir, err)
	}
	neg := time.Duration(0)
	opts := &fs.Options{
		EntryTimeout:    &c.entry,
		AttrTimeout:     &c.attr,
		NegativeTimeout: &neg,
		MountOptions: fuse.MountOptions{
			AllowOther:    !c.noAllowOther,
			FsName:        c.name,
			Name:          c.name,
			MaxWrite:      maxIO,
			DirectMount:   os.Geteuid() == 0,
			EnableLocks:   false, // the kernel handles locks locally (QEMU image locking)
			MaxBackground: 64,
			// 16 requests of 1 MiB bound the memory held in request buffers.
			MaxInflightRequestBytes: 16 * maxIO,
			Options:                 []string{"default_permissions"},
			Debug:                   c.debug,
			Logger:                  log.New(slogWriter{c.log}, "", 0),
			PanicHandler: func(p any) fuse.Status {
				c.log.Error("panic in a FUSE request; answered EIO", "panic", fmt.Sprint(p))
				return fuse.EIO
			},
		},
	}
	if c.readOnly {
		opts.MountOptions.Options = append(opts.MountOptions.Options, "ro")
	}
	if !c.passthrough {
		opts.MountOptions.DisabledCapabilities = fuse.CAP_PASSTHROUGH
	}
	server, err := fs.Mount(dir, root, opts)
	if err != nil {
		return nil, fmt.Errorf("mount %s at %s: %w", c.name, dir, err)
	}
	if c.readOnly {
		raiseReadahead(dir, c.log)
	}
	return &Mount{stats: &counters{}, dir: dir, server: server, log: c.log}, nil
}

// readaheadKB is the readahead of the label view's backing device: the
// kernel's default for FUSE (128 KiB) halves sequential reads served by the
// daemon (passthrough reads use the blob filesystem's own readahead).
const readaheadKB = 1024

// raiseReadahead sets the mount's bdi readahead, which only root may; a
// failure costs speed, not correctness.
func raiseReadahead(dir string, logger *slog.Logger) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return
	}
	p := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	if err := os.WriteFile(p, []byte(fmt.Sprintf("%d\n", readaheadKB)), 0); err != nil {
		logger.Debug("could not raise FUSE readahead", "path", p, "err", err)
	}
}

// probePassthrough reports whether kernel passthrough works for files in
// dir (the blob store's filesystem): the kernel must offer it, and
// registering a backing file must succeed (it needs CAP_SYS_ADMIN and a
// backing filesystem the kernel can stack on).
func probePassthrough(server *fuse.Server, dir string) (bool, string) {
	if server.KernelSettings().Flags64()&fuse.CAP_PASSTHROUGH == 0 {
		return false, "the kernel does not offer FUSE passthrough (Linux >= 6.9 with CONFIG_FUSE_PASSTHROUGH)"
	}
	f, err := os.CreateTemp(dir, "passthrough-probe-*")
	if err != nil {
		return false, fmt.Sprintf("probe file: %v", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	id, errno := server.RegisterBackingFd(&fuse.BackingMap{Fd: int32(f.Fd())})
	if errno != 0 {
		return false, fmt.Sprintf("registering a backing file failed: %v (needs CAP_SYS_ADMIN)", errno)
	}
	server.UnregisterBackingFd(id)
	return true, ""
}

// clearStale detaches a mount of type fuse.<name> at dir whose daemon is
// gone (the kernel answers ENOTCONN). A live sfcas mount there, or a mount
// of another kind, is an error: mounting over it would hide it.
func clearStale(dir, name string, logger *slog.Logger) error {
	fstype, mounted, err := mountedAt(dir)
	if err != nil || !mounted {
		return err
	}
	if fstype != "fuse."+name {
		return fmt.Errorf("%s is already a mount point (%s); refusing to mount over it", dir, fstype)
	}
	_, serr := os.Stat(dir)
	if !errors.Is(serr, syscall.ENOTCONN) {
		return fmt.Errorf("%s is already mounted by a running %s (another daemon?)", dir, name)
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("lazy unmount of the stale mount at %s: %w", dir, err)
	}
	logger.Warn("lazily unmounted a stale mount left by an earlier daemon", "dir", dir)
	return nil
}

// mountedAt reports the filesystem type mounted exactly at dir, from
// /proc/self/mountinfo (the last entry wins, as for stacked mounts).
func mountedAt(dir string) (fstype string, ok bool, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent maj:min root mountpoint opts... - fstype source superopts
		pre, post, found := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !found || len(fields) < 5 || len(tail) < 1 {
			continue
		}
		if unescapeMountinfo(fields[4]) == dir {
			fstype, ok = tail[0], true
		}
	}
	return fstype, ok, sc.Err()
}

// unescapeMountinfo undoes the octal escapes (\040 for space) of
// /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// slogWriter sends go-fuse's debug log lines to slog at debug level.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug(strings.TrimRight(string(p), "\n"), "from", "go-fuse")
	return len(p), nil
}
