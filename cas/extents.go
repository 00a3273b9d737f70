package cas

// extents is a sorted list of disjoint, non-adjacent byte ranges [start, end)
// that a Writer has written beyond its hashed prefix.
type extents []extent

type extent struct{ start, end int64 }

// add records [start, end), merging with overlapping or touching ranges.
func (e extents) add(start, end int64) extents {
	if start >= end {
		return e
	}
	out := make(extents, 0, len(e)+1)
	i := 0
	for ; i < len(e) && e[i].end < start; i++ {
		out = append(out, e[i])
	}
	for ; i < len(e) && e[i].start <= end; i++ {
		start = min(start, e[i].start)
		end = max(end, e[i].end)
	}
	out = append(out, extent{start, end})
	return append(out, e[i:]...)
}

// trimBelow drops everything before off.
func (e extents) trimBelow(off int64) extents {
	i := 0
	for i < len(e) && e[i].end <= off {
		i++
	}
	e = e[i:]
	if len(e) > 0 && e[0].start < off {
		e[0].start = off
	}
	return e
}

// clip drops everything at or after off.
func (e extents) clip(off int64) extents {
	for i := range e {
		if e[i].start >= off {
			return e[:i]
		}
		if e[i].end > off {
			e[i].end = off
			return e[:i+1]
		}
	}
	return e
}
