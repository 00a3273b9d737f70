//go:build failpoints

package failpoint

import (
	"os"
	"syscall"
)

// Enabled reports whether this build honours failpoints.
const Enabled = true

// Hit kills the process with SIGKILL if SFCAS_FAILPOINT names this point.
func Hit(name string) {
	if os.Getenv(EnvVar) != name {
		return
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way; never return into the next step
}
