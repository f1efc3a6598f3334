package index

import (
	"container/heap"
	"context"
	"encoding/binary"
	"math"
	"sort"

	bindex "github.com/blevesearch/bleve_index_api"
)

// scanned is what a scan of some documents found.
type scanned struct {
	best    boundHeap // the best-bounded documents
	rest    float64   // the best bound of the others
	visited uint64    // documents holding a read posting
	sampled uint64    // of them, in the facet sample (tallied)
	linked  []int32   // of them, the linked ones (copies): their places in scanSides.linked
}

// scanSides is what a scan counts besides bounds, when every posting
// list is read and its documents are thus the query's matches: the
// facet sample (facetsample.go) in tally, and which of the linked
// documents (sorted numbers) match, for the hidden copies
// (representative.go).
type scanSides struct {
	tally  *facetTally
	linked []uint64
}

// scan reads the postings of documents lo ≤ number < hi and returns the
// keep best-bounded ones with the best bound of the others. With a tally,
// it also counts the facets of the visited documents in the facet sample
// (facetsample.go), as the sample's own search would; with linked
// numbers, it notes which it visits.
func (b *bounds) scan(ctx context.Context, r bindex.IndexReader, lo, hi uint64, keep int, sides scanSides) (scanned, error) {
	tally, linked := sides.tally, sides.linked
	var matchedLinked []int32
	li := sort.Search(len(linked), func(i int) bool { return linked[i] >= lo })
	lists := make([]*boundList, 0, len(b.lists))
	for i := range b.lists {
		if b.lists[i].spare && (!b.counts || b.everyDoc) {
			continue
		}
		l := b.lists[i] // a copy: each half reads its own
		scored := !l.spare
		tr, err := r.TermFieldReader(ctx, []byte(l.term), l.name, scored, scored, scored)
		if err != nil {
			closeLists(lists)
			return scanned{}, err
		}
		l.reader = tr
		lists = append(lists, &l)
	}
	defer closeLists(lists)
	for _, l := range lists {
		if err := l.first(lo, hi); err != nil {
			return scanned{}, err
		}
	}
	var mark *boundList // the sample mark's postings, when tallying
	if tally != nil {   // started by the caller, which adds up its spans
		tr, err := r.TermFieldReader(ctx, []byte("1"), sampleField, false, false, false)
		if err != nil {
			return scanned{}, err
		}
		mark = &boundList{reader: tr}
		defer tr.Close()
		if err := mark.first(lo, hi); err != nil {
			return scanned{}, err
		}
	}
	var id [8]byte
	h := make(boundHeap, 0, keep+1)
	rest := 0.0
	var at docBound
	var visited, sampled uint64
	for ; ; visited++ {
		if visited&8191 == 0 {
			if err := ctx.Err(); err != nil {
				return scanned{}, err
			}
		}
		doc := uint64(math.MaxUint64)
		for _, l := range lists {
			doc = min(doc, l.doc)
		}
		if doc == math.MaxUint64 {
			break
		}
		at.reset(b.words)
		scored := false
		for _, l := range lists {
			if l.doc != doc {
				continue
			}
			if l.spare { // read for its documents only
				if err := l.next(hi); err != nil {
					return scanned{}, err
				}
				continue
			}
			scored = true
			tf := float64(l.tf)
			s := tf / (tf + bm25K1*bm25LengthNorm(l.norm, l.avg)) // bm25Field.score's, before its weight
			i, f := l.word, l.field
			at.held[i][f] = true
			at.bm[i][f] = l.weight * s
			at.b1[i][f] = l.w1 * s
			at.tfid[i][f] = l.tfidf * math.Sqrt(float64(l.tf)) * l.norm
			at.pos[i][f] = at.pos[i][f][:0]
			for _, v := range l.tfd.Vectors {
				at.pos[i][f] = append(at.pos[i][f], v.Pos)
			}
			if err := l.next(hi); err != nil {
				return scanned{}, err
			}
		}
		if mark != nil && !b.everyDoc {
			for mark.doc < doc {
				if err := mark.next(hi); err != nil {
					return scanned{}, err
				}
			}
			if mark.doc == doc {
				sampled++
				binary.BigEndian.PutUint64(id[:], doc)
				if err := tally.record(id[:]); err != nil {
					return scanned{}, err
				}
			}
		}
		if linked != nil && !b.everyDoc {
			for li < len(linked) && linked[li] < doc {
				li++
			}
			if li < len(linked) && linked[li] == doc {
				matchedLinked = append(matchedLinked, int32(li))
			}
		}
		if !scored {
			continue // bounded by spareOnly, which the caller takes
		}
		u := b.total(&at)
		switch {
		case len(h) < keep:
			heap.Push(&h, bounded{doc: doc, score: u})
		case u > h[0].score:
			rest = max(rest, h[0].score)
			h[0] = bounded{doc: doc, score: u}
			heap.Fix(&h, 0)
		default:
			rest = max(rest, u)
		}
	}
	if b.everyDoc { // every sampled and every linked document matches
		for ; mark != nil && mark.doc != math.MaxUint64; sampled++ {
			binary.BigEndian.PutUint64(id[:], mark.doc)
			if err := tally.record(id[:]); err != nil {
				return scanned{}, err
			}
			if err := mark.next(hi); err != nil {
				return scanned{}, err
			}
		}
		for ; li < len(linked) && linked[li] < hi; li++ {
			matchedLinked = append(matchedLinked, int32(li))
		}
	}
	return scanned{best: h, rest: rest, visited: visited, sampled: sampled, linked: matchedLinked}, nil
}

// first moves the list onto its first document at or after lo.
func (l *boundList) first(lo, hi uint64) error {
	if lo == 0 {
		return l.next(hi)
	}
	var start [8]byte
	binary.BigEndian.PutUint64(start[:], lo)
	d, err := l.reader.Advance(start[:], l.tfd.Reset())
	if err == nil {
		l.set(d, hi)
	}
	return err
}

// next moves the list onto its next document.
func (l *boundList) next(hi uint64) error {
	d, err := l.reader.Next(l.tfd.Reset())
	if err == nil {
		l.set(d, hi)
	}
	return err
}

// set moves the list onto d, or past its end at hi.
func (l *boundList) set(d *bindex.TermFieldDoc, hi uint64) {
	if d == nil || len(d.ID) != 8 {
		l.doc = math.MaxUint64
		return
	}
	doc := binary.BigEndian.Uint64(d.ID)
	if doc >= hi {
		l.doc = math.MaxUint64
		return
	}
	l.doc, l.tf, l.norm = doc, d.Freq, d.Norm
}

// near reports whether a position of b follows one of a by 1 to gap, or
// either is not known (nil: a spare posting, assumed anywhere).
func near(a, b []uint64, gap uint64) bool {
	if a == nil || b == nil {
		return true
	}
	for _, p := range a {
		for _, q := range b {
			if q > p && q-p <= gap {
				return true
			}
		}
	}
	return false
}

func closeLists(lists []*boundList) {
	for _, l := range lists {
		l.reader.Close()
	}
}

// bounded is one document and its bound.
type bounded struct {
	doc   uint64
	score float64
}

// boundHeap is a min-heap of bounds: its root is the first to leave.
type boundHeap []bounded

func (h boundHeap) Len() int           { return len(h) }
func (h boundHeap) Less(i, j int) bool { return h[i].score < h[j].score }
func (h boundHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *boundHeap) Push(x any)        { *h = append(*h, x.(bounded)) }
func (h *boundHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
