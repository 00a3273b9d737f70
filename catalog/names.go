package catalog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SystemNamespace is the administrative namespace: its callers may see and
// change everything.
const SystemNamespace = "system"

// MaxNameLen bounds artifact and label names in bytes.
const MaxNameLen = 255

// MaxIdentLen bounds namespace and key names in bytes.
const MaxIdentLen = 63

// ValidateName checks an artifact or label name. Names may contain ':' and
// '.' (as in "centos:7") but not '/', '@' (which separates a version in a
// reference), NUL, control characters or invalid UTF-8; they may not start
// with '.' (dot names are scratch files on the staging mount and ".blobs" is
// reserved on the label view), be longer than MaxNameLen bytes, or have
// leading or trailing white space.
func ValidateName(name string) error {
	switch {
	case name == "":
		return invalidf("name is empty")
	case len(name) > MaxNameLen:
		return invalidf("name is %d bytes long; the limit is %d", len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return invalidf("name is not valid UTF-8")
	case strings.HasPrefix(name, "."):
		return invalidf("name %q starts with '.'", name)
	case strings.TrimSpace(name) != name:
		return invalidf("name %q has leading or trailing white space", name)
	}
	for _, r := range name {
		if r == '/' || r == '@' || r == '\\' || unicode.IsControl(r) {
			return invalidf("name %q contains %q, which names may not contain", clip(name), r)
		}
	}
	return nil
}

// ValidateIdent checks a namespace or key name: 1 to MaxIdentLen characters
// from [A-Za-z0-9._-], starting with a letter or digit.
func ValidateIdent(kind, s string) error {
	if s == "" {
		return invalidf("%s name is empty", kind)
	}
	if len(s) > MaxIdentLen {
		return invalidf("%s name is %d bytes long; the limit is %d", kind, len(s), MaxIdentLen)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && strings.ContainsRune("._-", r))
		if !ok {
			return invalidf("%s name %q may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit", kind, clip(s))
		}
	}
	return nil
}

// clip shortens untrusted text before it is quoted in an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Caller is the identity an operation runs as: a namespace and the key (or
// local user) that authenticated it.
type Caller struct {
	Namespace string
	Key       string
}

// IsSystem reports whether c may administer every namespace.
func (c Caller) IsSystem() bool { return c.Namespace == SystemNamespace }

// Who is how events name the caller: "<namespace>/<key>".
func (c Caller) Who() string {
	if c.Key == "" {
		return c.Namespace
	}
	return c.Namespace + "/" + c.Key
}

// mayChange reports whether c may change objects owned by namespace ns.
func (c Caller) mayChange(ns string) bool { return c.IsSystem() || c.Namespace == ns }
