package index

import (
	"encoding/binary"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Matches of a bound cut's query (candidates.go) as bitmaps: a
// plain-word query matches the documents holding any of its words in
// any field, which is the union of their posting lists' bitmaps, segment
// by segment. The union costs a few words of memory per document and no
// posting is decoded, so the scan is free to skip the postings no
// candidate needs (boundscan.go), while the page still shows the exact
// total, its facet sample and its hidden copies.

// fieldTerm is one word in one field.
type fieldTerm struct{ field, term string }

// matchBits is a set of documents of one snapshot, one bitmap of local
// numbers a segment.
type matchBits struct {
	offsets []uint64 // first global number of each segment, as scorch's
	bits    []*roaring.Bitmap
	count   uint64
}

// matchBitsOn returns the live documents of r holding any of terms, or
// false when r is not a scorch snapshot (no bitmaps to read).
func matchBitsOn(r bindex.IndexReader, terms []fieldTerm) (*matchBits, bool, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, false, nil
	}
	segs := snap.Segments()
	m := &matchBits{bits: make([]*roaring.Bitmap, len(segs))}
	m.offsets, _ = segmentOffsets(segs)
	for i, s := range segs {
		u, err := segmentUnion(s, terms)
		if err != nil {
			return nil, false, err
		}
		m.bits[i] = u
		m.count += u.GetCardinality()
	}
	return m, true, nil
}

// segmentUnion returns the live documents of s holding any of terms.
func segmentUnion(s *scorch.SegmentSnapshot, terms []fieldTerm) (*roaring.Bitmap, error) {
	one := roaring.New() // postings stored as a single hit, or not as bitmaps
	parts := []*roaring.Bitmap{one}
	for _, t := range terms {
		d, err := s.Segment().Dictionary(t.field)
		if err != nil {
			return nil, err
		}
		pl, err := d.PostingsList([]byte(t.term), nil, nil)
		if err != nil {
			return nil, err
		}
		it := pl.Iterator(false, false, false, nil)
		if oi, ok := it.(segment.OptimizablePostingsIterator); ok {
			if n, ok := oi.DocNum1Hit(); ok {
				one.Add(uint32(n))
				continue
			}
			if bm := oi.ActualBitmap(); bm != nil {
				parts = append(parts, bm) // the segment's own: read, never changed
				continue
			}
		}
		for p, err := it.Next(); p != nil || err != nil; p, err = it.Next() {
			if err != nil {
				return nil, err
			}
			one.Add(uint32(p.Number()))
		}
	}
	u := roaring.FastOr(parts...) // a new bitmap, whatever the parts
	if del := s.Deleted(); del != nil {
		u.AndNot(del)
	}
	return u, nil
}

// add counts the documents ids of r (scorch internal ids) as members.
func (m *matchBits) add(r bindex.IndexReader, ids []string) error {
	for _, id := range ids {
		in, err := r.InternalID(id)
		if err != nil {
			return err
		}
		if len(in) != 8 {
			continue // not in the snapshot
		}
		g := binary.BigEndian.Uint64(in)
		if s := m.segment(g); s >= 0 && m.bits[s].CheckedAdd(uint32(g-m.offsets[s])) {
			m.count++
		}
	}
	return nil
}

// segment returns the segment holding global number g.
func (m *matchBits) segment(g uint64) int { return segmentOf(m.offsets, g) }

// segmentOffsets returns the first global document number of each of
// segs and the one past its last, numbered as scorch numbers them: by
// every document a segment holds, deleted ones included.
func segmentOffsets(segs []*scorch.SegmentSnapshot) (offsets, ends []uint64) {
	offsets, ends = make([]uint64, len(segs)), make([]uint64, len(segs))
	var at uint64
	for i, s := range segs {
		offsets[i] = at
		at += s.Segment().Count()
		ends[i] = at
	}
	return offsets, ends
}

// segmentOf returns the segment of offsets holding global number g, or
// -1 when g is before the first.
func segmentOf(offsets []uint64, g uint64) int {
	return sort.Search(len(offsets), func(i int) bool { return offsets[i] > g }) - 1
}

// tally records in t every document lo ≤ number < hi that is in both m
// and marked (taken on the same snapshot), in order, and returns how many
// it recorded.
func (m *matchBits) tally(marked *matchBits, lo, hi uint64, t *facetTally) (uint64, error) {
	var n uint64
	var id [8]byte
	for s := max(m.segment(lo), 0); s < len(m.offsets) && m.offsets[s] < hi; s++ {
		both := roaring.And(m.bits[s], marked.bits[s])
		it := both.Iterator()
		if lo > m.offsets[s] {
			it.AdvanceIfNeeded(uint32(lo - m.offsets[s]))
		}
		for it.HasNext() {
			g := m.offsets[s] + uint64(it.Next())
			if g >= hi {
				break
			}
			binary.BigEndian.PutUint64(id[:], g)
			if err := t.record(id[:]); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// among returns the places in nums (sorted global numbers) of the
// documents in m.
func (m *matchBits) among(nums []uint64) []int32 {
	var out []int32
	for i, g := range nums {
		if s := m.segment(g); s >= 0 && m.bits[s].Contains(uint32(g-m.offsets[s])) {
			out = append(out, int32(i))
		}
	}
	return out
}
