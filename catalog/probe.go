package catalog

import (
	"errors"
	"fmt"
	"io"

	"github.com/sfcas/sfcas/cas/qcow2"
)

// probe reads an image's format facts. A malformed qcow2 header is refused
// as unsafe: QEMU must never be offered it.
func probe(r io.ReaderAt, size int64) (qcow2.Info, error) {
	info, err := qcow2.Probe(r, size)
	switch {
	case errors.Is(err, qcow2.ErrMalformed):
		return info, fmt.Errorf("%v: %w", err, ErrUnsafeImage)
	case err != nil:
		return info, fmt.Errorf("reading the image header: %w", err) // an I/O failure, not the image's fault
	}
	return info, nil
}
