package catalog

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// ListOptions filter and page an artifact listing. Zero fields select all.
type ListOptions struct {
	Namespace   string
	Type        ArtifactType
	NamePrefix  string
	State       ArtifactState
	MetadataKey string
	// Instance selects snapshots of one instance, SetID those of one
	// snapshot operation.
	Instance string
	SetID    cas.UUID
	// Limit is the page size: default 100, at most 1000.
	Limit int
	// Cursor is the opaque Next of the previous page.
	Cursor string
}

// Page is one page of a listing, in (namespace, name) order. Next is empty
// on the last page. A page may hold fewer than Limit artifacts (even none)
// and still have a Next: a listing examines at most ScanBudget(Limit)
// entries per page, so a filter that matches little costs no more than one
// that matches everything.
type Page struct {
	Artifacts []Artifact
	Next      string
}

// MaxPage bounds a listing page.
const MaxPage = 1000

// ScanBudget is how many index entries one page of limit examines at most.
func ScanBudget(limit int) int { return max(10*limit, 1000) }

// ListArtifacts returns the artifacts the caller may see that match o, one
// page at a time. It walks indexes in key order from the cursor, so its cost
// grows with the page, not with the catalog.
func (db *DB) ListArtifacts(ctx context.Context, c Caller, o ListOptions) (Page, error) {
	if o.Limit <= 0 {
		o.Limit = 100
	}
	o.Limit = min(o.Limit, MaxPage)
	after, err := decodeCursor(o.Cursor)
	if err != nil {
		return Page{}, err
	}
	if o.Type != "" {
		if _, err := ParseArtifactType(string(o.Type)); err != nil {
			return Page{}, err
		}
	}
	page := Page{Artifacts: []Artifact{}}
	err = db.view(func(tx *bolt.Tx) error {
		m := merger{srcs: db.listSources(tx, c, o), after: after}
		budget := ScanBudget(o.Limit)
		for len(page.Artifacts) < o.Limit {
			if err := ctx.Err(); err != nil {
				return err
			}
			if budget--; budget < 0 {
				// Out of budget: the next page resumes after the last
				// entry examined.
				if _, _, more := m.peek(); more && m.last != nil {
					page.Next = base64.RawURLEncoding.EncodeToString(m.last)
				}
				return nil
			}
			key, id, ok := m.next()
			if !ok {
				return nil
			}
			a, err := getArtifact(tx, cas.UUID(id))
			if err != nil {
				return err
			}
			if !canRead(c, &a) || !o.match(&a) {
				continue
			}
			page.Artifacts = append(page.Artifacts, a)
			if len(page.Artifacts) == o.Limit {
				if _, _, more := m.peek(); more {
					page.Next = base64.RawURLEncoding.EncodeToString(key)
				}
			}
		}
		return nil
	})
	return page, err
}

// match applies the filters that the chosen indexes did not.
func (o ListOptions) match(a *Artifact) bool {
	switch {
	case o.Namespace != "" && a.Namespace != o.Namespace,
		o.Type != "" && a.Type != o.Type,
		o.NamePrefix != "" && !strings.HasPrefix(a.Name, o.NamePrefix),
		o.State != "" && a.State != o.State:
		return false
	case o.MetadataKey != "":
		if _, ok := a.Metadata[o.MetadataKey]; !ok {
			return false
		}
	}
	if o.Instance != "" && (a.Snapshot == nil || a.Snapshot.Instance != o.Instance) {
		return false
	}
	if !o.SetID.IsZero() && (a.Snapshot == nil || a.Snapshot.SetID != o.SetID) {
		return false
	}
	return true
}

// listSources picks the index ranges that hold every artifact c may see
// matching o. Each yields keys "<ns>\x00<name>" in order.
func (db *DB) listSources(tx *bolt.Tx, c Caller, o ListOptions) []*source {
	byName := func(ns string) *source {
		if o.Type != "" {
			return newSource(tx, bucketArtifactType, joinKey(string(o.Type), ns, o.NamePrefix), len(o.Type)+1)
		}
		return newSource(tx, bucketArtifactName, joinKey(ns, o.NamePrefix), 0)
	}
	switch {
	case o.Namespace != "" && (c.IsSystem() || c.Namespace == o.Namespace):
		return []*source{byName(o.Namespace)}
	case o.Namespace != "":
		return []*source{
			newSource(tx, bucketArtifactShared, joinKey(o.Namespace, o.NamePrefix), 0),
			newSource(tx, bucketArtifactGrant, joinKey(c.Namespace, o.Namespace, o.NamePrefix), len(c.Namespace)+1),
		}
	case c.IsSystem():
		if o.Type != "" {
			return []*source{newSource(tx, bucketArtifactType, joinKey(string(o.Type), ""), len(o.Type)+1)}
		}
		return []*source{newSource(tx, bucketArtifactName, nil, 0)}
	}
	return []*source{
		byName(c.Namespace),
		newSource(tx, bucketArtifactShared, nil, 0),
		newSource(tx, bucketArtifactGrant, joinKey(c.Namespace, ""), len(c.Namespace)+1),
	}
}

// source walks one index range; keys have strip bytes of prefix removed so
// that every source yields "<ns>\x00<name>".
type source struct {
	c      *bolt.Cursor
	prefix []byte
	strip  int
	k, v   []byte
}

func newSource(tx *bolt.Tx, bucket, prefix []byte, strip int) *source {
	return &source{c: tx.Bucket(bucket).Cursor(), prefix: prefix, strip: strip}
}

// seek positions s at the first key after `after` (stripped form).
func (s *source) seek(after []byte) {
	start := s.prefix
	if after != nil {
		full := append(append([]byte{}, s.prefix[:s.strip]...), after...)
		if bytes.Compare(full, start) > 0 {
			start = full
		}
	}
	s.k, s.v = s.c.Seek(start)
	if after != nil && s.k != nil && bytes.Equal(s.k[min(s.strip, len(s.k)):], after) {
		s.k, s.v = s.c.Next()
	}
	s.check()
}

func (s *source) advance() {
	s.k, s.v = s.c.Next()
	s.check()
}

func (s *source) check() {
	if s.k != nil && !bytes.HasPrefix(s.k, s.prefix) {
		s.k, s.v = nil, nil
	}
}

func (s *source) key() []byte { return s.k[s.strip:] }

// merger merges sources in key order, dropping duplicates.
type merger struct {
	srcs   []*source
	after  []byte
	seeked bool
	last   []byte // the key next returned last
}

func (m *merger) peek() ([]byte, []byte, bool) {
	if !m.seeked {
		for _, s := range m.srcs {
			s.seek(m.after)
		}
		m.seeked = true
	}
	var best *source
	for _, s := range m.srcs {
		if s.k != nil && (best == nil || bytes.Compare(s.key(), best.key()) < 0) {
			best = s
		}
	}
	if best == nil {
		return nil, nil, false
	}
	return best.key(), best.v, true
}

func (m *merger) next() ([]byte, []byte, bool) {
	k, v, ok := m.peek()
	if !ok {
		return nil, nil, false
	}
	k = append([]byte(nil), k...)
	v = append([]byte(nil), v...)
	m.last = k
	for _, s := range m.srcs {
		for s.k != nil && bytes.Equal(s.key(), k) {
			s.advance()
		}
	}
	return k, v, true
}

func decodeCursor(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > MaxRefLen || bytes.IndexByte(b, sep) < 0 {
		return nil, invalidf("cursor %q is not one this server issued", clip(s))
	}
	return b, nil
}
