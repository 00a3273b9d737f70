package catalog

import (
	"crypto/rand"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// migration moves the schema from version n-1 to n. Migrations run in order,
// each in the same transaction as the version bump, and never change once
// released: a new schema is a new entry.
type migration struct {
	version uint64
	name    string
	apply   func(tx *bolt.Tx) error
}

var migrations = []migration{
	{1, "initial buckets and token secret", migrateInitial},
}

// currentSchema is the schema this build reads and writes.
var currentSchema = migrations[len(migrations)-1].version

func migrateInitial(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketNamespaces, bucketBlobs, bucketBlobUUID, bucketBlobSHA256,
		bucketBlobSHA512, bucketBlobRefs, bucketArtifacts, bucketArtifactName, bucketArtifactType,
		bucketArtifactShared, bucketArtifactGrant, bucketUploads, bucketEvents} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyTokenSecret, secret)
}

// schemaVersion reads the stored schema version (0 for a new file).
func schemaVersion(tx *bolt.Tx) uint64 {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0
	}
	v := meta.Get(keySchemaVersion)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// migrate applies every migration newer than the stored version.
func migrate(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	have := schemaVersion(tx)
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if err := m.apply(tx); err != nil {
			return err
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], m.version)
		if err := meta.Put(keySchemaVersion, v[:]); err != nil {
			return err
		}
	}
	return nil
}
