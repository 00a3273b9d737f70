package qcow2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// header builds a qcow2 header of the given version naming backing.
func header(version uint32, backing string) []byte {
	b := make([]byte, 1024)
	copy(b, Magic[:])
	be := binary.BigEndian
	be.PutUint32(b[4:], version)
	be.PutUint32(b[20:], 16)
	be.PutUint64(b[24:], 1<<30)
	if version == 3 {
		be.PutUint32(b[100:], 104)
	}
	if backing != "" {
		be.PutUint64(b[8:], 512)
		be.PutUint32(b[16:], uint32(len(backing)))
		copy(b[512:], backing)
	}
	return b
}

// FuzzProbe feeds arbitrary bytes to the header parser: it must never
// panic, never report a negative size, and never name a file longer than
// the bound; a file without the magic is always raw.
func FuzzProbe(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("QFI"))
	f.Add(header(2, ""))
	f.Add(header(3, ""))
	f.Add(header(2, "/etc/shadow"))
	ext := header(3, "")
	binary.BigEndian.PutUint32(ext[104:], extDataFile)
	binary.BigEndian.PutUint32(ext[108:], 9)
	copy(ext[112:], "/dev/sda1")
	f.Add(ext)
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Probe(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if len(data) < 4 || !bytes.Equal(data[:4], Magic[:]) {
				t.Fatalf("a file without the magic failed: %v", err)
			}
			return
		}
		if info.VirtualSize < 0 || len(info.BackingFile) > maxBackingNameLen || len(info.DataFile) > maxBackingNameLen {
			t.Fatalf("implausible info %+v", info)
		}
		if info.Format == FormatRaw && info.VirtualSize != int64(len(data)) {
			t.Fatalf("raw virtual size %d for %d bytes", info.VirtualSize, len(data))
		}
		if info.Format == FormatQCOW2 && !bytes.Equal(data[:4], Magic[:]) {
			t.Fatal("qcow2 without the magic")
		}
	})
}
