package index

import (
	"context"
	"encoding/binary"
	"testing"

	bindex "github.com/blevesearch/bleve_index_api"
)

// TestCandidateReaderSharesLists: every searcher of a word reads the
// snapshot's postings at the candidates, whichever opened the list first,
// whatever it asked for, and after every reader of it closed unread.
func TestCandidateReaderSharesLists(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU candidate reader")
	}
	_, ix := pruningIndex(t, 3)
	ctx := context.Background()
	r, err := ix.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The snapshot's own postings of "war", and every third document as
	// the candidates.
	want := map[uint64]bindex.TermFieldDoc{}
	var ids []uint64
	tr, err := r.TermFieldReader(ctx, []byte("war"), "text", true, true, true)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := r.DocCount()
	for d, err := tr.Next(nil); d != nil || err != nil; d, err = tr.Next(nil) {
		if err != nil {
			t.Fatal(err)
		}
		num := binary.BigEndian.Uint64(d.ID)
		if num%3 == 0 {
			want[num] = copyPosting(d)
		}
	}
	tr.Close()
	for i := range n + 100 {
		if i%3 == 0 {
			ids = append(ids, i)
		}
	}
	if len(want) < 50 {
		t.Fatalf("only %d candidates hold the word", len(want))
	}
	cr := &candidateReader{IndexReader: r}
	open := func(vectors bool) bindex.TermFieldReader {
		p, err := cr.TermFieldReader(ctx, []byte("war"), "text", true, true, vectors)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	unread := open(true)
	unread.Close() // the list's snapshot reader goes with it
	a, b := open(false), open(true)
	defer a.Close()
	defer b.Close()
	cr.ids = ids
	check := func(name string, p bindex.TermFieldReader, vectors bool, first *bindex.TermFieldDoc) {
		got := 0
		var pre bindex.TermFieldDoc
		for d, err := first, error(nil); d != nil || err != nil; d, err = p.Next(&pre) {
			if err != nil {
				t.Fatal(err)
			}
			num := binary.BigEndian.Uint64(d.ID)
			w, ok := want[num]
			switch {
			case !ok:
				t.Fatalf("%s: %d is not a candidate holding the word", name, num)
			case d.Freq != w.Freq || d.Norm != w.Norm:
				t.Fatalf("%s: %d has freq %d norm %g, the snapshot %d %g", name, num, d.Freq, d.Norm, w.Freq, w.Norm)
			case vectors && len(d.Vectors) != len(w.Vectors):
				t.Fatalf("%s: %d has %d positions, the snapshot %d", name, num, len(d.Vectors), len(w.Vectors))
			case !vectors && d.Vectors != nil:
				t.Fatalf("%s: positions given unasked", name)
			}
			for i, v := range d.Vectors {
				if w := w.Vectors[i]; v.Pos != w.Pos || v.Start != w.Start || v.End != w.End || v.Field != w.Field {
					t.Fatalf("%s: %d position %d is %+v, the snapshot's %+v", name, num, i, *v, *w)
				}
			}
			got++
		}
		if got != len(want) {
			t.Errorf("%s: read %d postings, the snapshot holds %d at the candidates", name, got, len(want))
		}
		if p.Count() < uint64(len(want)) {
			t.Errorf("%s: count %d is not the whole list's", name, p.Count())
		}
	}
	first, err := a.Next(nil)
	if err != nil {
		t.Fatal(err)
	}
	check("without positions", a, false, first)
	// Advance to the first candidate, as a conjunction would.
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], 0)
	first, err = b.Advance(id[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	check("with positions", b, true, first)
}
