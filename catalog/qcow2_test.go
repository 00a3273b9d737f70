package catalog_test

import (
	"encoding/binary"
	"testing"
)

// qcow2Header builds a minimal version 2 qcow2 header naming backing.
func qcow2Header(t *testing.T, backing string) []byte {
	t.Helper()
	b := make([]byte, 4096)
	copy(b, "QFI\xfb")
	be := binary.BigEndian
	be.PutUint32(b[4:], 2)
	be.PutUint32(b[20:], 16)
	be.PutUint64(b[24:], 1<<30)
	if backing != "" {
		be.PutUint64(b[8:], 512)
		be.PutUint32(b[16:], uint32(len(backing)))
		copy(b[512:], backing)
	}
	return b
}
