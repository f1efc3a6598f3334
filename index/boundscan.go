package index

import (
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"math"
	"slices"

	bindex "github.com/blevesearch/bleve_index_api"
)

// scanned is what a scan of some documents found.
type scanned struct {
	best boundHeap // the best-bounded documents
	rest float64   // the best bound of the others
}

// scan reads the postings of documents lo ≤ number < hi and returns the
// keep best-bounded ones with the best bound of the others. Spare lists
// are not read. It skips postings as MaxScore does: once keep documents
// are bounded above what the least weighty lists could give a document
// holding none of the others (prefixBounds), those lists no longer
// choose the documents visited, and are read only where the others
// stand. For a frequent word beside a rare one ("weaker states") that
// reads the frequent word's postings at the rare word's documents alone.
func (b *bounds) scan(ctx context.Context, r bindex.IndexReader, lo, hi uint64, keep int) (scanned, error) {
	lists := make([]*boundList, 0, len(b.lists))
	for i := range b.lists {
		if b.lists[i].spare {
			continue
		}
		l := b.lists[i] // a copy: each span reads its own
		tr, err := r.TermFieldReader(ctx, []byte(l.term), l.name, true, true, true)
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
	// Least weighty first: lists[:skip] are only read where the others are.
	slices.SortStableFunc(lists, func(a, c *boundList) int { return cmp.Compare(a.weight, c.weight) })
	below := b.prefixBounds(lists)
	skip := 0
	h := make(boundHeap, 0, keep+1)
	rest := 0.0
	var at docBound
	for visited := 0; ; visited++ {
		if visited&8191 == 0 {
			if err := ctx.Err(); err != nil {
				return scanned{}, err
			}
		}
		doc := uint64(math.MaxUint64)
		for _, l := range lists[skip:] {
			doc = min(doc, l.doc)
		}
		if doc == math.MaxUint64 {
			break
		}
		at.reset(b.words)
		for j, l := range lists {
			if j < skip && l.doc < doc {
				if err := l.seek(doc, hi); err != nil {
					return scanned{}, err
				}
			}
			if l.doc != doc {
				continue
			}
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
			if j >= skip {
				if err := l.next(hi); err != nil {
					return scanned{}, err
				}
			}
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
		for len(h) == keep && skip < len(lists) && below[skip+1] < h[0].score {
			skip++ // a document of lists[:skip] alone can no longer be kept
			rest = max(rest, below[skip])
		}
	}
	return scanned{best: h, rest: rest}, nil
}

// first moves the list onto its first document at or after lo.
func (l *boundList) first(lo, hi uint64) error {
	if lo == 0 {
		return l.next(hi)
	}
	return l.seek(lo, hi)
}

// seek moves the list onto its first document at or after doc, which is
// past its current one (scorch reopens a list to seek backwards).
func (l *boundList) seek(doc, hi uint64) error {
	var at [8]byte
	binary.BigEndian.PutUint64(at[:], doc)
	d, err := l.reader.Advance(at[:], l.tfd.Reset())
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
