package cas

import (
	"sync"
	"sync/atomic"
)

// chunkSize is the unit in which bytes flow from a Writer to the file and to
// the hashers. Large enough that per-chunk overhead vanishes next to hashing,
// small enough that a few in flight cost little memory.
const chunkSize = 1 << 20

// chunksInFlight bounds the chunks a Writer has handed to its file writer and
// hashers but that are not yet consumed; it is the pipeline's back-pressure.
const chunksInFlight = 16

// chunk is one buffer on its way to several consumers. The last consumer to
// call done returns it to its pool.
type chunk struct {
	buf  []byte // valid bytes
	off  int64  // file offset of buf[0]
	refs atomic.Int32
	pool *chunkPool
}

// done marks one consumer finished with c.
func (c *chunk) done() {
	if c.refs.Add(-1) == 0 {
		c.pool.put(c)
	}
}

// chunkPool recycles chunk buffers (first touch of fresh memory is slow in a
// VM) and bounds how many one Writer has in flight.
type chunkPool struct {
	free  *sync.Pool // shared by all writers of a Store
	slots chan struct{}
}

func newChunkPool(free *sync.Pool) *chunkPool {
	return &chunkPool{free: free, slots: make(chan struct{}, chunksInFlight)}
}

// newChunkFree returns the Store-wide pool of chunk buffers.
func newChunkFree() *sync.Pool {
	return &sync.Pool{New: func() any { return &chunk{buf: make([]byte, 0, chunkSize)} }}
}

// get blocks until a slot is free and returns an empty chunk with room for
// chunkSize bytes.
func (p *chunkPool) get() *chunk {
	p.slots <- struct{}{}
	c := p.free.Get().(*chunk)
	c.buf = c.buf[:0]
	c.pool = p
	return c
}

func (p *chunkPool) put(c *chunk) {
	p.free.Put(c)
	<-p.slots
}
