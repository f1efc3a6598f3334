package index

import (
	"cmp"
	"log/slog"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// segmentCache keeps what is derived from each segment of the index
// (facet columns, block maxima), built in the background one build at a
// time: segments never change once written, so each is read once, and
// searches read the segment itself until its entry is ready.
type segmentCache[T any] struct {
	what string // for the log
	// decode derives a segment's entry; false when stop closed first or
	// there is nothing to keep.
	decode   func(seg segment.Segment, stop <-chan struct{}) (T, bool, error)
	mu       sync.Mutex
	segs     map[segment.Segment]T
	building bool
	retry    time.Time     // after a failed build: none starts before
	stop     chan struct{} // closed by close: a build in progress gives up
	done     sync.WaitGroup
	off      bool // tests: read the segments only
	log      *slog.Logger
}

func newSegmentCache[T any](what string, decode func(segment.Segment, <-chan struct{}) (T, bool, error), log *slog.Logger) *segmentCache[T] {
	return &segmentCache[T]{what: what, decode: decode, segs: map[segment.Segment]T{}, stop: make(chan struct{}), log: log}
}

// lookup returns the entry of each of segs (the zero T where not built
// yet) and whether any is missing.
func (c *segmentCache[T]) lookup(segs []*scorch.SegmentSnapshot) ([]T, bool) {
	out := make([]T, len(segs))
	missing := false
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return out, false
	}
	for i, s := range segs {
		var ok bool
		out[i], ok = c.segs[s.Segment()]
		missing = missing || !ok
	}
	return out, missing
}

// buildFor starts a background build of the entries the live index's
// segments lack, unless one is running; take returns a reader of the live
// index (the build's own, released when it ends), or nil.
func (c *segmentCache[T]) buildFor(take func() bindex.IndexReader) {
	c.mu.Lock()
	if c.building || c.off || time.Now().Before(c.retry) {
		c.mu.Unlock()
		return
	}
	select {
	case <-c.stop:
		c.mu.Unlock()
		return
	default:
	}
	c.building = true
	c.done.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.done.Done()
		defer func() {
			c.mu.Lock()
			c.building = false
			c.mu.Unlock()
		}()
		r := take()
		if r == nil {
			return
		}
		defer r.Close()
		snap, ok := r.(*scorch.IndexSnapshot)
		if !ok {
			return
		}
		if err := guarded(func() error { return c.build(snap.Segments()) }); err != nil {
			// Searches read those segments themselves, as before; the
			// next query does not start the same failure again at once.
			c.log.Warn("building "+c.what, "err", err)
			c.mu.Lock()
			c.retry = time.Now().Add(segmentRetry)
			c.mu.Unlock()
		}
	}()
}

// segmentRetry is how long after a failed build the next may start.
const segmentRetry = time.Minute

// build derives the entry of each of segs not yet cached, then drops
// those of segments no longer in the index (merged away); a segment that
// fails is left out, and the first failure returned.
func (c *segmentCache[T]) build(segs []*scorch.SegmentSnapshot) error {
	live := make(map[segment.Segment]bool, len(segs))
	var first error
	for _, s := range segs {
		seg := s.Segment()
		live[seg] = true
		c.mu.Lock()
		_, have := c.segs[seg]
		c.mu.Unlock()
		if have {
			continue
		}
		began := time.Now()
		v, ok, err := c.decode(seg, c.stop)
		if err != nil {
			first = cmp.Or(first, err)
			continue
		}
		if !ok && stopped(c.stop) {
			return nil
		} // else v is the zero T: nothing to keep, and no build tries again
		c.log.Debug(c.what+" built", "documents", seg.Count(), "took", time.Since(began).Round(time.Millisecond))
		c.mu.Lock()
		c.segs[seg] = v
		c.mu.Unlock()
	}
	c.mu.Lock()
	for seg := range c.segs {
		if !live[seg] {
			delete(c.segs, seg)
		}
	}
	c.mu.Unlock()
	return first
}

// close stops a build in progress and waits for it.
func (c *segmentCache[T]) close() {
	c.mu.Lock()
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.mu.Unlock()
	c.done.Wait()
}

// stopped reports whether stop is closed; builds look often (every few
// thousand documents, every list).
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
