package catalog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sfcas/sfcas/cas"
)

// RefKind says what syntax a reference used.
type RefKind int

// Reference kinds.
const (
	RefBareName     RefKind = iota // "<name>": looked up in the caller's namespace and in system
	RefNamed                       // "<ns>/<name>" or sf://label/<ns>/<name>
	RefUUID                        // a UUID: an artifact or a blob
	RefDigest                      // blake3:, sha256: or sha512: followed by hex
	RefArtifactUUID                // sf://artifact/<uuid> or sf://snapshot/<uuid>
	RefBlobUUID                    // sf://blob/<uuid>
	RefUpload                      // sf://upload/<uuid>
)

// Ref is a parsed reference. Parsing needs no catalog; Resolve looks it up.
type Ref struct {
	Kind      RefKind
	Namespace string
	Name      string
	UUID      cas.UUID
	Alg       string // for RefDigest: blake3, sha256 or sha512
	Hex       string // for RefDigest
	// Version is the "@<n>" suffix of a name or artifact reference; 0 means
	// the latest version.
	Version int
	// LabelOnly is set by sf://label/ URLs: only a label may match.
	LabelOnly bool
	// SnapshotOnly is set by sf://snapshot/ URLs.
	SnapshotOnly bool
}

// MaxRefLen bounds a reference's length.
const MaxRefLen = 2 * (MaxNameLen + MaxIdentLen)

// ParseRef parses a reference (see the package doc for the one rule):
//
//	<uuid>                       an artifact or blob UUID
//	blake3:<hex> sha256:<hex> sha512:<hex>
//	sf://label/<ns>/<name>[@n]   sf://artifact/<uuid>[@n]   sf://snapshot/<uuid>[@n]
//	sf://blob/<uuid>             sf://upload/<uuid>
//	<ns>/<name>[@n]              <name>[@n]
//
// Any other sf:// scheme, or any other URL, is ErrInvalid: nothing is ever
// fetched because of a reference.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, invalidf("reference is empty")
	}
	if len(s) > MaxRefLen {
		return Ref{}, invalidf("reference is %d bytes long; the limit is %d", len(s), MaxRefLen)
	}
	if rest, ok := strings.CutPrefix(s, "sf://"); ok {
		return parseSFURL(s, rest)
	}
	if i := strings.Index(s, "://"); i > 0 {
		return Ref{}, invalidf("reference %q is a URL; publish it explicitly to fetch it", clip(s))
	}
	for _, alg := range []string{AlgBLAKE3, AlgSHA256, AlgSHA512} {
		if hex, ok := strings.CutPrefix(s, alg+":"); ok {
			return parseDigestRef(s, alg, hex)
		}
	}
	if u, err := cas.ParseUUID(s); err == nil {
		return Ref{Kind: RefUUID, UUID: u}, nil
	}
	return parseNameRef(s, RefBareName)
}

func parseDigestRef(s, alg, hex string) (Ref, error) {
	want := map[string]int{AlgBLAKE3: 64, AlgSHA256: 64, AlgSHA512: 128}[alg]
	if len(hex) != want || strings.Trim(strings.ToLower(hex), "0123456789abcdef") != "" {
		return Ref{}, invalidf("digest %q: %s needs %d hex characters", clip(s), alg, want)
	}
	return Ref{Kind: RefDigest, Alg: alg, Hex: strings.ToLower(hex)}, nil
}

func parseSFURL(s, rest string) (Ref, error) {
	kind, path, _ := strings.Cut(rest, "/")
	switch kind {
	case "label":
		r, err := parseNameRef(path, RefNamed)
		if err == nil && r.Kind != RefNamed {
			err = invalidf("%q: a label URL is sf://label/<namespace>/<name>", clip(s))
		}
		r.LabelOnly = true
		return r, err
	case "artifact", "snapshot", "blob", "upload":
		id, version, err := splitVersion(path)
		if err != nil {
			return Ref{}, err
		}
		u, err := cas.ParseUUID(id)
		if err != nil {
			return Ref{}, invalidf("%q: expected sf://%s/<uuid>", clip(s), kind)
		}
		r := Ref{UUID: u, Version: version}
		switch kind {
		case "artifact":
			r.Kind = RefArtifactUUID
		case "snapshot":
			r.Kind, r.SnapshotOnly = RefArtifactUUID, true
		case "blob":
			r.Kind = RefBlobUUID
		case "upload":
			r.Kind = RefUpload
		}
		if version != 0 && (r.Kind == RefBlobUUID || r.Kind == RefUpload) {
			return Ref{}, invalidf("%q: only artifacts have versions", clip(s))
		}
		return r, nil
	}
	return Ref{}, invalidf("%q: unknown sf:// kind %q (label, artifact, snapshot, blob, upload)", clip(s), clip(kind))
}

// parseNameRef parses "<ns>/<name>[@n]" or "<name>[@n]".
func parseNameRef(s string, kind RefKind) (Ref, error) {
	body, version, err := splitVersion(s)
	if err != nil {
		return Ref{}, err
	}
	r := Ref{Kind: RefBareName, Name: body, Version: version}
	if ns, name, ok := strings.Cut(body, "/"); ok {
		if err := ValidateIdent("namespace", ns); err != nil {
			return Ref{}, err
		}
		r.Kind, r.Namespace, r.Name = RefNamed, ns, name
	} else if kind == RefNamed {
		return Ref{}, invalidf("%q: expected <namespace>/<name>", clip(s))
	}
	if err := ValidateName(r.Name); err != nil {
		return Ref{}, err
	}
	return r, nil
}

// splitVersion splits a trailing "@<n>".
func splitVersion(s string) (string, int, error) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return s, 0, nil
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 1 || n > 1<<30 {
		return "", 0, invalidf("%q: version after '@' must be a positive integer", clip(s))
	}
	return s[:i], n, nil
}

// String returns the explicit form a user can paste back.
func (r Ref) String() string {
	v := ""
	if r.Version > 0 {
		v = "@" + strconv.Itoa(r.Version)
	}
	switch r.Kind {
	case RefNamed:
		return r.Namespace + "/" + r.Name + v
	case RefBareName:
		return r.Name + v
	case RefUUID:
		return r.UUID.String()
	case RefDigest:
		return r.Alg + ":" + r.Hex
	case RefArtifactUUID:
		return "sf://artifact/" + r.UUID.String() + v
	case RefBlobUUID:
		return "sf://blob/" + r.UUID.String()
	case RefUpload:
		return "sf://upload/" + r.UUID.String()
	}
	return "?"
}

// AmbiguousError is returned when a reference matches more than one object.
// Candidates are explicit references, each of which resolves uniquely.
type AmbiguousError struct {
	Ref        string
	Candidates []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("reference %q is ambiguous: it matches %s", clip(e.Ref), strings.Join(e.Candidates, " and "))
}

// Is makes errors.Is(err, ErrAmbiguous) true.
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

// ErrAmbiguous matches any AmbiguousError.
var ErrAmbiguous = errors.New("ambiguous reference")
