package web

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"policysearch/index"
)

// Params are the query-string parameters the page understands: exactly
// those of /api/search, so a page URL and an API URL describe the same
// search. MoreParam alone is the page's own (see facets.go).
var Params = []string{"q", "page", "size", "sort", "source", "source_type", "author", "country", "tag",
	"language", "from", "to", "strict", "facet_size", "facet_mode", "mode", "fusion", "semantic_ratio", MoreParam}

// carried are the parameters no visible control of the form sets; hidden
// inputs keep them when the form is submitted again.
var carried = []string{"sort", "size", "strict", "facet_size", "facet_mode", "mode", "fusion", "semantic_ratio", MoreParam}

// Problem is an error as the page shows it: the API's status and message,
// and for a query-syntax error the field and 1-based rune position.
type Problem struct {
	Status   int
	Code     string
	Message  string
	Field    string
	Position int
}

// SearchPage is what the search template renders. Build it with
// NewSearchPage; every link on it is derived from State, so the page is a
// pure function of its URL.
type SearchPage struct {
	Query   string     // q as the user typed it
	State   url.Values // the known parameters of the request
	Results *index.Results
	Problem *Problem

	Hits   []HitView
	Facets []FacetGroup
	Years  FacetGroup
	// FacetsAbout shows facet counts as "about N": they are estimates.
	FacetsAbout bool
	From        string
	To          string
	Active      []Chip // filters in force, each with a link that removes it
	ClearAll    string
	Sorts       []Choice
	Modes       []Choice // keyword ↔ semantic control; empty while semantic search is off
	Banner      string   // why semantic ranking is unavailable, when it is
	Hidden      []Hidden
	Pager       Pager
	Syntax      *SyntaxView // where a strict query failed to parse
	Loose       string      // link that searches a failed strict query as plain words
	Strict      string      // link that shows where a loosely searched query fails
	Suggestion  *Suggestion // "Did you mean …?", when the index offers a correction
	Tools       *Tools      // export, cite and alerts; nil without results
	// Collection describes the collection on the start page; the server
	// sets it (nil when it could not be read).
	Collection *Collection
}

// HitView is one result with the links and labels the template needs.
// TitleHTML, Snippets and Passage.HTML come escaped from the index.
type HitView struct {
	index.Hit
	N         int    // 1-based position in the whole result list
	Href      string // the document page, carrying the search
	TypeLabel string
	Host      string // the original URL shortened for display
	SafeURL   string // URL if it is http(s), else ""
	Found     *Provenance
	Copies    []CopyView // also published by
}

// Provenance says how a hit was found once semantic ranking takes part.
type Provenance struct {
	Keyword    string // rank in the keyword list, or "–"
	Semantic   string
	Similarity string
	Fused      string
	Passage    *index.Passage
}

// Choice is one option of a link-based control such as sort.
type Choice struct {
	Label   string
	Href    string
	Current bool
}

// Hidden is a parameter carried through the form unchanged.
type Hidden struct{ Name, Value string }

// Pager is the pagination bar.
type Pager struct {
	Page, Last int
	First, End uint64 // 1-based positions of the first and last hit shown
	Prev, Next string
	Links      []PageLink
}

// PageLink is a numbered page, or a gap when Href and Current are empty.
type PageLink struct {
	N       int
	Href    string
	Current bool
	Gap     bool
}

// Suggestion is a corrected query and the search for it.
type Suggestion struct{ Query, Href string }

// SyntaxView splits a query around the position where it fails to parse.
type SyntaxView struct {
	Before, At, After string
	Position          int
}

// NewSearchPage builds the page for the request parameters params, the
// results of the search (nil for the empty state or on error) and the
// problem that stopped it, if any.
func NewSearchPage(params url.Values, res *index.Results, prob *Problem) *SearchPage {
	state := url.Values{}
	for _, k := range Params {
		for _, v := range params[k] {
			if v = strings.TrimSpace(v); v != "" && (k == "q" || len(v) <= 4096) {
				state.Add(k, v)
			}
		}
	}
	p := &SearchPage{Query: params.Get("q"), State: state, Results: res, Problem: prob,
		From: state.Get("from"), To: state.Get("to")}
	for _, k := range carried {
		for _, v := range state[k] {
			p.Hidden = append(p.Hidden, Hidden{k, v})
		}
	}
	p.chips()
	p.sorts()
	if prob != nil {
		p.problem()
	}
	if res == nil {
		return p
	}
	if res.Notice != "" && state.Get("strict") == "" {
		p.Strict = p.link(map[string][]string{"strict": {"true"}, "page": nil})
	}
	if res.Suggestion != "" {
		p.Suggestion = &Suggestion{Query: res.Suggestion, Href: p.link(map[string][]string{"q": {res.Suggestion}, "page": nil})}
	}
	p.facets()
	p.pager()
	p.semantic()
	p.tools()
	first := (res.Page-1)*res.Size + 1
	for i, h := range res.Hits {
		p.Hits = append(p.Hits, p.hitView(h, first+i))
	}
	return p
}

// link is the page URL with the given parameters replaced (nil deletes).
func (p *SearchPage) link(set map[string][]string) string {
	v := url.Values{}
	for k, vs := range p.State {
		v[k] = slices.Clone(vs)
	}
	for k, vs := range set {
		if vs == nil {
			delete(v, k)
		} else {
			v[k] = vs
		}
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// without is the search minus one value of a filter, back on page 1.
func (p *SearchPage) without(param, value string) string {
	var rest []string
	for _, v := range p.State[param] {
		if !strings.EqualFold(v, value) {
			rest = append(rest, v)
		}
	}
	if rest == nil {
		return p.link(map[string][]string{param: nil, "page": nil})
	}
	return p.link(map[string][]string{param: rest, "page": nil})
}

func (p *SearchPage) sorts() {
	cur := strings.ToLower(p.State.Get("sort"))
	if cur == "" {
		cur = index.SortRelevance
	}
	for _, s := range []struct{ value, label string }{
		{index.SortRelevance, "Relevance"}, {index.SortNewest, "Newest"}, {index.SortOldest, "Oldest"},
	} {
		v := []string{s.value}
		if s.value == index.SortRelevance {
			v = nil
		}
		p.Sorts = append(p.Sorts, Choice{Label: s.label, Href: p.link(map[string][]string{"sort": v, "page": nil}), Current: cur == s.value})
	}
}

func (p *SearchPage) pager() {
	r := p.Results
	if r.Size < 1 || r.Total == 0 {
		return
	}
	last := int(min((r.Total+uint64(r.Size)-1)/uint64(r.Size), uint64(index.MaxWindow/r.Size)))
	pg := Pager{Page: r.Page, Last: last}
	pg.First = uint64((r.Page-1)*r.Size) + 1
	pg.End = min(pg.First+uint64(len(r.Hits))-1, r.Total)
	if len(r.Hits) == 0 {
		pg.First, pg.End = 0, 0
	}
	href := func(n int) string {
		if n == 1 {
			return p.link(map[string][]string{"page": nil})
		}
		return p.link(map[string][]string{"page": {strconv.Itoa(n)}})
	}
	if r.Page > 1 {
		pg.Prev = href(min(r.Page-1, last))
	}
	if r.Page < last {
		pg.Next = href(r.Page + 1)
	}
	if last > 1 {
		gap := false
		for n := 1; n <= last; n++ {
			if n == 1 || n == last || (n >= r.Page-2 && n <= r.Page+2) {
				pg.Links = append(pg.Links, PageLink{N: n, Href: href(n), Current: n == r.Page})
				gap = false
			} else if !gap {
				pg.Links = append(pg.Links, PageLink{Gap: true})
				gap = true
			}
		}
	}
	p.Pager = pg
}

// semantic fills the hooks for meaning-based ranking: the mode control
// appears once an embeddings model is configured, the banner whenever it
// could not take part.
func (p *SearchPage) semantic() {
	s := p.Results.Semantic
	if s.Status == "unavailable" {
		p.Banner = "Semantic ranking is unavailable"
		if s.Reason != "" {
			p.Banner += ": " + s.Reason
		}
		p.Banner += ". These results are ranked by keywords only."
	}
	// Off with a model means keyword mode was chosen: the control stays,
	// so the reader can switch back.
	if (s.Status == "" || s.Status == "off") && s.Model == "" {
		return
	}
	mode := p.Results.Mode
	if mode == "" {
		mode = "keyword"
	}
	for _, m := range []struct{ value, label string }{{"keyword", "Keyword"}, {"hybrid", "Hybrid"}, {"semantic", "Semantic"}} {
		p.Modes = append(p.Modes, Choice{Label: m.label, Href: p.link(map[string][]string{"mode": {m.value}, "page": nil}), Current: mode == m.value})
	}
}

func (p *SearchPage) hitView(h index.Hit, n int) HitView {
	v := HitView{Hit: h, N: n, TypeLabel: SourceTypeLabel(h.SourceType)}
	v.Href = DocHref(h.ID, p.State)
	v.Copies = copyViews(h.AlsoPublishedBy, p.State)
	if u, err := url.Parse(h.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		v.SafeURL = h.URL
		v.Host = strings.TrimPrefix(u.Host, "www.") + strings.TrimSuffix(u.EscapedPath(), "/")
		if utf8.RuneCountInString(v.Host) > 70 {
			v.Host = string([]rune(v.Host)[:69]) + "…"
		}
	}
	if h.Ranks != nil || h.Similarity != nil || h.Passage != nil || h.Fused != nil {
		f := &Provenance{Keyword: "–", Semantic: "–", Passage: h.Passage}
		if h.Ranks != nil && h.Ranks.Keyword != nil {
			f.Keyword = "#" + strconv.Itoa(*h.Ranks.Keyword)
		}
		if h.Ranks != nil && h.Ranks.Semantic != nil {
			f.Semantic = "#" + strconv.Itoa(*h.Ranks.Semantic)
		}
		if h.Similarity != nil && !math.IsNaN(*h.Similarity) {
			f.Similarity = strconv.FormatFloat(*h.Similarity, 'f', 2, 64)
		}
		if h.Fused != nil && !math.IsNaN(*h.Fused) {
			f.Fused = strconv.FormatFloat(*h.Fused, 'f', 4, 64)
		}
		v.Found = f
	}
	return v
}

// DocHref links to a document's page carrying the search it was found
// with, so the page can highlight the query and link back to the results.
func DocHref(id string, state url.Values) string {
	h := "/doc/" + url.PathEscape(id)
	if len(state) > 0 {
		h += "?" + state.Encode()
	}
	return h
}

func (p *SearchPage) problem() {
	pr := *p.Problem
	if r, n := utf8.DecodeRuneInString(pr.Message); n > 0 {
		pr.Message = string(unicode.ToUpper(r)) + pr.Message[n:]
	}
	p.Problem = &pr
	if pr.Field == "q" && pr.Position > 0 {
		q := []rune(strings.TrimSpace(p.Query))
		i := min(pr.Position-1, len(q))
		sv := &SyntaxView{Before: string(q[:i]), Position: pr.Position}
		if i < len(q) {
			sv.At, sv.After = string(q[i]), string(q[i+1:])
		}
		p.Syntax = sv
		p.Loose = p.link(map[string][]string{"strict": nil, "page": nil})
	}
}

// Empty reports whether the page is the start page: nothing asked yet.
func (p *SearchPage) Empty() bool { return p.Results == nil && p.Problem == nil }

// Title is the text of the page's <title>.
func (p *SearchPage) Title() string {
	switch {
	case p.Problem != nil:
		return "Error – policysearch"
	case strings.TrimSpace(p.Query) != "":
		return strings.TrimSpace(p.Query) + " – policysearch"
	case p.Results != nil:
		return "All documents – policysearch"
	}
	return "policysearch – search policy texts"
}

// FormView is what the search form in the header needs.
type FormView struct {
	Query     string
	Hidden    []Hidden
	Autofocus bool
}

// Form is the header's search form for this page.
func (p *SearchPage) Form() FormView {
	return FormView{Query: p.Query, Hidden: p.Hidden, Autofocus: p.Empty()}
}

// APIHref is this search as a JSON API request, or "" on the start page.
func (p *SearchPage) APIHref() string {
	if p.Empty() || len(p.State) == 0 {
		return ""
	}
	return "/api/search?" + apiState(p.State).Encode()
}

// FirstPage is the search on its first page.
func (p *SearchPage) FirstPage() string { return p.link(map[string][]string{"page": nil}) }

// Took is the index's search time as the page shows it.
func (p *SearchPage) Took() string {
	if p.Results == nil {
		return ""
	}
	if p.Results.TookMS < 0.1 {
		return "under 0.1 ms"
	}
	return strconv.FormatFloat(p.Results.TookMS, 'f', 1, 64) + " ms"
}

// PageOf is the page snippet i is on, for a paged source (PDF), or 0.
func (h HitView) PageOf(i int) int {
	if i < len(h.SnippetPages) {
		return h.SnippetPages[i]
	}
	return 0
}
