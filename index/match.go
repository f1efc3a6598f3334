package index

import (
	"context"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Kinds of evidence a Match carries.
const (
	MatchKeyword  = "keyword"
	MatchSemantic = "semantic"
)

// Match is a document a saved search matched, with the evidence a reader
// needs to judge it: the passage that matched best and either the words
// that matched (keyword) or the passage's similarity to the query
// (semantic). PassageHTML and TitleHTML are escaped, with <mark> around
// matched words.
type Match struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	TitleHTML   string   `json:"title_html"`
	URL         string   `json:"url,omitempty"`
	Source      string   `json:"source,omitempty"`
	SourceType  string   `json:"source_type,omitempty"`
	Published   string   `json:"published,omitempty"`
	Kind        string   `json:"kind"`
	Terms       []string `json:"terms,omitempty"`
	Phrases     []string `json:"phrases,omitempty"` // the query's quoted phrases found word for word
	Similarity  *float64 `json:"similarity,omitempty"`
	Passage     *int     `json:"passage,omitempty"` // 0-based passage number (semantic)
	PassageHTML string   `json:"passage_html"`
	Score       float64  `json:"score"`
}

// Match runs the text and filters of q against the documents ids only, and
// returns the ones that match with their best passage and matched words.
// It compiles q the way Search does, after the documents are indexed, with
// every word of a short query required (Prepare): a saved search matches a
// new document when a search would list it among those with all its words
// (prefix terms expand against the current dictionary, new words included).
// Sort, page and mode are ignored: this is the keyword side only.
func (ix *Index) Match(ctx context.Context, q Query, ids []string) ([]Match, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	s, err := ix.Prepare(q)
	if err != nil {
		return nil, err
	}
	uq, err := compiler{ix: ix}.compile(s.expr)
	if err != nil {
		return nil, err
	}
	only := bleve.NewConjunctionQuery(bleve.NewDocIDQuery(ids), uq)
	return ix.keywordMatches(ctx, withFilter(only, filterQuery(q.Filters)), len(ids), ix.phrasesOf(s.expr))
}

// keywordMatches runs top for at most n hits and returns each hit's
// keyword evidence, with which of phrases it holds.
func (ix *Index) keywordMatches(ctx context.Context, top query.Query, n int, phrases []queryPhrase) ([]Match, error) {
	res, err := ix.run(ctx, top, Query{Sort: SortRelevance}, page{size: n, fields: true})
	if err != nil {
		return nil, err
	}
	out := make([]Match, 0, len(res.Hits))
	for _, h := range res.Hits {
		m := keywordMatch(h)
		m.Phrases = phrasesIn(h, phrases)
		out = append(out, m)
	}
	return out, nil
}

// keywordMatch is a hit's evidence: its best snippet and matched words.
func keywordMatch(h *search.DocumentMatch) Match {
	m := newMatch(h, MatchKeyword)
	text, _ := h.Fields["text"].(string)
	if s, _ := snippets(text, spans(h.Locations["text"]), 1); len(s) > 0 {
		m.PassageHTML = s[0]
	}
	m.Terms = matchedTerms(h)
	return m
}

// passageScorer is implemented by semantic rankers that can score given
// documents directly, without scanning every vector (embedding.Service).
type passageScorer interface {
	Best(ctx context.Context, text string, ids []string) ([]SemanticMatch, error)
}

// MatchSemantic compares q's text by meaning with the documents ids that
// pass q's filters, and returns those whose best passage has a cosine
// similarity of at least threshold. It returns nil when no semantic ranker
// is configured, and the ranker's error when the query cannot be embedded.
// Documents without vectors (not embedded yet) do not match.
func (ix *Index) MatchSemantic(ctx context.Context, q Query, ids []string, threshold float64) ([]Match, error) {
	if ix.semantic == nil || len(ids) == 0 || strings.TrimSpace(q.Text) == "" {
		return nil, nil
	}
	allowed := ids
	if f := filterQuery(q.Filters); f != nil {
		b := bleve.NewBooleanQuery()
		b.AddMust(bleve.NewDocIDQuery(ids))
		b.AddFilter(f)
		res, err := ix.run(ctx, b, Query{Sort: SortRelevance}, page{size: len(ids)})
		if err != nil {
			return nil, err
		}
		allowed = make([]string, 0, len(res.Hits))
		for _, h := range res.Hits {
			allowed = append(allowed, h.ID)
		}
		if len(allowed) == 0 {
			return nil, nil
		}
	}
	var sims []SemanticMatch
	var err error
	if ps, ok := ix.semantic.(passageScorer); ok {
		sims, err = ps.Best(ctx, q.Text, allowed)
	} else {
		set := make(map[string]bool, len(allowed))
		for _, id := range allowed {
			set[id] = true
		}
		sims, err = ix.semantic.Nearest(ctx, q.Text, len(allowed), func(id string) bool { return set[id] })
	}
	if err != nil {
		return nil, err
	}
	byID := map[string]SemanticMatch{}
	var hit []string
	for _, s := range sims {
		if s.Similarity >= threshold {
			byID[s.ID] = s
			hit = append(hit, s.ID)
		}
	}
	if len(hit) == 0 {
		return nil, nil
	}
	uq, _, err := ix.Parse(q.Text, false)
	if err != nil {
		return nil, err
	}
	loaded, err := ix.load(ctx, uq, hit)
	if err != nil {
		return nil, err
	}
	out := make([]Match, 0, len(hit))
	for _, id := range hit {
		h, ok := loaded[id]
		if !ok {
			continue // deleted meanwhile
		}
		s := byID[id]
		m := newMatch(h, MatchSemantic)
		sim, n := s.Similarity, s.Passage
		m.Similarity, m.Passage, m.Score = &sim, &n, sim
		text, _ := h.Fields["text"].(string)
		if s.Start <= s.End && s.End <= len(text) {
			m.PassageHTML = render(text, span{s.Start, s.End}, spans(h.Locations["text"]))
		}
		out = append(out, m)
	}
	return out, nil
}

// Existing reports which of ids are in the index now.
func (ix *Index) Existing(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	res, err := ix.run(ctx, bleve.NewDocIDQuery(ids), Query{Sort: SortRelevance}, page{size: len(ids)})
	if err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		out[h.ID] = true
	}
	return out, nil
}

func newMatch(h *search.DocumentMatch, kind string) Match {
	str := func(k string) string { s, _ := h.Fields[k].(string); return s }
	title := str("title")
	return Match{ID: h.ID, Title: title, TitleHTML: markAll(title, spans(h.Locations["title"])),
		URL: str("url"), Source: str("source"), SourceType: str("source_type"), Published: str("published"),
		Kind: kind, Score: h.Score}
}

// matchedTerms lists the words that matched, as written in the title and
// text (so "Regulations" rather than the stem "regul"), then the terms of
// metadata fields; lowercased, each once, in order of first appearance.
func matchedTerms(h *search.DocumentMatch) []string {
	var out []string
	seen := map[string]bool{}
	add := func(w string) {
		w = strings.ToLower(strings.TrimSpace(w))
		if w != "" && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, field := range []string{"title", "text"} {
		s, _ := h.Fields[field].(string)
		for _, sp := range spans(h.Locations[field]) {
			if sp.start >= 0 && sp.end <= len(s) {
				add(s[sp.start:sp.end])
			}
		}
	}
	var rest []string
	for field, tl := range h.Locations {
		if field == "title" || field == "text" {
			continue
		}
		for term := range tl {
			rest = append(rest, term)
		}
	}
	slices.Sort(rest)
	for _, t := range rest {
		add(t)
	}
	return out
}
