package index

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
)

// Results is one page of hits plus the facets of the whole result set.
type Results struct {
	Query  string  `json:"query"`
	Total  uint64  `json:"total"`
	Page   int     `json:"page"`
	Size   int     `json:"size"`
	Sort   string  `json:"sort"`
	TookMS float64 `json:"took_ms"`
	Notice string  `json:"notice,omitempty"`
	// Suggestion is the query with misspelt words corrected from the
	// index's vocabulary ("inflaton" → "inflation"), when a word is unknown
	// or the search found little (suggest.go).
	Suggestion string `json:"suggestion,omitempty"`
	// Mode is how the hits were ranked: keyword, hybrid or semantic.
	Mode     string                  `json:"mode"`
	Semantic SemanticStatus          `json:"semantic"`
	Hits     []Hit                   `json:"hits"`
	Facets   map[string][]FacetValue `json:"facets"`
	// FacetsApproximate says the facet counts are estimated from a fixed
	// sample of the documents (large keyword result sets; see
	// facetsample.go), not counted one by one.
	FacetsApproximate bool `json:"facets_approximate,omitempty"`
	// TotalApproximate says Total is estimated from the same sample: the
	// page of a broad query was found without counting every match
	// (prune.go).
	TotalApproximate bool `json:"total_approximate,omitempty"`
}

// Hit is one matching document as a result list shows it.
type Hit struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	TitleHTML  string   `json:"title_html"` // escaped, with <mark> around matches
	URL        string   `json:"url,omitempty"`
	Source     string   `json:"source,omitempty"`
	SourceType string   `json:"source_type,omitempty"`
	Author     []string `json:"author"`
	Published  string   `json:"published,omitempty"`
	Country    string   `json:"country,omitempty"`
	Language   string   `json:"language,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Score      float64  `json:"score"`
	Snippets   []string `json:"snippets"` // escaped HTML with <mark>
	// SnippetPages gives, for a paged source (PDF), the page number of
	// each snippet, index for index; absent for other documents.
	SnippetPages []int `json:"snippet_pages,omitempty"`
	// Provenance, present when semantic ranking took part: the hit's rank
	// in each list (nil where it was absent), its best passage's cosine
	// similarity, the fused score, and that passage.
	Ranks      *Ranks   `json:"ranks,omitempty"`
	Similarity *float64 `json:"similarity,omitempty"`
	Fused      *float64 `json:"fused_score,omitempty"`
	Passage    *Passage `json:"passage,omitempty"`
	// AlsoPublishedBy lists syndicated copies of this document (near-
	// duplicates under other URLs), earliest first; they are not shown as
	// hits of their own.
	AlsoPublishedBy []Copy `json:"also_published_by,omitempty"`
}

// Ranks are 1-based positions of a hit in the keyword and semantic lists.
type Ranks struct {
	Keyword  *int `json:"keyword"`
	Semantic *int `json:"semantic"`
}

// Passage is the part of a document that matched semantically.
type Passage struct {
	Index int    `json:"index"` // 0-based passage number in the document
	HTML  string `json:"html"`  // escaped, with <mark> around query words
}

// SemanticStatus tells clients whether meaning-based ranking was used and,
// if not, why.
type SemanticStatus struct {
	Status string `json:"status"` // off, ok or unavailable
	Reason string `json:"reason,omitempty"`
	Model  string `json:"model,omitempty"`
}

// FacetValue is one value of a facet and how many results have it.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// newResults starts a response with the total and facets of res.
func newResults(q Query, mode string, res *bleve.SearchResult) *Results {
	out := &Results{Query: q.Text, Total: res.Total, Page: q.Page, Size: q.Size, Sort: q.Sort, Mode: mode,
		Hits: make([]Hit, 0, q.Size), Facets: map[string][]FacetValue{}}
	for _, name := range FacetNames {
		out.Facets[name] = facetValues(res.Facets[name])
	}
	return out
}

// toHit turns a bleve hit with its stored fields and match locations into
// what a result list shows.
func toHit(h *search.DocumentMatch) Hit {
	str := func(k string) string { s, _ := h.Fields[k].(string); return s }
	hit := Hit{
		ID: h.ID, Title: str("title"), URL: str("url"), Source: str("source"), SourceType: str("source_type"),
		Published: str("published"), Country: str("country"), Language: str("language"), Score: h.Score,
		Author: strs(h.Fields["author"]), Tags: strs(h.Fields["tags"]),
	}
	hit.TitleHTML = markAll(hit.Title, spans(h.Locations["title"]))
	var at []int
	hit.Snippets, at = snippets(str("text"), spans(h.Locations["text"]), 3)
	hit.SnippetPages = snippetPages(str("pages"), at)
	return hit
}

// strs reads a stored field that bleve returns as a string for one value
// and a list for several.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{}
}
