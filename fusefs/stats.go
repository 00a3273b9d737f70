package fusefs

import "sync/atomic"

// Stats counts what a mount did since it was made (for metrics).
type Stats struct {
	Opens            int64 // label view: files opened
	PassthroughOpens int64 // of those, read by the kernel through passthrough
	DaemonReads      int64 // label view: READ requests the daemon served itself
	RefusedOpens     int64 // label view: opens answered EIO (damaged or missing blobs)
	Commits          int64 // staging: writes published as versions
	RefusedCommits   int64 // staging: commits refused (close(2) or rename(2) failed)
	CommittedBytes   int64 // staging: bytes of the blobs committed
}

// counters are a mount's running totals, shared by its nodes.
type counters struct {
	opens, passthroughOpens, daemonReads, refusedOpens atomic.Int64
	commits, refusedCommits, committedBytes            atomic.Int64
}

// Stats returns the mount's totals so far.
func (m *Mount) Stats() Stats {
	c := m.stats
	return Stats{
		Opens: c.opens.Load(), PassthroughOpens: c.passthroughOpens.Load(), DaemonReads: c.daemonReads.Load(),
		RefusedOpens: c.refusedOpens.Load(), Commits: c.commits.Load(), RefusedCommits: c.refusedCommits.Load(),
		CommittedBytes: c.committedBytes.Load(),
	}
}
