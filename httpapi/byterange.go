package httpapi

import (
	"errors"
	"strconv"
	"strings"
)

// errRange marks a Range header that cannot be satisfied.
var errRange = errors.New("range not satisfiable")

// parseRange parses a Range header against a representation of size
// bytes. It supports one range ("bytes=a-b", "bytes=a-", "bytes=-n"); an
// empty header, another unit, or several ranges return ok false (serve the
// whole representation, which RFC 9110 allows). A syntactically valid range
// that selects nothing returns errRange.
func parseRange(h string, size int64) (start, n int64, ok bool, err error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if h == "" || !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, errRange
	}
	if first == "" {
		k, err := strconv.ParseInt(last, 10, 64)
		if err != nil || k <= 0 {
			return 0, 0, false, errRange
		}
		k = min(k, size)
		if k == 0 {
			return 0, 0, false, errRange
		}
		return size - k, k, true, nil
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 || a >= size {
		return 0, 0, false, errRange
	}
	b := size - 1
	if last != "" {
		if b, err = strconv.ParseInt(last, 10, 64); err != nil || b < a {
			return 0, 0, false, errRange
		}
		b = min(b, size-1)
	}
	return a, b - a + 1, true, nil
}
