package index

import (
	"math"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// TestImpactsBoundPostings: every posting of a list with block maxima
// lies within its block's: its BM25 share at the maxima's average length
// and its √tf·norm. The blocks are those of real segments of the SOTU
// passages, and the frequent words have them.
func TestImpactsBoundPostings(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU block maxima")
	}
	_, ix := pruningIndex(t, 3)
	r, err := ix.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	segs := r.(*scorch.IndexSnapshot).Segments()
	if err := ix.impacts.build(segs); err != nil {
		t.Fatal(err)
	}
	have, missing := ix.impacts.lookup(segs)
	if missing {
		t.Fatal("block maxima missing after a build")
	}
	lists, blocks := 0, 0
	for i, s := range segs {
		for ft, li := range have[i].lists {
			lists++
			f := 0
			if ft.field == "title" {
				f = 1
			}
			d, err := s.Segment().Dictionary(ft.field)
			if err != nil {
				t.Fatal(err)
			}
			pl, err := d.PostingsList([]byte(ft.term), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[uint64]bool{}
			it := pl.Iterator(true, true, false, nil)
			for p, err := it.Next(); p != nil || err != nil; p, err = it.Next() {
				if err != nil {
					t.Fatal(err)
				}
				b := p.Number() >> impactShift
				seen[b] = true
				tf := float64(p.Frequency())
				share := tf / (tf + bm25K1*bm25LengthNorm(p.Norm(), have[i].avg[f]))
				if share > float64(li.share[b]) || math.Sqrt(tf)*p.Norm() > float64(li.tfidf[b]) {
					t.Fatalf("%s:%s doc %d: share %g, √tf·norm %g above its block's %g, %g", ft.field, ft.term, p.Number(), share, math.Sqrt(tf)*p.Norm(), li.share[b], li.tfidf[b])
				}
			}
			for b, v := range li.share {
				if (v > 0) != seen[uint64(b)] {
					t.Fatalf("%s:%s block %d: maximum %g, postings there: %v", ft.field, ft.term, b, v, seen[uint64(b)])
				}
			}
			blocks += len(seen)
		}
	}
	if lists == 0 {
		t.Fatal("no list has block maxima")
	}
	t.Logf("%d segments, %d lists, %d blocks with postings", len(segs), lists, blocks)
}
