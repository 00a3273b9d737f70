package catalog

import (
	"sync"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// Change says that an artifact's versions (and so perhaps its current
// content) changed, or that it was created or deleted. It is delivered after
// the transaction commits.
type Change struct {
	UUID      cas.UUID
	Namespace string
	Name      string
	Type      ArtifactType
	Deleted   bool
}

// watchers fans changes out to subscribers.
type watchers struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Change
}

// Watch returns a channel of changes and a function that ends the
// subscription. The channel is buffered; a subscriber that falls behind
// loses changes rather than slowing writers, so subscribers must treat a
// change as "look again", not as a complete log.
func (db *DB) Watch() (<-chan Change, func()) {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.subs == nil {
		w.subs = map[int]chan Change{}
	}
	id := w.next
	w.next++
	ch := make(chan Change, 1024)
	w.subs[id] = ch
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if c, ok := w.subs[id]; ok {
			delete(w.subs, id)
			close(c)
		}
	}
}

// notify queues ch for delivery when tx commits.
func (db *DB) notify(tx *bolt.Tx, ch Change) {
	tx.OnCommit(func() {
		w := &db.watch
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, c := range w.subs {
			select {
			case c <- ch:
			default:
			}
		}
	})
}

func changeOf(a *Artifact, deleted bool) Change {
	return Change{UUID: a.UUID, Namespace: a.Namespace, Name: a.Name, Type: a.Type, Deleted: deleted}
}
