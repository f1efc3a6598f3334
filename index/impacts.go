package index

import (
	"context"
	"errors"
	"math"

	"github.com/blevesearch/bleve/v2/index/scorch"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Block maxima ("impacts", as Lucene keeps them beside its postings):
// for each block of a segment's document numbers, the most a frequent
// word's posting there adds to a BM25 score and to a phrase's tf-idf.
// A bound cut's scan (boundscan.go) otherwise takes every posting at the
// most any could add, which for a word in a third of the passages is
// twice what nearly all of them add: bounded by block, most blocks of a
// broad query cannot place a document on the page and are not read.
// Built per segment in the background (segcache.go); a list without
// them is bounded as before.

const (
	impactShift = 10 // a block is 1<<impactShift document numbers
	// A list is kept when it holds at least impactMinDF postings and one
	// document in impactShare of its segment: shorter lists cost little
	// to read whole.
	impactMinDF = 256
	impactShare = 64
)

// listImpacts are one word's block maxima in one field of a segment.
type listImpacts struct {
	// share is the highest tf/(tf+k1·length norm) of a block's postings,
	// at the segment's impacts' average length; 0 when it has none.
	share []float32
	// tfidf is the highest √tf·norm, the factor of a phrase's tf-idf.
	tfidf []float32
}

// segImpacts are a segment's block maxima.
type segImpacts struct {
	avg   [2]float64 // of each bound field, the average length shares were taken at
	lists map[fieldTerm]*listImpacts
}

type impactCache = segmentCache[*segImpacts]

// newImpactCache returns the block maxima cache of ix, whose average
// lengths the shares are taken at.
func newImpactCache(ix *Index) *impactCache {
	return newSegmentCache("block maxima", func(seg segment.Segment, stop <-chan struct{}) (*segImpacts, bool, error) {
		avg := ix.averages(context.Background())
		if avg == nil {
			return nil, false, errors.New("no average field lengths")
		}
		return decodeImpacts(seg, avg, stop)
	}, ix.log)
}

// decodeImpacts reads the frequent lists of seg's bound fields.
func decodeImpacts(seg segment.Segment, avg map[string]float64, stop <-chan struct{}) (*segImpacts, bool, error) {
	n := seg.Count()
	blocks := int(n>>impactShift) + 1
	out := &segImpacts{lists: map[fieldTerm]*listImpacts{}}
	for f, fd := range boundFields {
		out.avg[f] = avg[fd.name]
		d, err := seg.Dictionary(fd.name)
		if err != nil {
			return nil, false, err
		}
		var terms []string
		it := d.AutomatonIterator(nil, nil, nil)
		for e, err := it.Next(); e != nil || err != nil; e, err = it.Next() {
			if err != nil {
				return nil, false, err
			}
			if e.Count >= max(impactMinDF, n/impactShare) {
				terms = append(terms, e.Term)
			}
		}
		for _, term := range terms {
			if stopped(stop) {
				return nil, false, nil
			}
			pl, err := d.PostingsList([]byte(term), nil, nil)
			if err != nil {
				return nil, false, err
			}
			li := &listImpacts{share: make([]float32, blocks), tfidf: make([]float32, blocks)}
			pi := pl.Iterator(true, true, false, nil)
			for p, err := pi.Next(); p != nil || err != nil; p, err = pi.Next() {
				if err != nil {
					return nil, false, err
				}
				b := p.Number() >> impactShift
				tf := float64(p.Frequency())
				s := tf / (tf + bm25K1*bm25LengthNorm(p.Norm(), out.avg[f]))
				li.share[b] = max(li.share[b], above(s))
				li.tfidf[b] = max(li.tfidf[b], above(math.Sqrt(tf)*p.Norm()))
			}
			out.lists[fieldTerm{field: fd.name, term: term}] = li
		}
	}
	return out, true, nil
}

// above returns the least float32 at or above x.
func above(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// blockMaxima are the impacts of a scan's lists (bounds.lists) on one
// snapshot, segment by segment.
type blockMaxima struct {
	offsets []uint64 // first global number of each segment
	ends    []uint64 // past its last
	lists   [][]*listImpacts
	// scale is, per segment and list, what a share taken there is
	// multiplied by to bound one at the query's average length: a share
	// falls as the length norm rises, and that norm shrinks by at most
	// the ratio of the averages.
	scale [][]float64
}

// blockMaximaOn returns the impacts of b's lists on r, or nil when r is
// not a scorch snapshot; it starts a build of the missing ones.
func (ix *Index) blockMaximaOn(r bindex.IndexReader, b *bounds) *blockMaxima {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok || ix.impacts == nil {
		return nil
	}
	segs := snap.Segments()
	have, missing := ix.impacts.lookup(segs)
	if missing {
		ix.impacts.buildFor(ix.liveReader)
	}
	m := &blockMaxima{lists: make([][]*listImpacts, len(segs)), scale: make([][]float64, len(segs))}
	m.offsets, m.ends = segmentOffsets(segs)
	for i := range segs {
		m.lists[i], m.scale[i] = make([]*listImpacts, len(b.lists)), make([]float64, len(b.lists))
		if have[i] == nil {
			continue
		}
		for j, l := range b.lists {
			m.lists[i][j] = have[i].lists[fieldTerm{field: l.name, term: l.term}]
			if a := have[i].avg[l.field]; a > 0 && l.avg > 0 {
				m.scale[i][j] = max(1, l.avg/a)
			} else {
				m.lists[i][j] = nil
			}
		}
	}
	return m
}

// block returns the block holding global number doc: its segment, its
// number there and its end; the end is math.MaxUint64 (no block) past
// the last segment.
func (m *blockMaxima) block(doc uint64) (seg, k int, end uint64) {
	seg = segmentOf(m.offsets, doc)
	if seg < 0 || doc >= m.ends[seg] {
		return 0, 0, math.MaxUint64
	}
	k = int((doc - m.offsets[seg]) >> impactShift)
	lo := m.offsets[seg] + uint64(k)<<impactShift
	return seg, k, min(lo+1<<impactShift, m.ends[seg])
}
