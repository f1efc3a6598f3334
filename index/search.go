package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"policysearch/index/querylang"
)

// Limits on a search request. MaxWindow stops deep paging, which costs
// memory proportional to page*size in every engine.
const (
	MaxSize      = 100
	MaxWindow    = 10000
	MaxFacetSize = 100
	// MaxYearFacetSize lets the year facet list every year (dates run
	// from 1 to 9999), so a page can show years in order rather than the
	// most frequent ten.
	MaxYearFacetSize = 10000
	DefaultSize      = 10
)

// Sort orders.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortOldest    = "oldest"
)

// FacetNames are the facets every search computes, over the whole
// filtered result set.
var FacetNames = []string{"source", "source_type", "author", "country", "language", "year", "tags"}

// Filters narrow a search. Values within a field are OR-ed, fields AND-ed;
// matching ignores case.
type Filters struct {
	Source     []string `json:"source,omitempty"`
	SourceType []string `json:"source_type,omitempty"`
	Author     []string `json:"author,omitempty"`
	Country    []string `json:"country,omitempty"`
	Tag        []string `json:"tag,omitempty"`
	Language   []string `json:"language,omitempty"`
	From       Date     `json:"from,omitzero"`
	To         Date     `json:"to,omitzero"`
}

// Query is a search request in domain terms.
type Query struct {
	Text      string
	Strict    bool // a query that does not parse is an error, not plain words
	Filters   Filters
	Sort      string
	Page      int // 1-based
	Size      int
	FacetSize int
	// FacetSizes overrides FacetSize for the facets it names, so a page
	// can open one facet's "more" without growing the others.
	FacetSizes map[string]int `json:",omitempty"`
	// FacetMode is FacetsFiltered (the default) or FacetsMulti.
	FacetMode string
	// Mode is keyword, hybrid or semantic; "" means hybrid when a semantic
	// ranker is configured, else keyword.
	Mode string
	// SemanticRatio weighs meaning against keywords in [0,1]; nil means
	// DefaultSemanticRatio.
	SemanticRatio *float64
	// Fusion is rrf (reciprocal rank fusion, default) or score (normalised
	// weighted score fusion).
	Fusion string
	// RankingOnly asks a keyword search for the ranking alone: hits carry
	// their id and score, without stored fields, highlights, copies,
	// facets or a suggestion (eval reads a thousand hits a query).
	RankingOnly bool `json:",omitempty"`
}

// Validate fills defaults and checks ranges, naming the bad field.
func (q *Query) Validate() error {
	if q.Page == 0 {
		q.Page = 1
	}
	if q.Size == 0 {
		q.Size = DefaultSize
	}
	if q.FacetSize == 0 {
		q.FacetSize = 10
	}
	if q.Sort == "" {
		q.Sort = SortRelevance
	}
	if q.FacetMode == "" {
		q.FacetMode = FacetsFiltered
	}
	switch {
	case q.Page < 1:
		return InvalidField("page", "must be 1 or more")
	case q.Size < 1 || q.Size > MaxSize:
		return InvalidField("size", "must be between 1 and %d", MaxSize)
	case q.Page > MaxWindow/q.Size: // not page*size, which overflows
		return InvalidField("page", "page × size must not exceed %d; narrow the search with filters instead", MaxWindow)
	case q.FacetSize < 1 || q.FacetSize > MaxFacetSize:
		return InvalidField("facet_size", "must be between 1 and %d", MaxFacetSize)
	case !slices.Contains([]string{SortRelevance, SortNewest, SortOldest}, q.Sort):
		return InvalidField("sort", "must be one of relevance, newest, oldest")
	case !slices.Contains([]string{"", ModeKeyword, ModeHybrid, ModeSemantic}, q.Mode):
		return InvalidField("mode", "must be keyword, hybrid or semantic")
	case q.SemanticRatio != nil && !(*q.SemanticRatio >= 0 && *q.SemanticRatio <= 1):
		return InvalidField("semantic_ratio", "must be between 0 and 1")
	case q.FacetMode != FacetsFiltered && q.FacetMode != FacetsMulti:
		return InvalidField("facet_mode", "must be filtered or multi")
	case !slices.Contains([]string{"", FusionRRF, FusionScore}, q.Fusion):
		return InvalidField("fusion", "must be rrf or score")
	case !q.Filters.From.IsZero() && !q.Filters.To.IsZero() && q.Filters.To.End().Before(q.Filters.From.Time):
		return InvalidField("to", "is before from")
	}
	for name, n := range q.FacetSizes {
		limit := MaxFacetSize
		if name == "year" {
			limit = MaxYearFacetSize
		}
		switch {
		case !slices.Contains(FacetNames, name):
			return InvalidField("facet_size", "%q is not a facet; facets are %s", truncate(name, 40), strings.Join(FacetNames, ", "))
		case n < 1 || n > limit:
			return InvalidField("facet_size", "the %s facet's size must be between 1 and %d", name, limit)
		}
	}
	for _, st := range q.Filters.SourceType {
		if !slices.Contains(SourceTypes, strings.ToLower(st)) {
			return InvalidField("source_type", "%q is not one of %s", truncate(st, 40), strings.Join(SourceTypes, ", "))
		}
	}
	return nil
}

// facetSize is how many values the named facet lists.
func (q Query) facetSize(name string) int {
	if n, ok := q.FacetSizes[name]; ok {
		return n
	}
	return q.FacetSize
}

// PlainWordsNotice begins the notice of a query that did not parse and
// was searched as plain words.
const PlainWordsNotice = "Searched as plain words"

// Parse turns the query text into the query to run. Text that does not
// parse is searched as plain words and the notice says why, because people
// paste paragraphs; in strict mode it is an Invalid error with a position.
func (ix *Index) Parse(text string, strict bool) (query.Query, string, error) {
	return ix.parse(text, strict, compiler{ix: ix})
}

// highlightQuery is q's query without the proximity bonus, for reading
// the match locations of a page's hits: the same words, fewer searchers.
func (ix *Index) highlightQuery(q Query) (query.Query, error) {
	hq, _, err := ix.parse(q.Text, q.Strict, compiler{ix: ix, plain: true})
	return hq, err
}

func (ix *Index) parse(text string, strict bool, c compiler) (query.Query, string, error) {
	expr, err := querylang.Parse(text, QueryFields)
	notice := ""
	if err != nil {
		var se *querylang.SyntaxError
		if !errors.As(err, &se) {
			return nil, "", err
		}
		if strict {
			return nil, "", &Error{Kind: Invalid, Code: "invalid_query", Field: "q", Pos: se.Pos,
				Message: fmt.Sprintf("the query does not parse at position %d: %s", se.Pos, se.Msg)}
		}
		expr = querylang.Words(text)
		notice = fmt.Sprintf(PlainWordsNotice+": the query does not parse at position %d (%s).", se.Pos, se.Msg)
	}
	lowered, err := limitCost(expr) // cost.go
	if err != nil {
		return nil, "", err
	}
	var capped string
	expr, c.long, capped = c.capLong(expr) // longquery.go
	notice = strings.TrimSpace(strings.Join([]string{notice, lowered, capped}, " "))
	q, err := c.compile(expr)
	if err == nil && !c.plain {
		q, err = c.wordsRule(expr, q)
	}
	return q, notice, err
}

// searchNow runs q against the live index: by keywords, or, when a
// semantic ranker is set, by meaning too (see hybrid.go). Search wraps it
// in the cost ceiling (cost.go).
func (ix *Index) searchNow(ctx context.Context, q Query) (*Results, error) {
	start := time.Now()
	if err := q.Validate(); err != nil {
		return nil, err
	}
	key := ix.cacheKey(q)
	if r, ok := ix.cache.get(key); ok {
		r.TookMS = float64(time.Since(start).Microseconds()) / 1000
		return r, nil
	}
	uq, notice, err := ix.Parse(q.Text, q.Strict)
	if err != nil {
		return nil, err
	}
	filter := filterQuery(q.Filters)
	var out *Results
	mode, ratio := ix.resolveMode(q)
	if mode == ModeKeyword {
		out, err = ix.keywordSearch(ctx, q, uq, filter)
		if err == nil {
			out.Semantic = ix.offStatus(q)
		}
	} else {
		out, err = ix.hybridSearch(ctx, q, uq, filter, mode, ratio)
	}
	if err != nil {
		return nil, err
	}
	out.Notice = notice
	if q.Page == 1 && !q.RankingOnly {
		out.Suggestion = ix.suggest(ctx, q.Text, out.Total <= suggestBelow)
	}
	out.TookMS = float64(time.Since(start).Microseconds()) / 1000
	ix.cache.put(key, out)
	return out, nil
}

// keywordSearch is plain bleve ranking: one request for the page and the
// facets of the whole filtered result set.
func (ix *Index) keywordSearch(ctx context.Context, q Query, uq, filter query.Query) (*Results, error) {
	hq, err := ix.highlightQuery(q)
	if err != nil {
		return nil, err
	}
	// A deep page whose ranked list is cached shows the list's total and
	// facets (rankcache.go).
	rank := ix.rankKey(q)
	shown, known := ix.ranks.shown(rank)
	var plan *prunePlan
	var bound *pruning
	if !known && !q.RankingOnly && q.Sort == SortRelevance {
		plan, bound = ix.boundPlan(ctx, q, uq, filter, page{from: (q.Page - 1) * q.Size, size: q.Size, rank: rank}, nil)
	}
	// Hidden copies are left out of the query itself, so that the total,
	// the facets and every page count the same distinct documents. Which
	// copies match is asked of the query without its ranking-only
	// clauses: the same matches, fewer searchers. It is asked on another
	// goroutine while the facet sample, which does not depend on it, is
	// read: a page is otherwise one core's work. A bound cut's bitmaps
	// of the matches (matchbits.go) tell it instead.
	var hiddenDone func() ([]string, error)
	if bound == nil {
		hiddenDone = concurrently(func() ([]string, error) { return ix.hiddenCopies(ctx, withFilter(hq, filter)) })
	}
	sample, estimate, cut, err := ix.pageSample(ctx, q, hq, filter, plan, bound)
	if err != nil {
		if hiddenDone != nil {
			hiddenDone() // its goroutine ends before the request's does
		}
		return nil, err
	}
	hidden, err := ix.hiddenOf(ctx, hiddenDone, bound, withFilter(hq, filter))
	if err != nil {
		return nil, err
	}
	top := ix.excluding(withFilter(uq, filter), hidden)
	res, err := ix.run(ctx, top, q, page{from: (q.Page - 1) * q.Size, size: q.Size, facets: !known && sample == nil && !q.RankingOnly, fields: !q.RankingOnly, highlight: hq, cut: cut, rank: rank})
	if err != nil {
		return nil, err
	}
	if cut != nil && cut.used {
		ix.prunedPages.Add(1)
	}
	if !known {
		shown = listShown{total: res.Total, facets: res.Facets, facetsApproximate: sample != nil, totalApproximate: cut != nil && cut.used}
		if shown.totalApproximate {
			shown.total = estimate
			if n, ok := cut.count(); ok && filter == nil {
				shown.total, shown.totalApproximate = n-min(n, uint64(len(hidden))), false
			}
		}
		if sample != nil {
			shown.facets = scaleFacets(sample, shown.total)
		}
		ix.ranks.setShown(rank, shown)
	}
	res.Total, res.Facets = shown.total, shown.facets
	out := newResults(q, ModeKeyword, res)
	out.FacetsApproximate = shown.facetsApproximate
	out.TotalApproximate = shown.totalApproximate
	keyword := func(f query.Query) (query.Query, error) {
		set, _, err := ix.visible(ctx, withFilter(uq, f))
		return set, err
	}
	if err := ix.multiFacets(ctx, q, keyword, out); err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		if q.RankingOnly {
			out.Hits = append(out.Hits, Hit{ID: h.ID, Score: h.Score})
			continue
		}
		out.Hits = append(out.Hits, toHit(h))
	}
	if q.RankingOnly {
		return out, nil
	}
	return out, ix.attachCopies(ctx, out.Hits)
}

func withFilter(uq, filter query.Query) query.Query {
	top := bleve.NewBooleanQuery()
	top.AddMust(uq)
	if filter != nil {
		top.AddFilter(filter)
	}
	return top
}

// hitFields are the stored fields a result shows.
var hitFields = []string{"title", "text", "url", "source", "source_type", "author", "published", "country", "language", "tags", "pages"}

// page says which slice of a result list one bleve request returns, and
// what it computes besides: facets over all matches, stored fields and
// match locations for display.
type page struct {
	from, size     int
	facets, fields bool
	// sampled counts the facets over the sample's own fields (facetsample.go).
	sampled bool
	// highlight, when set, is the query whose match locations the page's
	// hits get, in place of the ranking query (see highlightQuery).
	highlight query.Query
	// cut, when set, first looks for a relevance page among the documents
	// that can reach it (prune.go); the total is then not counted.
	cut *pruning
	// rank, when set, names the search's ranked list in the rank cache
	// (rankcache.go), which deep pages read instead of searching again.
	rank string
}

// run executes one bleve request with q's sort order. Relevance is score
// first, then id, so that ties have one order and pages do not overlap.
func (ix *Index) run(ctx context.Context, top query.Query, q Query, p page) (*bleve.SearchResult, error) {
	var order search.SortOrder
	switch q.Sort {
	case SortNewest, SortOldest:
		order = search.SortOrder{
			&search.SortField{Field: "published_at", Type: search.SortFieldAsDate, Desc: q.Sort == SortNewest, Missing: search.SortFieldMissingLast},
			&search.SortScore{Desc: true},
			&search.SortDocID{},
		}
	default:
		if p.size == 0 { // facets and a total only: order is moot
			return ix.search(ctx, newRequest(top, q, p, p.from, 0, byScore))
		}
		return ix.runByScore(ctx, top, q, p)
	}
	return ix.search(ctx, newRequest(top, q, p, p.from, p.size, order))
}

// runByScore returns the page of the score-then-id order without making
// bleve sort on ids, which reads the id of every matching document: a
// quarter of a search's time at 10^5 passages. It asks for the first
// from+size+tieSlack hits by score alone (with the facets, without stored
// fields) and puts them in score-then-id order itself. When the last of
// them scores below the page's last hit, every document that ties with a
// hit of the page is among them, so the page is exactly the one the id
// sort gives; its stored fields and match locations are then read for
// those few ids. When a tie straddles the window's end, it asks again
// with the id sort.
func (ix *Index) runByScore(ctx context.Context, top query.Query, q Query, p page) (*bleve.SearchResult, error) {
	want := p.from + p.size
	res, ok := ix.ranks.page(p.rank, p.from, want)
	if !ok {
		var err error
		var whole bool
		if res, whole, err = ix.rankByScore(ctx, top, q, p); err != nil || whole {
			return res, err
		}
	}
	if p.fields && len(res.Hits) > 0 {
		locate := top
		if p.highlight != nil {
			locate = p.highlight
		}
		return res, ix.loadFields(ctx, locate, q, res.Hits)
	}
	return res, nil
}

// rankByScore is runByScore's search: the page's hits by score, then id,
// without stored fields, or (whole) the finished page by the id sort when
// a tie straddles the window. A deep page with a rank key, or a first page
// of rankAheadSize hits or more, reads ahead to rankAhead hits and keeps
// them in the rank cache for the pages after it.
func (ix *Index) rankByScore(ctx context.Context, top query.Query, q Query, p page) (res *bleve.SearchResult, whole bool, err error) {
	want := p.from + p.size
	window, ahead := p.window()
	if p.cut != nil && !p.facets {
		for _, n := range p.cut.stages(window) {
			cut, err := ix.search(ctx, newRequest(p.cut.restricted(top, n), q, page{}, 0, window, byScore))
			if err != nil {
				return nil, false, err
			}
			if p.cut.used = p.cut.holds(cut.Hits, window); p.cut.used {
				res = cut
				break
			}
		}
	}
	if res == nil {
		if res, err = ix.search(ctx, newRequest(top, q, page{facets: p.facets}, 0, window, byScore)); err != nil {
			return nil, false, err
		}
	}
	hits := res.Hits
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	if ahead {
		ix.ranks.put(p.rank, res, hits, window)
	}
	if len(hits) == window && !(hits[window-1].Score < hits[want-1].Score) {
		if p.cut != nil {
			p.cut.used = false
		}
		p.cut = nil
		res, err = ix.search(ctx, newRequest(top, q, p, p.from, p.size, byScoreThenID))
		return res, true, err
	}
	res.Hits = hits[min(p.from, len(hits)):min(want, len(hits))]
	return res, false, nil
}

// window is how many hits by score rankByScore reads for the page, and
// whether it reads ahead for the pages after it.
func (p page) window() (int, bool) {
	want := p.from + p.size
	if p.rank != "" && (p.from > 0 || p.size >= rankAheadSize) {
		return min(MaxWindow, max(rankAhead, 2*want)) + tieSlack, true
	}
	return want + tieSlack, false
}

// tieSlack is how many hits past the page runByScore reads, so that
// documents tying with the page's last hit are among them.
const tieSlack = 64

var (
	byScore       = search.SortOrder{&search.SortScore{Desc: true}}
	byScoreThenID = search.SortOrder{&search.SortScore{Desc: true}, &search.SortDocID{}}
)

// loadFields sets the stored fields and the match locations of top on
// hits, reading only those documents.
func (ix *Index) loadFields(ctx context.Context, top query.Query, q Query, hits search.DocumentMatchCollection) error {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	only := bleve.NewConjunctionQuery(bleve.NewDocIDQuery(ids), top)
	res, err := ix.search(ctx, newRequest(only, q, page{fields: true}, 0, len(ids), byScore))
	if err != nil {
		return err
	}
	byID := make(map[string]*search.DocumentMatch, len(res.Hits))
	for _, h := range res.Hits {
		byID[h.ID] = h
	}
	for _, h := range hits {
		if l := byID[h.ID]; l != nil {
			h.Fields, h.Locations = l.Fields, l.Locations
		}
	}
	return nil
}

// newRequest builds one bleve request for page p's fields and facets.
func newRequest(top query.Query, q Query, p page, from, size int, order search.SortOrder) *bleve.SearchRequest {
	req := bleve.NewSearchRequestOptions(top, size, from, false)
	if p.fields {
		req.Fields = hitFields
		req.IncludeLocations = true
	}
	req.SortByCustom(order)
	if p.facets {
		for _, name := range FacetNames {
			field := name
			if p.sampled {
				field = sampledFacet(name)
			}
			req.AddFacet(name, bleve.NewFacetRequest(field, q.facetSize(name)))
		}
	}
	return req
}

func (ix *Index) search(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	facets := ix.takeFacets(req) // facetcount.go
	res, err := ix.alias.SearchInContext(ctx, req)
	if err == nil && facets != nil {
		facets(res)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, errSearchTimeout(err)
		}
		if isTooManyClauses(err) {
			return nil, tooManyClauses(err)
		}
		return nil, fmt.Errorf("search: %w", err)
	}
	return res, nil
}
