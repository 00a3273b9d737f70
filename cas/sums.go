package cas

import (
	"encoding/hex"
	"fmt"
)

// Sums are the digests recorded for every blob: the canonical BLAKE3-256 and
// the SHA-256 and SHA-512 that clients search by.
type Sums struct {
	BLAKE3 Digest
	SHA256 [32]byte
	SHA512 [64]byte
}

// SHA256Hex returns the SHA-256 as lowercase hex.
func (s Sums) SHA256Hex() string { return hex.EncodeToString(s.SHA256[:]) }

// SHA512Hex returns the SHA-512 as lowercase hex.
func (s Sums) SHA512Hex() string { return hex.EncodeToString(s.SHA512[:]) }

// ParseSHA256 parses 64 hex characters.
func ParseSHA256(s string) ([32]byte, error) {
	var b [32]byte
	if err := decodeHex(b[:], s); err != nil {
		return b, fmt.Errorf("sha256 %q: %w", clip(s), ErrInvalidDigest)
	}
	return b, nil
}

// ParseSHA512 parses 128 hex characters.
func ParseSHA512(s string) ([64]byte, error) {
	var b [64]byte
	if err := decodeHex(b[:], s); err != nil {
		return b, fmt.Errorf("sha512 %q: %w", clip(s), ErrInvalidDigest)
	}
	return b, nil
}
