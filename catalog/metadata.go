package catalog

import (
	"encoding/json"
	"fmt"
)

// Metadata is an object's owner-defined key/value store. Values are any JSON
// value; sfcas never interprets them.
type Metadata map[string]json.RawMessage

// Metadata bounds, so one object cannot grow without limit.
const (
	MaxMetadataKeys      = 128
	MaxMetadataKeyLen    = 128
	MaxMetadataValueSize = 8 << 10
)

// set validates and stores one key.
func (m Metadata) set(key string, value json.RawMessage) error {
	if key == "" || len(key) > MaxMetadataKeyLen {
		return invalidf("metadata key must be 1 to %d bytes", MaxMetadataKeyLen)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return invalidf("metadata key %q contains a control character", clip(key))
		}
	}
	if len(value) == 0 || len(value) > MaxMetadataValueSize || !json.Valid(value) {
		return invalidf("metadata value must be a JSON value of at most %d bytes", MaxMetadataValueSize)
	}
	if _, ok := m[key]; !ok && len(m) >= MaxMetadataKeys {
		return invalidf("an object holds at most %d metadata keys", MaxMetadataKeys)
	}
	m[key] = value
	return nil
}

// del removes one key; a missing key is ErrNotFound.
func (m Metadata) del(key string) error {
	if _, ok := m[key]; !ok {
		return fmt.Errorf("metadata key %q: %w", clip(key), ErrNotFound)
	}
	delete(m, key)
	return nil
}
