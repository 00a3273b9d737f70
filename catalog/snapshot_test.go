package catalog_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// ingest stores data and returns its pin.
func ingest(t *testing.T, db *catalog.DB, data []byte) *cas.Pin {
	t.Helper()
	w, err := db.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	w.ReadFrom(bytes.NewReader(data))
	_, pin, err := db.IngestBlob(t.Context(), w, catalog.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pin.Release)
	return pin
}

func TestSnapshots_OneSetPerOperation(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	alice := catalogtest.Namespace(t, db, "alice")
	spec := catalog.SnapshotSpec{Namespace: "alice", Instance: "vm-1", Disks: []catalog.SnapshotDisk{
		{Device: "vda", Pin: ingest(t, db, []byte("root disk"))},
		{Device: "vdb", Pin: ingest(t, db, []byte("data disk"))},
	}}
	arts, err := db.CreateSnapshots(ctx, alice, spec)
	if err != nil || len(arts) != 2 {
		t.Fatalf("snapshots: %v", err)
	}
	set := arts[0].Snapshot.SetID
	if arts[1].Snapshot.SetID != set || arts[1].Snapshot.Device != "vdb" || arts[0].Type != catalog.TypeSnapshot {
		t.Fatalf("snapshot set: %+v %+v", arts[0].Snapshot, arts[1].Snapshot)
	}
	if _, err := db.CreateSnapshots(ctx, alice, spec); err != nil {
		t.Fatalf("a second snapshot of the same instance: %v", err)
	}
	p, err := db.ListArtifacts(ctx, alice, catalog.ListOptions{Type: catalog.TypeSnapshot, Instance: "vm-1"})
	if err != nil || len(p.Artifacts) != 4 {
		t.Fatalf("snapshots of vm-1: %d, %v", len(p.Artifacts), err)
	}
	p, _ = db.ListArtifacts(ctx, alice, catalog.ListOptions{Type: catalog.TypeSnapshot, SetID: set})
	if len(p.Artifacts) != 2 {
		t.Fatalf("snapshots of set %s: %d", set, len(p.Artifacts))
	}
	for _, bad := range []catalog.SnapshotSpec{
		{Namespace: "alice", Instance: "vm/1", Disks: spec.Disks},
		{Namespace: "alice", Instance: "vm-1"},
		{Namespace: "alice", Instance: "vm-1", Disks: []catalog.SnapshotDisk{spec.Disks[0], spec.Disks[0]}},
		{Namespace: "alice", Instance: "vm-1", Disks: []catalog.SnapshotDisk{{Device: "../x", Pin: spec.Disks[0].Pin}}},
		{Namespace: "alice", Instance: "vm-1", Disks: []catalog.SnapshotDisk{{Device: "vdc"}}},
	} {
		if _, err := db.CreateSnapshots(ctx, alice, bad); !errors.Is(err, catalog.ErrInvalid) {
			t.Fatalf("bad spec %+v: %v", bad, err)
		}
	}
	// All or nothing: a name clash on the second disk leaves no first disk.
	clash := catalog.SnapshotSpec{Namespace: "alice", Instance: "vm-2", Name: "fixed", Disks: spec.Disks}
	catalogtest.Publish(t, db, alice, catalog.TypeOther, "fixed:vdb", []byte("in the way"))
	if _, err := db.CreateSnapshots(ctx, alice, clash); !errors.Is(err, catalog.ErrExists) {
		t.Fatalf("clash: %v", err)
	}
	if p, _ = db.ListArtifacts(ctx, alice, catalog.ListOptions{Instance: "vm-2"}); len(p.Artifacts) != 0 {
		t.Fatalf("a failed snapshot left %d artifacts", len(p.Artifacts))
	}
	if _, err := db.CreateSnapshots(ctx, catalog.Caller{Namespace: "bob"}, spec); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("bob snapshots into alice: %v", err)
	}
}

func TestList_BudgetBoundsSparseFilters(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	var specs []catalog.ArtifactSpec
	n := catalog.ScanBudget(10) + 500
	for i := range n {
		st := catalog.StateCreated
		if i == n-1 {
			st = catalog.StateError
		}
		specs = append(specs, catalog.ArtifactSpec{Namespace: "system", Name: fmt.Sprintf("a%05d", i), Type: catalog.TypeOther, State: st})
	}
	if _, err := db.CreateArtifacts(ctx, sys, specs); err != nil {
		t.Fatal(err)
	}
	p, err := db.ListArtifacts(ctx, sys, catalog.ListOptions{State: catalog.StateError, Limit: 10})
	if err != nil || len(p.Artifacts) != 0 || p.Next == "" {
		t.Fatalf("first page of a sparse filter: %d artifacts, next %q, %v", len(p.Artifacts), p.Next, err)
	}
	p, err = db.ListArtifacts(ctx, sys, catalog.ListOptions{State: catalog.StateError, Limit: 10, Cursor: p.Next})
	if err != nil || len(p.Artifacts) != 1 || p.Artifacts[0].Name != fmt.Sprintf("a%05d", n-1) || p.Next != "" {
		t.Fatalf("second page: %+v, next %q, %v", p.Artifacts, p.Next, err)
	}
}
