package cas

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// DigestSize is the length in bytes of a BLAKE3-256 digest.
const DigestSize = 32

// Digest is the BLAKE3-256 of a blob's bytes: the blob's identity. The zero
// value names no blob. Digest is comparable and usable as a map key.
type Digest [DigestSize]byte

// digestPrefix is the algorithm tag of the canonical textual form.
const digestPrefix = "blake3:"

// String returns the canonical form "blake3:<64 hex>".
func (d Digest) String() string { return digestPrefix + hex.EncodeToString(d[:]) }

// Hex returns the 64 lowercase hex characters of the digest.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is the zero value.
func (d Digest) IsZero() bool { return d == Digest{} }

// UUID returns the blob UUID derived from the digest: the first 16 bytes with
// the RFC 9562 version set to 8 and the variant to 10. The same bytes have the
// same UUID on every node.
func (d Digest) UUID() UUID {
	var u UUID
	copy(u[:], d[:16])
	u[6] = (u[6] & 0x0f) | 0x80
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts what
// ParseDigest accepts.
func (d *Digest) UnmarshalText(b []byte) error {
	p, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// ParseDigest parses "blake3:<64 hex>" (the prefix may be omitted). Hex may be
// upper or lower case. It returns an error wrapping ErrInvalidDigest for
// anything else.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	h := strings.TrimPrefix(s, digestPrefix)
	if err := decodeHex(d[:], h); err != nil {
		return Digest{}, fmt.Errorf("%q: %w", clip(s), ErrInvalidDigest)
	}
	return d, nil
}

// decodeHex fills dst from exactly 2*len(dst) hex characters.
func decodeHex(dst []byte, s string) error {
	if len(s) != 2*len(dst) {
		return ErrInvalidDigest
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return ErrInvalidDigest
	}
	return nil
}

// clip shortens untrusted text before it is quoted in an error.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
