package index

import (
	"cmp"
	"context"
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// TestBoundsHoldScores: for every document a plain-word query matches,
// the bound read from its postings (bounds.go) is at least the score
// bleve gives it, so that a document outside the candidates can never
// outscore the page. Queries of one to four words, with and without the
// words rule, stop words between them, a repeated word, a word in every
// title (read as spare) and words absent from titles.
func TestBoundsHoldScores(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU bounds comparison")
	}
	_, ix := pruningIndex(t, 3)
	ctx := context.Background()
	adv, err := ix.alias.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, _ := r.DocCount()
	segs := r.(*scorch.IndexSnapshot).Segments()
	if err := ix.impacts.build(segs); err != nil {
		t.Fatal(err)
	}
	built, halved := ix.impacts, newSegmentCache("half", func(seg segment.Segment, stop <-chan struct{}) (*segImpacts, bool, error) {
		avg := map[string]float64{}
		for f, a := range ix.averages(ctx) {
			avg[f] = a / 2
		}
		return decodeImpacts(seg, avg, stop)
	}, ix.log)
	if err := halved.build(segs); err != nil {
		t.Fatal(err)
	}
	blocked := 0
	for _, text := range []string{"war", "people nation", "united states", "state union address", "well government great britain",
		"protect nations peoples", "the people of the nation", "war war peace", "last year alone", "congress nation public interest",
		"islands against united", "income year less month", "fellow citizens", "great britain",
		"cost-of living", "high cost-of living", "settle once-and-for-all disputes"} {
		uq, _, err := ix.Parse(text, false)
		if err != nil {
			t.Fatal(err)
		}
		plan := ix.planPruning(Query{Text: text})
		if plan == nil {
			t.Fatalf("%q was not planned", text)
		}
		cut := ix.boundCut(plan, avgOf(uq))
		if cut == nil {
			t.Fatalf("%q has no bound cut", text)
		}
		s, err := uq.Searcher(ctx, r, ix.mapping, search.SearcherOptions{})
		if err != nil {
			t.Fatal(err)
		}
		norm := queryNorm(s)
		s.Close()
		b, err := newBounds(ctx, r, plan, cut.cands.avg, norm)
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.scan(ctx, r, 0, math.MaxUint64, int(n))
		if err != nil {
			t.Fatal(err)
		}
		bound := map[uint64]float64{}
		for _, d := range got.best {
			bound[d.doc] = d.score
		}
		res, err := ix.alias.Search(bleve.NewSearchRequestOptions(uq, int(n), 0, false))
		if err != nil {
			t.Fatal(err)
		}
		matches, ok, err := matchBitsOn(r, b.terms())
		if err != nil || !ok {
			t.Fatalf("%q: no match bitmaps (%v)", text, err)
		}
		if matches.count != uint64(len(res.Hits)) {
			t.Errorf("%q: the bitmaps count %d matches, the query has %d", text, matches.count, len(res.Hits))
		}
		if text == "state union address" && matches.count != n {
			t.Errorf("%q matches %d of %d documents, though every title says \"State of the Union\"", text, matches.count, n)
		}
		// Skipping as MaxScore does, with and without block maxima, keeps
		// the same best documents, and bounds the rest above every other
		// match.
		blocks := ix.blockMaximaOn(r, b)
		for _, l := range blocks.lists {
			for _, li := range l {
				if li != nil {
					blocked++
				}
			}
		}
		// Maxima taken at half the average length understate shares at
		// the query's: their scale must make up for it.
		ix.impacts = halved
		scaled := ix.blockMaximaOn(r, b)
		ix.impacts = built
		for _, run := range []struct {
			keep   int
			blocks *blockMaxima
			spans  []uint64 // where spans start past the first
		}{{1, nil, nil}, {10, nil, nil}, {148, nil, nil}, {1, blocks, nil}, {10, blocks, nil}, {148, blocks, nil},
			{10, blocks, []uint64{n/2 + 37}}, {148, blocks, []uint64{n / 3, n/3 + 1, 2*n/3 + 513}}, {10, scaled, nil}} {
			keep := run.keep
			b.blocks = run.blocks
			few, err := scanIn(ctx, b, r, keep, run.spans)
			if err != nil {
				t.Fatal(err)
			}
			all := slices.Clone(got.best)
			slices.SortFunc(all, func(a, c bounded) int { return cmp.Compare(c.score, a.score) })
			kept := map[uint64]bool{}
			for _, d := range few.best {
				kept[d.doc] = true
				if bound[d.doc] != d.score {
					t.Fatalf("%q keep %d: %d bounded %.9g, %.9g unskipped", text, keep, d.doc, d.score, bound[d.doc])
				}
			}
			if len(few.best) != min(keep, len(all)) {
				t.Fatalf("%q keep %d: %d kept of %d", text, keep, len(few.best), len(all))
			}
			for _, d := range all {
				if !kept[d.doc] && d.score > few.rest {
					t.Fatalf("%q keep %d: %d is bounded %.9g, above the rest's %.9g, and was not kept", text, keep, d.doc, d.score, few.rest)
				}
			}
		}
		spare, tight := b.spareOnly(), 0
		for _, h := range res.Hits {
			id, err := r.InternalID(h.ID)
			if err != nil {
				t.Fatal(err)
			}
			u, ok := bound[binary.BigEndian.Uint64(id)]
			if !ok {
				u = spare // holds only postings that were not read
			}
			if h.Score > u*boundMargin {
				t.Fatalf("%q: %s scores %.9g above its bound %.9g", text, h.ID, h.Score, u)
			}
			if h.Score > 0.95*u {
				tight++
			}
		}
		t.Logf("%q: %d matches, %d within 5%% of their bound", text, len(res.Hits), tight)
	}
	if blocked == 0 {
		t.Error("no list of these queries had block maxima")
	}
}

// scanIn scans b's matches in spans starting at 0 and at each of
// starts, and merges them as choose does.
func scanIn(ctx context.Context, b *bounds, r bindex.IndexReader, keep int, starts []uint64) (scanned, error) {
	bounds := append(append([]uint64{0}, starts...), math.MaxUint64)
	var out scanned
	for i := range len(bounds) - 1 {
		sp, err := b.scan(ctx, r, bounds[i], bounds[i+1], keep)
		if err != nil {
			return out, err
		}
		out.best = append(out.best, sp.best...)
		out.rest = max(out.rest, sp.rest)
	}
	slices.SortFunc(out.best, func(a, c bounded) int { return cmp.Compare(c.score, a.score) })
	if len(out.best) > keep {
		out.rest = max(out.rest, out.best[keep].score)
		out.best = out.best[:keep]
	}
	return out, nil
}

// TestChoiceTalliesTheSample: the facet sample a bound cut counts from
// its match bitmaps (matchbits.go) is the one the sample's own search
// counts (facetsample.go): the same sampled matches, the same facets.
func TestChoiceTalliesTheSample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU sample comparison")
	}
	_, ix := pruningIndex(t, 3)
	ctx := context.Background()
	for _, text := range []string{"people nation", "war", "well government great britain", "fellow citizens", "war war peace", "state union address", "weaker states"} {
		q := Query{Text: text, Page: 1, Size: 10, FacetMode: FacetsFiltered}
		uq, hq := bothQueries(t, ix, q)
		want, err := ix.sampleFacets(ctx, q, hq, nil)
		if err != nil || want == nil {
			t.Fatalf("%q: no sample (%v)", text, err)
		}
		cut := ix.boundCut(ix.planPruning(q), avgOf(uq))
		cut.cands.keep = 74
		cut.cands.tally = ix.sampleTally(q)
		cut.cands.prefetch(ctx, ix, uq)
		got, ok := cut.cands.sample(0)
		if !ok || got == nil {
			t.Fatalf("%q: the scan tallied no sample", text)
		}
		if got.Total != want.Total {
			t.Errorf("%q: the scan sampled %d matches, the sample search %d", text, got.Total, want.Total)
		}
		for name, wf := range want.Facets {
			gf := got.Facets[name]
			if gf == nil || gf.Total != wf.Total || gf.Missing != wf.Missing || gf.Other != wf.Other || gf.Terms.Len() != wf.Terms.Len() {
				t.Fatalf("%q facet %s: scan %+v, sample search %+v", text, name, gf, wf)
			}
			for i, term := range wf.Terms.Terms() {
				if g := gf.Terms.Terms()[i]; g.Term != term.Term || g.Count != term.Count {
					t.Errorf("%q facet %s #%d: scan %s %d, sample search %s %d", text, name, i, g.Term, g.Count, term.Term, term.Count)
				}
			}
		}
	}
}

// TestChoiceFindsTheCopies: on an index with copies, the copies a bound
// cut hides, found from its match bitmaps, are those hiddenCopies finds,
// whether it groups its matches or reads the kept copy order
// (copyorder.go), and the pages it serves hide the same copies and count
// the same total as the full search.
func TestChoiceFindsTheCopies(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU copies comparison")
	}
	docs := sotuPassages(t, 6)
	for i := 0; i < len(docs); i += 40 { // groups of three copies
		for _, c := range []string{"a", "b"} {
			d := docs[i]
			d.ID += "-copy-" + c
			docs = append(docs, d)
		}
	}
	ix := openTest(t, docs...)
	ix.exactFacets = 300
	ix.SetCacheSize(0)
	linked := ix.dups.linkedIDs()
	if len(linked) < 100 {
		t.Fatalf("only %d linked documents: the copies were not found", len(linked))
	}
	ctx := context.Background()
	for _, text := range []string{"people nation", "war", "well government great britain", "congress nation public interest", "union war"} {
		q := Query{Text: text, Page: 1, Size: 10, FacetMode: FacetsFiltered}
		uq, hq := bothQueries(t, ix, q)
		want, err := ix.hiddenCopies(ctx, hq)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("%q hides no copies", text)
		}
		plan := ix.planPruning(q)
		// Grouping the scan's matches, then from the kept copy order.
		for _, ordered := range []bool{false, true} {
			o, err := ix.buildCopyOrder()
			if err != nil || o == nil {
				t.Fatalf("no copy order (%v)", err)
			}
			ix.copyOrders.mu.Lock()
			ix.copyOrders.last, ix.copyOrders.building = nil, !ordered // no build meanwhile
			if ordered {
				ix.copyOrders.last = o
			}
			ix.copyOrders.mu.Unlock()
			cut := ix.boundCut(plan, avgOf(uq))
			cut.cands.keep = 74
			cut.cands.prefetch(ctx, ix, uq)
			got, ok := cut.cands.hiddenCopies()
			if !ok {
				t.Fatalf("%q: the scan found no copies", text)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%q (copy order kept: %v): the scan hides %d copies, hiddenCopies %d", text, ordered, len(got), len(want))
			}
		}
		ix.copyOrders.mu.Lock()
		ix.copyOrders.building = false
		ix.copyOrders.mu.Unlock()
		full, page := bothWays(t, ix, q)
		if page.TotalApproximate || page.Total != full.Total {
			t.Errorf("%q: total %d (approximate %v), full search %d", text, page.Total, page.TotalApproximate, full.Total)
		}
		for i := range full.Hits {
			if page.Hits[i].ID != full.Hits[i].ID || len(page.Hits[i].AlsoPublishedBy) != len(full.Hits[i].AlsoPublishedBy) {
				t.Fatalf("%q hit %d: %s with %d copies, full search %s with %d", text, i, page.Hits[i].ID, len(page.Hits[i].AlsoPublishedBy), full.Hits[i].ID, len(full.Hits[i].AlsoPublishedBy))
			}
		}
	}
}

// bothQueries returns q's searched query and its plain (highlight) one.
func bothQueries(t *testing.T, ix *Index, q Query) (uq, hq query.Query) {
	t.Helper()
	uq, _, err := ix.Parse(q.Text, false)
	if err != nil {
		t.Fatal(err)
	}
	if hq, err = ix.highlightQuery(q); err != nil {
		t.Fatal(err)
	}
	return uq, hq
}
