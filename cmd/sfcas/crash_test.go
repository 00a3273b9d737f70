package main

import (
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sfcas/sfcas/cas/failpoint"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
)

func randomData(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCrash_Failpoints kills the daemon (SIGKILL from inside, no cleanup)
// right after each durable step of ingest, uploads, a label move, a version
// reap and GC. Then fsck on the stopped store must report nothing it cannot
// repair (and exactly the leftover the step implies), be clean after
// --repair, and every write acknowledged before the crash must be there,
// readable with the right digest.
func TestCrash_Failpoints(t *testing.T) {
	// What fsck must find right after each crash: the crash's own leftover.
	leftover := map[string][]string{
		failpoint.IngestAfterSync:    {catalog.FindStrayTemp},
		failpoint.IngestAfterLink:    {catalog.FindOrphanFile},
		failpoint.IngestAfterRecord:  nil, // an unreferenced blob, collected after its grace
		failpoint.UploadAfterAppend:  nil,
		failpoint.UploadAfterIngest:  {catalog.FindUploadSpool},
		failpoint.VersionAfterCommit: nil,
		failpoint.ReapAfterCommit:    nil,
		failpoint.RemoveAfterCommit:  {catalog.FindOrphanFile},
		failpoint.RemoveAfterUnlink:  nil,
	}
	for _, fp := range failpoint.All() {
		want, ok := leftover[fp]
		if !ok {
			t.Fatalf("failpoint %s has no expectation here", fp)
		}
		t.Run(fp, func(t *testing.T) { crashAt(t, fp, want) })
	}
}

func crashAt(t *testing.T, fp string, wantKinds []string) {
	ctx := t.Context()
	root := t.TempDir()
	d := startFPDaemon(t, root, nil)
	acked := map[string]api.Version{} // label → acknowledged current version
	ack := func(label string, p api.Published, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("setup %s: %v", label, err)
		}
		acked[label] = *p.Version
	}
	p, err := d.publish(ctx, "app", randomData(t, 300<<10), "max_versions=2")
	ack("app", p, err)
	p, err = d.publish(ctx, "old", randomData(t, 200<<10), "max_versions=1")
	ack("old", p, err)
	garbage := *p.Version
	p, err = d.publish(ctx, "old", randomData(t, 100<<10), "")
	ack("old", p, err) // garbage now has no reference (grace 0: collectable)
	p, err = d.publish(ctx, "reaped", randomData(t, 50<<10), "max_versions=3")
	ack("reaped", p, err)
	p, err = d.publish(ctx, "reaped", randomData(t, 60<<10), "")
	ack("reaped", p, err)
	d.stop()

	d = startFPDaemon(t, root, []string{failpoint.EnvVar + "=" + fp})
	var trigger error
	switch fp {
	case failpoint.IngestAfterSync, failpoint.IngestAfterLink, failpoint.IngestAfterRecord:
		_, trigger = d.publish(ctx, "app", randomData(t, 400<<10), "")
	case failpoint.UploadAfterAppend, failpoint.UploadAfterIngest:
		path := filepath.Join(t.TempDir(), "image")
		os.WriteFile(path, randomData(t, 500<<10), 0o644)
		_, trigger = d.sys.PublishFile(ctx, path, "system", "app", client.PublishOptions{Retries: 1})
	case failpoint.VersionAfterCommit:
		trigger = d.call(ctx, http.MethodPost, "/v1/labels/system/moved", map[string]string{"ref": "system/app@1"}, nil)
	case failpoint.ReapAfterCommit:
		a, err := d.sys.Label(ctx, "system", "reaped")
		if err != nil {
			t.Fatal(err)
		}
		trigger = d.call(ctx, http.MethodPost, "/artifacts/"+a.UUID+"/versions", map[string]int{"max_versions": 1}, nil)
	case failpoint.RemoveAfterCommit, failpoint.RemoveAfterUnlink:
		trigger = d.call(ctx, http.MethodPost, "/v1/gc", map[string]any{}, nil)
	}
	if trigger == nil {
		t.Fatalf("the request that reaches %s succeeded: the daemon did not die there", fp)
	}
	if !d.waitKilled() {
		t.Fatalf("the daemon did not die by SIGKILL at %s (%v): %s", fp, trigger, d.logText())
	}

	rep, code, out := fsckOffline(t, root, false)
	var kinds []string
	for _, f := range rep.Findings {
		kinds = append(kinds, f.Kind)
		if f.Repair == "" {
			t.Errorf("after a crash at %s fsck finds a problem it cannot repair: %+v", fp, f)
		}
	}
	if !slices.Equal(kinds, wantKinds) {
		t.Fatalf("after a crash at %s fsck finds %v, want %v\n%s", fp, kinds, wantKinds, out)
	}
	if (code == 0) != (len(wantKinds) == 0) {
		t.Fatalf("fsck exit code %d with %d findings", code, len(kinds))
	}
	if len(wantKinds) > 0 {
		if rep, code, out := fsckOffline(t, root, true); code != 0 || rep.Problems() != 0 {
			t.Fatalf("fsck --repair: exit %d\n%s", code, out)
		}
		if rep, code, out := fsckOffline(t, root, false); code != 0 || len(rep.Findings) != 0 {
			t.Fatalf("fsck after --repair: exit %d\n%s", code, out)
		}
	}

	d = startFPDaemon(t, root, nil)
	for label, v := range acked {
		a, err := d.sys.Label(ctx, "system", label)
		if err != nil {
			t.Fatalf("acknowledged label %s: %v", label, err)
		}
		if !slices.ContainsFunc(a.Versions, func(x api.Version) bool { return x.Index == v.Index && x.Digest == v.Digest }) {
			t.Fatalf("acknowledged %s@%d (%s) is gone after a crash at %s: %+v", label, v.Index, v.Digest, fp, a.Versions)
		}
		if err := d.readVersion(ctx, v); err != nil {
			t.Fatalf("after a crash at %s: %v", fp, err)
		}
	}
	// The crash interrupted the work, not the store: the same request now
	// succeeds, and GC finishes what it started.
	if fp == failpoint.RemoveAfterCommit || fp == failpoint.RemoveAfterUnlink {
		var g catalog.GCReport
		if err := d.call(ctx, http.MethodPost, "/v1/gc", map[string]any{}, &g); err != nil {
			t.Fatal(err)
		}
		if _, err := d.sys.Blob(ctx, garbage.Digest); err == nil {
			t.Fatalf("garbage blob %s survived GC after the crash", garbage.Digest)
		}
	}
	d.stop()
	if rep, code, out := fsckOffline(t, root, false); code != 0 || len(rep.Findings) != 0 {
		t.Fatalf("fsck at the end: exit %d\n%s", code, out)
	}
}
