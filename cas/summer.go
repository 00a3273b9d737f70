package cas

import (
	"crypto/sha512"
	"hash"

	sha256 "github.com/minio/sha256-simd"
	"github.com/zeebo/blake3"
)

// summer computes BLAKE3-256, SHA-256 and SHA-512 of a byte stream in one
// pass. The work is split over two goroutines, BLAKE3 and SHA-256 on one and
// SHA-512 (the slowest, about 650 MB/s here) on the other, so a single ingest
// hashes at the speed of SHA-512 alone while the caller keeps writing.
//
// Chunks are fed in stream order; each worker calls chunk.done when finished.
// A summer is not safe for concurrent feeding.
type summer struct {
	fast  chan *chunk // BLAKE3 + SHA-256
	slow  chan *chunk // SHA-512
	fin   chan struct{}
	b3    *blake3.Hasher
	s256  hash.Hash
	s512  hash.Hash
	n     int64
	ended bool
}

func newSummer() *summer {
	s := &summer{
		fast: make(chan *chunk, chunksInFlight),
		slow: make(chan *chunk, chunksInFlight),
		fin:  make(chan struct{}, 2),
		b3:   blake3.New(),
		s256: sha256.New(),
		s512: sha512.New(),
	}
	go s.work(s.fast, s.b3, s.s256)
	go s.work(s.slow, s.s512)
	return s
}

func (s *summer) work(in <-chan *chunk, hs ...hash.Hash) {
	for c := range in {
		for _, h := range hs {
			h.Write(c.buf)
		}
		c.done()
	}
	s.fin <- struct{}{}
}

// refs is how many consumers a fed chunk gets from the summer.
const summerRefs = 2

// feed hands c to both workers. The caller must have added summerRefs to
// c.refs.
func (s *summer) feed(c *chunk) {
	s.n += int64(len(c.buf))
	s.fast <- c
	s.slow <- c
}

// sum waits for the workers and returns the digests of everything fed.
func (s *summer) sum() Sums {
	s.stop()
	var out Sums
	s.b3.Sum(out.BLAKE3[:0])
	s.s256.Sum(out.SHA256[:0])
	s.s512.Sum(out.SHA512[:0])
	return out
}

// stop ends the workers after they drain; it is idempotent.
func (s *summer) stop() {
	if s.ended {
		return
	}
	s.ended = true
	close(s.fast)
	close(s.slow)
	<-s.fin
	<-s.fin
}
