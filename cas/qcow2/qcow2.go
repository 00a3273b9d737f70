// Package qcow2 reads the facts sfcas records about a disk image from its
// first bytes: whether it is qcow2, its virtual size, and whether its header
// names another file (a backing file or an external data file), which a
// hostile image can use to make QEMU read host files.
//
// The parser is pure Go, reads only through io.ReaderAt, bounds every offset
// and length it follows, and never allocates more than a few KiB.
package qcow2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Magic is the first four bytes of every qcow2 file.
var Magic = [4]byte{'Q', 'F', 'I', 0xfb}

// ErrMalformed is returned for a file that starts with the qcow2 magic but
// whose header does not parse; such a file must not be offered to QEMU as
// either raw or qcow2.
var ErrMalformed = errors.New("malformed qcow2 header")

// Format names.
const (
	FormatRaw   = "raw"
	FormatQCOW2 = "qcow2"
)

// Info is what the header says.
type Info struct {
	Format      string // FormatRaw or FormatQCOW2
	Version     uint32 // qcow2 version (2 or 3)
	VirtualSize int64  // guest-visible size; for raw, the file size
	ClusterBits uint32
	// BackingFile is the backing file name from the header, if any.
	BackingFile string
	// BackingFormat is the backing format header extension, if any.
	BackingFormat string
	// DataFile is the external data file name extension, if any.
	DataFile string
	// ExternalData is the incompatible feature bit for an external data file.
	ExternalData bool
	Encrypted    bool
}

// NamesOtherFiles reports whether opening the image makes QEMU open another
// file.
func (i Info) NamesOtherFiles() bool {
	return i.BackingFile != "" || i.DataFile != "" || i.ExternalData
}

// Header field offsets and limits (qcow2 specification, big endian).
const (
	v2HeaderLen       = 72
	v3HeaderLen       = 104
	maxHeaderLen      = 4096
	maxBackingNameLen = 1023
	maxExtensionsLen  = 64 << 10
	extEnd            = 0x00000000
	extBackingFormat  = 0xe2792aca
	extDataFile       = 0x44415441
	incompatDataFile  = 1 << 2
	maxClusterBits    = 21
	minClusterBits    = 9
)

// Probe reads the header of the image in r, whose length is size. A file
// without the qcow2 magic is raw. A file with the magic and a header that
// does not parse is ErrMalformed.
func Probe(r io.ReaderAt, size int64) (Info, error) {
	raw := Info{Format: FormatRaw, VirtualSize: size}
	if size < 4 {
		return raw, nil
	}
	var head [v3HeaderLen]byte
	n, err := r.ReadAt(head[:], 0)
	if n < 4 {
		if err == nil || errors.Is(err, io.EOF) {
			return raw, nil
		}
		return Info{}, err
	}
	if [4]byte(head[:4]) != Magic {
		return raw, nil
	}
	if n < v2HeaderLen {
		return Info{}, fmt.Errorf("%w: file is %d bytes", ErrMalformed, size)
	}
	be := binary.BigEndian
	info := Info{
		Format:      FormatQCOW2,
		Version:     be.Uint32(head[4:]),
		ClusterBits: be.Uint32(head[20:]),
		Encrypted:   be.Uint32(head[32:]) != 0,
	}
	vsize := be.Uint64(head[24:])
	if vsize > 1<<62 {
		return Info{}, fmt.Errorf("%w: virtual size %d", ErrMalformed, vsize)
	}
	info.VirtualSize = int64(vsize)
	if info.ClusterBits < minClusterBits || info.ClusterBits > maxClusterBits {
		return Info{}, fmt.Errorf("%w: cluster bits %d", ErrMalformed, info.ClusterBits)
	}
	headerLen := uint32(v2HeaderLen)
	switch info.Version {
	case 2:
	case 3:
		if n < v3HeaderLen {
			return Info{}, fmt.Errorf("%w: short version 3 header", ErrMalformed)
		}
		info.ExternalData = be.Uint64(head[72:])&incompatDataFile != 0
		headerLen = be.Uint32(head[100:])
		if headerLen < v3HeaderLen || headerLen > maxHeaderLen || headerLen%8 != 0 {
			return Info{}, fmt.Errorf("%w: header length %d", ErrMalformed, headerLen)
		}
	default:
		return Info{}, fmt.Errorf("%w: version %d", ErrMalformed, info.Version)
	}
	if err := readBacking(r, size, head[:], &info); err != nil {
		return Info{}, err
	}
	if err := readExtensions(r, size, int64(headerLen), &info); err != nil {
		return Info{}, err
	}
	return info, nil
}

// readBacking reads the backing file name the header points at.
func readBacking(r io.ReaderAt, size int64, head []byte, info *Info) error {
	be := binary.BigEndian
	off, n := be.Uint64(head[8:]), be.Uint32(head[16:])
	if off == 0 {
		return nil
	}
	if n == 0 || n > maxBackingNameLen || off > uint64(size) || uint64(size)-off < uint64(n) {
		return fmt.Errorf("%w: backing file name at %d+%d", ErrMalformed, off, n)
	}
	name := make([]byte, n)
	if _, err := r.ReadAt(name, int64(off)); err != nil {
		return fmt.Errorf("%w: backing file name: %v", ErrMalformed, err)
	}
	info.BackingFile = string(name)
	return nil
}

// readExtensions walks the header extensions after the fixed header.
func readExtensions(r io.ReaderAt, size, off int64, info *Info) error {
	end := off + maxExtensionsLen
	var hdr [8]byte
	for off < end {
		if off+8 > size {
			return fmt.Errorf("%w: header extensions run past the end of the file", ErrMalformed)
		}
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return fmt.Errorf("%w: header extension at %d: %v", ErrMalformed, off, err)
		}
		typ, n := binary.BigEndian.Uint32(hdr[:]), int64(binary.BigEndian.Uint32(hdr[4:]))
		if typ == extEnd {
			return nil
		}
		off += 8
		if n > maxExtensionsLen || off+n > size || off+n > end {
			return fmt.Errorf("%w: header extension %#x of %d bytes", ErrMalformed, typ, n)
		}
		if typ == extBackingFormat || typ == extDataFile {
			if n > maxBackingNameLen {
				return fmt.Errorf("%w: header extension %#x of %d bytes", ErrMalformed, typ, n)
			}
			b := make([]byte, n)
			if _, err := r.ReadAt(b, off); err != nil {
				return fmt.Errorf("%w: header extension %#x: %v", ErrMalformed, typ, err)
			}
			if typ == extDataFile {
				info.DataFile = string(b)
			} else {
				info.BackingFormat = string(b)
			}
		}
		off += (n + 7) &^ 7
	}
	return fmt.Errorf("%w: header extensions do not end", ErrMalformed)
}
