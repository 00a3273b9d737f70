package catalog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

func openAt(t *testing.T, path string) (*DB, error) {
	t.Helper()
	blobs, err := cas.Open(filepath.Dir(path), cas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return Open(path, blobs, Options{})
}

func TestMigration1_InitialBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	secret := append([]byte(nil), db.TokenSecret()...)
	err = db.view(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketNamespaces, bucketBlobs, bucketBlobUUID, bucketBlobSHA256, bucketBlobSHA512,
			bucketBlobRefs, bucketArtifacts, bucketArtifactName, bucketArtifactType, bucketArtifactShared,
			bucketArtifactGrant, bucketUploads, bucketEvents} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing after migration 1", b)
			}
		}
		if v := schemaVersion(tx); v != 1 {
			t.Errorf("schema version %d", v)
		}
		return nil
	})
	if err != nil || len(secret) != 32 {
		t.Fatalf("secret %d bytes, %v", len(secret), err)
	}
	db.Close()
	// Reopening migrates nothing and keeps the token secret.
	db, err = openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(db.TokenSecret(), secret) {
		t.Fatal("reopening changed the token secret (every token would be revoked)")
	}
	db.Close()
}

func TestMigrations_RefuseNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	db.update(func(tx *bolt.Tx) error {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], currentSchema+1)
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, v[:])
	})
	db.Close()
	if _, err := openAt(t, path); !errors.Is(err, ErrInvalid) {
		t.Fatalf("opening a newer schema: %v", err)
	}
}
