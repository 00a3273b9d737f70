package catalog

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// Namespace owns artifacts and holds the keys that authenticate as it.
type Namespace struct {
	Name     string         `json:"name"`
	Created  time.Time      `json:"created"`
	Keys     map[string]Key `json:"keys"`
	Metadata Metadata       `json:"metadata"`
	Quota    int64          `json:"quota,omitempty"` // bytes; 0 = none
}

// Key is one named secret of a namespace. Only its bcrypt hash is stored.
// Gen changes whenever the key is replaced, which revokes tokens minted
// from the old secret.
type Key struct {
	Hash    []byte    `json:"hash"`
	Gen     uint64    `json:"gen"`
	Created time.Time `json:"created"`
}

// KeyNames returns the namespace's key names, sorted.
func (n *Namespace) KeyNames() []string {
	out := make([]string, 0, len(n.Keys))
	for k := range n.Keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MinKeyLen and MaxKeyLen bound secrets (bcrypt reads at most 72 bytes).
const (
	MinKeyLen = 8
	MaxKeyLen = 72
)

// bcryptCost balances login latency against brute force.
const bcryptCost = 11

// CreateNamespace creates an empty namespace. Only system may do it.
func (db *DB) CreateNamespace(ctx context.Context, c Caller, name string) (Namespace, error) {
	if !c.IsSystem() {
		return Namespace{}, fmt.Errorf("create namespace: only %s may: %w", SystemNamespace, ErrForbidden)
	}
	if err := ValidateIdent("namespace", name); err != nil {
		return Namespace{}, err
	}
	ns := Namespace{Name: name, Created: db.now(), Keys: map[string]Key{}, Metadata: Metadata{}}
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNamespaces)
		if b.Get([]byte(name)) != nil {
			return fmt.Errorf("namespace %s: %w", name, ErrExists)
		}
		if err := putJSON(b, []byte(name), ns); err != nil {
			return err
		}
		return db.addEvent(tx, namespaceKey(name), Event{Type: EventAudit, Who: c.Who(), Message: "namespace created"})
	})
	return ns, err
}

// EnsureNamespace creates name if it does not exist (daemon start-up).
func (db *DB) EnsureNamespace(ctx context.Context, name string) error {
	_, err := db.CreateNamespace(ctx, Caller{Namespace: SystemNamespace, Key: "sfcas"}, name)
	if err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	return nil
}

// GetNamespace returns a namespace the caller may see (its own, or any for
// system).
func (db *DB) GetNamespace(ctx context.Context, c Caller, name string) (Namespace, error) {
	var ns Namespace
	if !c.IsSystem() && c.Namespace != name {
		return ns, fmt.Errorf("namespace %s: %w", clip(name), ErrNotFound)
	}
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		ns, err = getNamespace(tx, name)
		return err
	})
	return ns, err
}

func getNamespace(tx *bolt.Tx, name string) (Namespace, error) {
	var ns Namespace
	ok, err := getJSON(tx.Bucket(bucketNamespaces), []byte(name), &ns)
	if err == nil && !ok {
		err = fmt.Errorf("namespace %s: %w", clip(name), ErrNotFound)
	}
	return ns, err
}

// ListNamespaces returns the namespaces the caller may see, by name.
func (db *DB) ListNamespaces(ctx context.Context, c Caller) ([]Namespace, error) {
	out := []Namespace{}
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNamespaces).ForEach(func(k, v []byte) error {
			if !c.IsSystem() && string(k) != c.Namespace {
				return nil
			}
			var ns Namespace
			if _, err := getJSON(tx.Bucket(bucketNamespaces), k, &ns); err != nil {
				return err
			}
			out = append(out, ns)
			return nil
		})
	})
	return out, err
}

// DeleteNamespace removes an empty namespace. Only system may, and never the
// system namespace itself; a namespace that still owns artifacts is
// ErrConflict (clean it up first).
func (db *DB) DeleteNamespace(ctx context.Context, c Caller, name string) error {
	if !c.IsSystem() {
		return fmt.Errorf("delete namespace: only %s may: %w", SystemNamespace, ErrForbidden)
	}
	if name == SystemNamespace {
		return fmt.Errorf("the %s namespace cannot be deleted: %w", SystemNamespace, ErrForbidden)
	}
	return db.update(func(tx *bolt.Tx) error {
		if _, err := getNamespace(tx, name); err != nil {
			return err
		}
		prefix := joinKey(name, "")
		if k, _ := tx.Bucket(bucketArtifactName).Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			return fmt.Errorf("namespace %s still owns artifacts: %w", name, ErrConflict)
		}
		if err := db.dropGrantsTo(tx, name); err != nil {
			return err
		}
		if err := tx.Bucket(bucketNamespaces).Delete([]byte(name)); err != nil {
			return err
		}
		return dropEvents(tx, namespaceKey(name))
	})
}

// SetKey adds or replaces a namespace key. Replacing bumps its generation,
// revoking tokens minted with the old secret. Only system or the namespace
// itself may.
func (db *DB) SetKey(ctx context.Context, c Caller, ns, keyName string, secret []byte) error {
	if !c.mayChange(ns) {
		return fmt.Errorf("keys of %s: %w", ns, ErrForbidden)
	}
	if err := ValidateIdent("key", keyName); err != nil {
		return err
	}
	if len(secret) < MinKeyLen || len(secret) > MaxKeyLen {
		return invalidf("key secret must be %d to %d bytes", MinKeyLen, MaxKeyLen)
	}
	hash, err := bcrypt.GenerateFromPassword(secret, bcryptCost)
	if err != nil {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		n, err := getNamespace(tx, ns)
		if err != nil {
			return err
		}
		k := n.Keys[keyName]
		verb := "key added"
		if k.Hash != nil {
			verb = "key replaced"
		}
		n.Keys[keyName] = Key{Hash: hash, Gen: k.Gen + 1, Created: db.now()}
		if err := putJSON(tx.Bucket(bucketNamespaces), []byte(ns), n); err != nil {
			return err
		}
		return db.addEvent(tx, namespaceKey(ns), Event{Type: EventAudit, Who: c.Who(), Message: verb, Extra: map[string]any{"key": keyName}})
	})
}

// DeleteKey removes a namespace key, revoking its tokens.
func (db *DB) DeleteKey(ctx context.Context, c Caller, ns, keyName string) error {
	if !c.mayChange(ns) {
		return fmt.Errorf("keys of %s: %w", ns, ErrForbidden)
	}
	return db.update(func(tx *bolt.Tx) error {
		n, err := getNamespace(tx, ns)
		if err != nil {
			return err
		}
		if _, ok := n.Keys[keyName]; !ok {
			return fmt.Errorf("key %s in %s: %w", clip(keyName), ns, ErrNotFound)
		}
		delete(n.Keys, keyName)
		if err := putJSON(tx.Bucket(bucketNamespaces), []byte(ns), n); err != nil {
			return err
		}
		return db.addEvent(tx, namespaceKey(ns), Event{Type: EventAudit, Who: c.Who(), Message: "key deleted", Extra: map[string]any{"key": keyName}})
	})
}

// Authenticate checks secret against the namespace's keys and returns the
// caller and the matching key's generation. Any failure is
// ErrUnauthenticated, so a caller cannot tell a wrong key from a missing
// namespace. It is deliberately slow (bcrypt).
func (db *DB) Authenticate(ctx context.Context, ns string, secret []byte) (Caller, uint64, error) {
	var n Namespace
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		n, err = getNamespace(tx, ns)
		return err
	})
	fail := fmt.Errorf("namespace %s: %w", clip(ns), ErrUnauthenticated)
	if err != nil {
		return Caller{}, 0, fail
	}
	for _, name := range n.KeyNames() {
		k := n.Keys[name]
		if bcrypt.CompareHashAndPassword(k.Hash, secret) == nil {
			return Caller{Namespace: ns, Key: name}, k.Gen, nil
		}
	}
	return Caller{}, 0, fail
}

// KeyValid reports whether the key a token names still exists with the
// generation the token was minted for.
func (db *DB) KeyValid(ctx context.Context, c Caller, gen uint64) bool {
	ok := false
	_ = db.view(func(tx *bolt.Tx) error {
		n, err := getNamespace(tx, c.Namespace)
		if err != nil {
			return nil
		}
		k, found := n.Keys[c.Key]
		ok = found && k.Gen == gen
		return nil
	})
	return ok
}

// GenerateKey returns a new random key secret: 32 URL-safe characters
// (192 bits).
func GenerateKey() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
