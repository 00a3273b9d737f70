package cas

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// UUID is a 16-byte RFC 9562 identifier. Blob UUIDs are derived from digests
// (Digest.UUID); other objects use random ones (NewUUID).
type UUID [16]byte

// String returns the 36-character hyphenated lowercase form.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// IsZero reports whether u is the zero value.
func (u UUID) IsZero() bool { return u == UUID{} }

// MarshalText implements encoding.TextMarshaler.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (u *UUID) UnmarshalText(b []byte) error {
	p, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = p
	return nil
}

// ParseUUID parses the 36-character hyphenated form (any case). It returns an
// error wrapping ErrInvalidDigest for anything else.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return UUID{}, fmt.Errorf("uuid %q: %w", clip(s), ErrInvalidDigest)
	}
	parts := [...]struct{ from, to, at int }{{0, 8, 0}, {9, 13, 4}, {14, 18, 6}, {19, 23, 8}, {24, 36, 10}}
	for _, p := range parts {
		if _, err := hex.Decode(u[p.at:], []byte(s[p.from:p.to])); err != nil {
			return UUID{}, fmt.Errorf("uuid %q: %w", clip(s), ErrInvalidDigest)
		}
	}
	return u, nil
}

// NewUUID returns a random (version 4) UUID. It panics only if the kernel's
// random source fails, which crypto/rand documents as unrecoverable.
func NewUUID() UUID {
	var u UUID
	_, _ = rand.Read(u[:])
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}
