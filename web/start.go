package web

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"policysearch/index"
)

// Collection is what the start page says about the collection: how many
// documents, from how many sources, over which years, and example
// searches made from its own metadata, so that every example finds
// something in this collection rather than in the samples.
type Collection struct {
	Documents uint64
	Sources   int
	// SourcesMore says there are more sources than were counted.
	SourcesMore bool
	// FirstYear and LastYear span the dated documents; 0 when none is.
	FirstYear, LastYear int
	// About marks the counts as estimates (see index.Results.FacetsApproximate).
	About    bool
	Examples []Example
}

// Example is one example search of the start page.
type Example struct {
	Query string // as the reader would type it
	Href  string
	Note  string // what it shows, in words
}

// SourcesCounted is how many sources the start page asks the index for;
// beyond it the page says "N or more".
const SourcesCounted = index.MaxFacetSize

// CollectionQuery is the search that describes the collection: every
// document (the first one's title gives a phrase example), every year, up
// to SourcesCounted sources and the top author and tag. It sorts by
// relevance, which for no words is index order: sorting a million
// documents by date to pick one title would cost the start page a read of
// every date.
func CollectionQuery() index.Query {
	return index.Query{Sort: index.SortRelevance, Size: 1, FacetSize: 1, Mode: index.ModeKeyword,
		FacetSizes: map[string]int{"source": SourcesCounted, "year": index.MaxYearFacetSize}}
}

// NewCollection reads the results of CollectionQuery.
func NewCollection(res *index.Results) *Collection {
	c := &Collection{Documents: res.Total, About: res.FacetsApproximate}
	c.Sources = len(res.Facets["source"])
	c.SourcesMore = c.Sources >= SourcesCounted
	for _, y := range res.Facets["year"] {
		n, err := strconv.Atoi(y.Value)
		if err != nil {
			continue
		}
		if c.FirstYear == 0 || n < c.FirstYear {
			c.FirstYear = n
		}
		c.LastYear = max(c.LastYear, n)
	}
	add := func(q, note string) {
		c.Examples = append(c.Examples, Example{Query: q, Href: "/?" + url.Values{"q": {q}}.Encode(), Note: note})
	}
	if len(res.Hits) > 0 {
		if p := titlePhrase(res.Hits[0].Title); p != "" {
			add(`"`+p+`"`, "a phrase, word for word (from a title here)")
		}
	}
	if a := top(res, "author"); a != "" {
		if s := surname(a); s != "" {
			add("author:"+s, "by an author, by any part of the name")
		}
	}
	if t := top(res, "tags"); t != "" {
		add("tag:"+quoteIfSpaced(t), "tagged "+t)
	}
	if s := top(res, "source"); s != "" {
		add("source:"+quoteIfSpaced(s), "published by "+s)
	}
	return c
}

func top(res *index.Results, facet string) string {
	if vs := res.Facets[facet]; len(vs) > 0 {
		return vs[0].Value
	}
	return ""
}

// titlePhrase is the first two neighbouring words of a title that are
// both real words (three letters or more), lowercased: a phrase that is
// sure to find at least the document it came from.
func titlePhrase(title string) string {
	words := strings.FieldsFunc(title, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' })
	for i := 0; i+1 < len(words); i++ {
		if wordLike(words[i]) && wordLike(words[i+1]) {
			return strings.ToLower(words[i] + " " + words[i+1])
		}
	}
	return ""
}

func wordLike(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
		n++
	}
	return n >= 3
}

// surname is the last word of a name written "First Last", or the first
// of "Last, First"; "" when neither reads as a word.
func surname(name string) string {
	if last, _, ok := strings.Cut(name, ","); ok {
		name = last
	} else if f := strings.Fields(name); len(f) > 0 {
		name = f[len(f)-1]
	}
	name = strings.Trim(strings.TrimSpace(name), ".")
	if !wordLike(strings.ReplaceAll(name, "-", "")) {
		return ""
	}
	return strings.ToLower(name)
}

func quoteIfSpaced(s string) string {
	if strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, "") + `"`
	}
	return s
}
