package index

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Facets counted from columns (facetcolumns.go) instead of bleve's
// collector: the request's terms facets are taken off it, its query is
// wrapped so that every match it returns is tallied, and the results are
// built as bleve's terms facet builds them (the same totals, missing,
// order and "other"), so callers cannot tell the two apart.

// takeFacets moves req's facets to a tally when every one is a plain terms
// facet of a column field, and returns what sets their results on the
// search's result; nil leaves req to bleve.
func (ix *Index) takeFacets(req *bleve.SearchRequest) func(*bleve.SearchResult) {
	if ix.columns == nil || len(req.Facets) == 0 || (req.Score == "none" && req.Size > 0) {
		// With no facets and no scores bleve stops at Size matches: the
		// tally would miss the rest.
		return nil
	}
	t := &facetTally{columns: ix.columns, live: ix.liveReader}
	for name, fr := range req.Facets {
		if fr.NumericRanges != nil || fr.DateTimeRanges != nil || fr.TermPrefix != "" || fr.TermPattern != "" {
			return nil
		}
		// A sample field (facetsample.go) holds the same values as its
		// facet field on every document the sample search can match: it
		// requires the sample mark.
		f := slices.Index(FacetNames, strings.TrimPrefix(fr.Field, samplePrefix))
		if f < 0 {
			return nil
		}
		t.wants = append(t.wants, facetWant{name: name, field: fr.Field, size: fr.Size, column: f})
		if !slices.Contains(t.fields, f) {
			t.fields = append(t.fields, f)
		}
	}
	req.Facets = nil
	req.Query = &talliedQuery{q: req.Query, t: t}
	return func(res *bleve.SearchResult) { res.Facets = t.results() }
}

// sampleTally returns an unstarted tally of q's facets over the sample
// fields, for a search that tallies its own matches (candidates.go), or
// nil when they are not all column facets.
func (ix *Index) sampleTally(q Query) *facetTally {
	req := newRequest(matchNone(), q, page{facets: true, sampled: true}, 0, 0, byScore)
	if ix.takeFacets(req) == nil {
		return nil
	}
	return req.Query.(*talliedQuery).t
}

// fresh returns an unstarted tally of the same facets.
func (t *facetTally) fresh() *facetTally {
	return &facetTally{columns: t.columns, live: t.live, wants: t.wants, fields: t.fields}
}

// twin returns a started tally of the same facets on the same snapshot
// and columns as t, which was started: tallies of one search's spans
// must see the same columns to add up (a build may finish between two
// starts).
func (t *facetTally) twin(r bindex.IndexReader) (*facetTally, error) {
	o := t.fresh()
	if t.reader != nil { // not a scorch snapshot: doc values
		return o, o.start(r)
	}
	n := len(FacetNames)
	o.total, o.missing, o.seen = make([]int, n), make([]int, n), make([]bool, n)
	o.loose = make([]map[string]int, n)
	for _, f := range t.fields {
		o.loose[f] = map[string]int{}
	}
	o.names, o.segs, o.offsets, o.cols = t.names, t.segs, t.offsets, t.cols
	o.counts = make([][][]int, len(t.counts))
	for i, c := range t.counts {
		if c == nil {
			continue
		}
		o.counts[i] = make([][]int, n)
		for _, f := range t.fields {
			o.counts[i][f] = make([]int, len(c[f]))
		}
	}
	o.states = make([]segment.DocVisitState, len(t.states))
	return o, nil
}

// add counts o's matches into t; both were started on one snapshot.
func (t *facetTally) add(o *facetTally) {
	for _, f := range t.fields {
		t.total[f] += o.total[f]
		t.missing[f] += o.missing[f]
		for v, n := range o.loose[f] {
			t.loose[f][v] += n
		}
		for s := range t.counts {
			if t.counts[s] == nil || o.counts[s] == nil {
				continue
			}
			for i, n := range o.counts[s][f] {
				t.counts[s][f][i] += n
			}
		}
	}
}

type facetWant struct {
	name, field string
	size        int
	column      int // index in FacetNames
}

// facetTally counts the facet values of the matches of one search.
type facetTally struct {
	columns *facetColumns
	live    func() bindex.IndexReader
	wants   []facetWant
	fields  []int // distinct columns wanted

	segs    []*scorch.SegmentSnapshot
	offsets []uint64 // first global document number of each segment
	cols    []segColumns
	counts  [][][]int               // segment → column → ordinal → count
	states  []segment.DocVisitState // doc-value readers of segments without columns
	reader  bindex.DocValueReader   // when the reader is not a scorch snapshot
	loose   []map[string]int        // column → value → count, from doc values
	total   []int                   // column → values counted
	missing []int                   // column → matches without a value
	seen    []bool                  // column → the current match had a value
	names   []string                // FacetNames of t.fields, for doc values
	cur     int                     // segment of the last match
}

// start prepares the tally for a search on r.
func (t *facetTally) start(r bindex.IndexReader) error {
	n := len(FacetNames)
	t.total, t.missing, t.seen = make([]int, n), make([]int, n), make([]bool, n)
	t.loose = make([]map[string]int, n)
	t.names = t.names[:0]
	for _, f := range t.fields {
		t.loose[f] = map[string]int{}
		t.names = append(t.names, FacetNames[f])
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		dr, err := r.DocValueReader(t.names)
		t.reader = dr
		return err
	}
	t.segs = snap.Segments()
	t.offsets, _ = segmentOffsets(t.segs)
	var missing bool
	t.cols, missing = t.columns.lookup(t.segs)
	if missing {
		t.columns.buildFor(t.live)
	}
	t.counts = make([][][]int, len(t.segs))
	t.states = make([]segment.DocVisitState, len(t.segs))
	for i, cols := range t.cols {
		if cols == nil {
			continue
		}
		t.counts[i] = make([][]int, n)
		for _, f := range t.fields {
			t.counts[i][f] = make([]int, len(cols[f].terms))
		}
	}
	t.cur = 0
	return nil
}

// record tallies one match.
func (t *facetTally) record(id bindex.IndexInternalID) error {
	if t.reader != nil {
		return t.visit(func(fields []string, v bindex.DocValueVisitor) error {
			return t.reader.VisitDocValues(id, v)
		})
	}
	g := id.Value()
	if t.cur >= len(t.offsets) || g < t.offsets[t.cur] || (t.cur+1 < len(t.offsets) && g >= t.offsets[t.cur+1]) {
		t.cur = segmentOf(t.offsets, g)
		if t.cur < 0 {
			t.cur = 0
			return nil
		}
	}
	local := g - t.offsets[t.cur]
	cols := t.cols[t.cur]
	if cols == nil {
		dv, ok := t.segs[t.cur].Segment().(segment.DocValueVisitable)
		if !ok {
			return nil
		}
		return t.visit(func(fields []string, v bindex.DocValueVisitor) (err error) {
			t.states[t.cur], err = dv.VisitDocValues(local, fields, v, t.states[t.cur])
			return err
		})
	}
	counts := t.counts[t.cur]
	for _, f := range t.fields {
		c := &cols[f]
		o := c.first[local]
		if o == 0 {
			t.missing[f]++
			continue
		}
		counts[f][o-1]++
		t.total[f]++
		if c.more != nil {
			for _, o := range c.more[uint32(local)] {
				counts[f][o]++
				t.total[f]++
			}
		}
	}
	return nil
}

// visit tallies one match from its doc values, as bleve's terms facet does.
func (t *facetTally) visit(read func([]string, bindex.DocValueVisitor) error) error {
	for _, f := range t.fields {
		t.seen[f] = false
	}
	err := read(t.names, func(field string, term []byte) {
		f := slices.Index(FacetNames, field)
		if f < 0 || t.loose[f] == nil {
			return
		}
		t.total[f]++
		t.seen[f] = true
		t.loose[f][string(term)]++
	})
	for _, f := range t.fields {
		if !t.seen[f] {
			t.missing[f]++
		}
	}
	return err
}

// results builds each wanted facet as bleve's TermsFacetBuilder.Result
// does: every value, sorted by count then value, trimmed to size.
func (t *facetTally) results() search.FacetResults {
	merged := make([]map[string]int, len(FacetNames))
	for _, f := range t.fields {
		m := t.loose[f]
		for s, counts := range t.counts {
			if counts == nil {
				continue
			}
			for o, n := range counts[f] {
				if n > 0 {
					m[t.cols[s][f].terms[o]] += n
				}
			}
		}
		merged[f] = m
	}
	out := make(search.FacetResults, len(t.wants))
	for _, w := range t.wants {
		fr := &search.FacetResult{Field: w.field, Total: t.total[w.column], Missing: t.missing[w.column], Terms: &search.TermFacets{}}
		for term, n := range merged[w.column] {
			fr.Terms.Add(&search.TermFacet{Term: term, Count: n})
		}
		sort.Sort(fr.Terms)
		fr.Terms.TrimToTopN(min(w.size, fr.Terms.Len()))
		shown := 0
		for _, tf := range fr.Terms.Terms() {
			shown += tf.Count
		}
		fr.Other = fr.Total - shown
		out[w.name] = fr
	}
	return out
}

// talliedQuery is a query whose matches a facetTally counts.
type talliedQuery struct {
	q query.Query
	t *facetTally
}

// Searcher implements query.Query.
func (q *talliedQuery) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	s, err := q.q.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	if err := q.t.start(r); err != nil {
		s.Close()
		return nil, err
	}
	return &talliedSearcher{Searcher: s, t: q.t}, nil
}

// Validate implements query.ValidatableQuery.
func (q *talliedQuery) Validate() error { return validateInner(q.q) }

type talliedSearcher struct {
	search.Searcher
	t *facetTally
}

func (s *talliedSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	return s.tally(s.Searcher.Next(ctx))
}

func (s *talliedSearcher) Advance(ctx *search.SearchContext, id bindex.IndexInternalID) (*search.DocumentMatch, error) {
	return s.tally(s.Searcher.Advance(ctx, id))
}

func (s *talliedSearcher) tally(d *search.DocumentMatch, err error) (*search.DocumentMatch, error) {
	if err != nil || d == nil {
		return d, err
	}
	if err := s.t.record(d.IndexInternalID); err != nil {
		return nil, err
	}
	return d, nil
}
