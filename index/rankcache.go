package index

import (
	"encoding/json"
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Deep pages of a relevance search read a ranked list instead of running
// the search again. Without it, page N of a keyword search ran the whole
// query for N·size+tieSlack hits, so reading the first 1,000 results a
// page of 100 at a time (as eval and API clients do) scored every match
// ten times; for a pasted paragraph, whose words match nearly every
// passage, that was most of the cost. The first deep page (page 2 or
// later) reads ahead to rankAhead hits and keeps their ids and scores,
// with the total and the facets, under the query, its filters and facet
// settings and the index generation; later pages within those hits read
// only their own stored fields and match locations, and show the list's
// total and facets (exact or estimated). A first page of ordinary size is
// left as it was: most searches stop there, and reading ahead would cost
// every one; a first page of rankAheadSize hits or more (eval, exports:
// a client that reads on) reads ahead too.
const (
	rankAheadSize = 50
	rankAhead     = 1000
	rankCacheSize = 32 // lists of up to MaxWindow+tieSlack ids: a few MB at most
)

// rankedList is one search's hits in score-then-id order, as runByScore
// sorts them, with what its bleve request computed besides.
type rankedList struct {
	ids    []string
	scores []float64
	// complete says the list holds every match, so any page of it is
	// exact without the tie check.
	complete bool
	maxScore float64
	// shown is the total and facets the search's pages show, once the
	// page that read the list has set them (setShown); until then the
	// list serves no page.
	shown    listShown
	shownSet bool
}

// listShown is what every page of a search shows besides its hits.
type listShown struct {
	total             uint64
	totalApproximate  bool // pruned (prune.go): estimated from the facet sample
	facets            search.FacetResults
	facetsApproximate bool // estimated from the facet sample (facetsample.go)
}

// rankCache is a small LRU of ranked lists. Its keys carry the index
// generation, so a write makes every older list unreachable; the LRU
// bound pushes the dead ones out.
type rankCache struct {
	lru *lru.Cache[string, *rankedList]
}

func newRankCache(n int) *rankCache {
	c, _ := lru.New[string, *rankedList](n)
	return &rankCache{lru: c}
}

// rankKey names q's ranking and facets at the current generation; the
// page and size are left out, since every page reads the same list;
// "" when the cache is off.
func (ix *Index) rankKey(q Query) string {
	if ix.ranks == nil { // off: deep pages search as page 1 does
		return ""
	}
	q.Page, q.Size = 0, 0
	b, _ := json.Marshal(q)
	return fmt.Sprintf("%d/%s", ix.Generation(), b)
}

// page returns hits [from, want) of the list named key as a bleve result,
// or false when the list is not cached or cannot tell that page exactly:
// it is shorter than want, or a document past its end may tie with the
// page's last hit (then the id order could bring it onto the page).
func (c *rankCache) page(key string, from, want int) (*bleve.SearchResult, bool) {
	if c == nil || key == "" {
		return nil, false
	}
	l, ok := c.lru.Get(key)
	if !ok || !l.shownSet {
		return nil, false
	}
	n := len(l.ids)
	if !l.complete && (n < want || !(l.scores[n-1] < l.scores[want-1])) {
		return nil, false
	}
	res := &bleve.SearchResult{Total: l.shown.total, MaxScore: l.maxScore, Facets: l.shown.facets,
		Status: &bleve.SearchStatus{Total: 1, Successful: 1}}
	for i := from; i < min(want, n); i++ {
		res.Hits = append(res.Hits, &search.DocumentMatch{ID: l.ids[i], Score: l.scores[i]})
	}
	return res, true
}

// put keeps hits, sorted in score-then-id order, as the list named key;
// asked says how many the request asked for (fewer came: it has them all).
func (c *rankCache) put(key string, res *bleve.SearchResult, hits search.DocumentMatchCollection, asked int) {
	if c == nil || key == "" {
		return
	}
	l := &rankedList{ids: make([]string, len(hits)), scores: make([]float64, len(hits)),
		complete: len(hits) < asked, maxScore: res.MaxScore}
	for i, h := range hits {
		l.ids[i], l.scores[i] = h.ID, h.Score
	}
	c.lru.Add(key, l)
}

// shown returns what the pages of the list named key show besides
// their hits; known is false when there is no such list or it is not set.
func (c *rankCache) shown(key string) (s listShown, known bool) {
	if c == nil || key == "" {
		return listShown{}, false
	}
	l, ok := c.lru.Peek(key)
	if !ok || !l.shownSet {
		return listShown{}, false
	}
	return l.shown, true
}

// setShown keeps what a search's pages show with its list, if one is
// cached and has none yet. The list is replaced, not changed: readers
// may hold it.
func (c *rankCache) setShown(key string, s listShown) {
	if c == nil || key == "" {
		return
	}
	l, ok := c.lru.Peek(key)
	if !ok || l.shownSet {
		return
	}
	cp := *l
	cp.shown, cp.shownSet = s, true
	c.lru.Add(key, &cp)
}
