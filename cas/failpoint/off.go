//go:build !failpoints

package failpoint

// Enabled reports whether this build honours failpoints.
const Enabled = false

// Hit does nothing in a normal build.
func Hit(string) {}
