package catalog

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// MaxBatch bounds CreateArtifacts.
const MaxBatch = 10000

// CreateArtifacts makes many artifacts with no versions in one transaction
// (bulk loads, benchmarks): all of them or, on any error, none.
func (db *DB) CreateArtifacts(ctx context.Context, c Caller, specs []ArtifactSpec) ([]Artifact, error) {
	if len(specs) > MaxBatch {
		return nil, invalidf("a batch holds at most %d artifacts", MaxBatch)
	}
	out := make([]Artifact, 0, len(specs))
	err := db.update(func(tx *bolt.Tx) error {
		out = out[:0]
		for _, s := range specs {
			if err := ctx.Err(); err != nil {
				return err
			}
			a, err := db.createArtifact(tx, c, s)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}
