package fusefs

import (
	"strings"

	"github.com/sfcas/sfcas/catalog"
)

// watch follows the catalog's change feed and tells the kernel to forget
// the entries of labels that changed, so the next open looks them up
// again. It returns a function that stops it.
func (r *viewRoot) watch() func() {
	ch, cancel := r.v.db.Watch()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range ch {
			if c.Type == catalog.TypeLabel {
				r.invalidate(c.Namespace, c.Name)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// invalidate drops the kernel's entries for name and its "@n" names in
// namespace ns, if the kernel knows them.
func (r *viewRoot) invalidate(ns, name string) {
	dir := r.GetChild(ns)
	if dir == nil {
		return
	}
	for child := range dir.Children() {
		if child == name || strings.HasPrefix(child, name+"@") {
			dir.NotifyEntry(child)
		}
	}
}
