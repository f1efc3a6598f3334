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
// are not read. It skips postings as MaxScore does, block by block
// (impacts.go): once keep documents are bounded above what the least
// weighty lists could give a document of the block holding none of the
// others (blockBounds), those lists no longer choose the documents
// visited there, and are read only where the others stand; a block
// where no document could be kept is not read at all. For a frequent
// word beside a rare one ("weaker states") that reads the frequent
// word's postings at the rare word's documents alone.
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
	below := make([]float64, len(lists)+1)
	skip := 0
	end := uint64(0) // of the block being read
	h := make(boundHeap, 0, keep+1)
	rest := 0.0
	// placing skips the lists that cannot place a document alone.
	placing := func() {
		for len(h) == keep && skip < len(lists) && below[skip+1] < h[0].score {
			skip++
			rest = max(rest, below[skip])
		}
	}
	var at docBound
	for visited := 0; ; visited++ {
		if visited&8191 == 0 {
			if err := ctx.Err(); err != nil {
				return scanned{}, err
			}
		}
		doc := firstDoc(lists[skip:])
		if doc >= end { // the block is read: on to the next holding a posting
			if end == math.MaxUint64 {
				break
			}
			for _, l := range lists[:skip] {
				if l.doc < end {
					if err := l.seek(end, hi); err != nil {
						return scanned{}, err
					}
				}
			}
			if doc = firstDoc(lists); doc == math.MaxUint64 {
				break
			}
			end = b.blockBounds(doc, lists, below)
			skip = 0
			placing()
			continue // from its first document that a list left to read holds
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
		placing()
	}
	return scanned{best: h, rest: rest}, nil
}

// firstDoc returns the lowest current document of lists.
func firstDoc(lists []*boundList) uint64 {
	doc := uint64(math.MaxUint64)
	for _, l := range lists {
		doc = min(doc, l.doc)
	}
	return doc
}

// blockBounds fills below, for each j up to len(lists), with the highest
// bound of a document of doc's block holding postings of lists[:j] alone
// (and spare ones): each at its block maximum (at its highest where it
// has none, as a spare posting is) and anywhere. Holding more never
// lowers a bound, so they rise with j. It returns the block's end.
func (b *bounds) blockBounds(doc uint64, lists []*boundList, below []float64) uint64 {
	m := b.blocks
	seg, k, end := 0, 0, uint64(math.MaxUint64)
	if m != nil && len(m.offsets) > 0 {
		seg, k, end = m.block(doc)
	}
	var at docBound
	at.reset(b.words)
	below[0] = b.total(&at)
	for j, l := range lists {
		share, tfidf := 1.0, tfNormMax
		if end != math.MaxUint64 {
			if li := m.lists[seg][l.at]; li != nil {
				share, tfidf = min(1, float64(li.share[k])*m.scale[seg][l.at]), float64(li.tfidf[k])
			}
		}
		if share > 0 { // 0: no posting in the block
			i, f := l.word, l.field
			at.held[i][f] = true
			at.bm[i][f], at.b1[i][f], at.tfid[i][f], at.pos[i][f] = l.weight*share, l.w1*share, l.tfidf*tfidf, nil
		}
		below[j+1] = b.total(&at)
	}
	return end
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
