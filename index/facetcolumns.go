package index

import (
	"log/slog"
	"slices"

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

// facetColumns caches columns by segment (segcache.go).
type facetColumns = segmentCache[segColumns]

func newFacetColumns(log *slog.Logger) *facetColumns {
	return newSegmentCache("facet columns", decodeColumns, log)
}

// decodeColumns reads every document's facet values of seg, in document
// order (each doc-value chunk is then decompressed once); false when
// stop closed first or the segment has no doc values to visit.
func decodeColumns(seg segment.Segment, stop <-chan struct{}) (segColumns, bool, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, false, nil
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
		if d%4096 == 0 && stopped(stop) {
			return nil, false, nil
		}
		doc = uint32(d)
		if state, err = dv.VisitDocValues(d, FacetNames, visit, state); err != nil {
			return nil, false, err
		}
	}
	return cols, true, nil
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
