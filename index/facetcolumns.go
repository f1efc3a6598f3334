package index

import (
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Facet columns. bleve counts a facet by reading the matching document's
// doc values, which are stored in compressed chunks of many documents:
// the matches of a query that are spread over 10^6 passages each cost a
// chunk decompressed per facet field, and a page with a few thousand
// matches spent most of its time there. Segments never change once
// written, so each segment's facet values are decoded once, in the
// background, into one ordinal per document and field (facetcount.go
// counts from them); until a segment's columns are ready its matches
// are read from the doc values as before.

// column is one facet field of one segment.
type column struct {
	terms []string // ordinal → value
	// first holds each document's first value as ordinal+1, 0 when the
	// document has none.
	first []uint32
	// more holds the further values of documents with several (tags).
	more map[uint32][]uint32
}

// segColumns are a segment's facet columns, one per FacetNames entry, in
// its order.
type segColumns []column

// facetColumns caches columns by segment, and builds the missing ones in
// the background, one build at a time.
type facetColumns struct {
	mu       sync.Mutex
	segs     map[segment.Segment]segColumns
	building bool
	stop     chan struct{} // closed by Close: a build in progress gives up
	done     sync.WaitGroup
	off      bool // tests: count from doc values only
	log      *slog.Logger
}

func newFacetColumns(log *slog.Logger) *facetColumns {
	return &facetColumns{segs: map[segment.Segment]segColumns{}, stop: make(chan struct{}), log: log}
}

// lookup returns the columns of each of segs (nil where not built yet)
// and whether any is missing.
func (c *facetColumns) lookup(segs []*scorch.SegmentSnapshot) ([]segColumns, bool) {
	out := make([]segColumns, len(segs))
	missing := false
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return out, false
	}
	for i, s := range segs {
		out[i] = c.segs[s.Segment()]
		missing = missing || out[i] == nil
	}
	return out, missing
}

// buildFor starts a background build of the columns the live index's
// segments lack, unless one is running; take returns a reader of the live
// index (the build's own, released when it ends), or nil.
func (c *facetColumns) buildFor(take func() bindex.IndexReader) {
	c.mu.Lock()
	if c.building || c.off {
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
			// Searches read those segments' doc values, as before columns.
			c.log.Warn("decoding facet columns", "err", err)
		}
	}()
}

// build decodes the columns of each of segs not yet cached, then drops
// those of segments no longer in the index (merged away).
func (c *facetColumns) build(segs []*scorch.SegmentSnapshot) error {
	live := make(map[segment.Segment]bool, len(segs))
	for _, s := range segs {
		seg := s.Segment()
		live[seg] = true
		c.mu.Lock()
		have := c.segs[seg] != nil
		c.mu.Unlock()
		if have {
			continue
		}
		began := time.Now()
		cols, err := decodeColumns(seg, c.stop)
		if err != nil || cols == nil {
			return err
		}
		c.log.Debug("facet columns decoded", "documents", seg.Count(), "took", time.Since(began).Round(time.Millisecond))
		c.mu.Lock()
		c.segs[seg] = cols
		c.mu.Unlock()
	}
	c.mu.Lock()
	for seg := range c.segs {
		if !live[seg] {
			delete(c.segs, seg)
		}
	}
	c.mu.Unlock()
	return nil
}

// close stops a build in progress and waits for it.
func (c *facetColumns) close() {
	c.mu.Lock()
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.mu.Unlock()
	c.done.Wait()
}

// decodeColumns reads every document's facet values of seg, in document
// order (each doc-value chunk is then decompressed once). nil, nil when
// stop closed first or the segment has no doc values to visit.
func decodeColumns(seg segment.Segment, stop <-chan struct{}) (segColumns, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, nil
	}
	n := seg.Count()
	cols := make(segColumns, len(FacetNames))
	ords := make([]map[string]uint32, len(FacetNames))
	for i := range cols {
		cols[i].first = make([]uint32, n)
		ords[i] = map[string]uint32{}
	}
	var doc uint32
	visit := func(field string, term []byte) {
		i := slices.Index(FacetNames, field)
		if i < 0 {
			return
		}
		col := &cols[i]
		o, ok := ords[i][string(term)]
		if !ok {
			o = uint32(len(col.terms))
			col.terms = append(col.terms, string(term))
			ords[i][col.terms[o]] = o
		}
		if col.first[doc] == 0 {
			col.first[doc] = o + 1
			return
		}
		if col.more == nil {
			col.more = map[uint32][]uint32{}
		}
		col.more[doc] = append(col.more[doc], o)
	}
	var state segment.DocVisitState
	var err error
	for d := range n {
		if d%4096 == 0 {
			select {
			case <-stop:
				return nil, nil
			default:
			}
		}
		doc = uint32(d)
		if state, err = dv.VisitDocValues(d, FacetNames, visit, state); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

// liveReader returns a reader of the live index taken while no rebuild
// swaps it, or nil.
func (ix *Index) liveReader() bindex.IndexReader {
	ix.swapMu.RLock()
	defer ix.swapMu.RUnlock()
	adv, err := ix.alias.Advanced()
	if err != nil {
		return nil
	}
	r, err := adv.Reader()
	if err != nil {
		return nil
	}
	return r
}
