package index

import (
	"sort"
	"strconv"
	"strings"
)

// PagesKey is the Extra key under which a paged source (a PDF) lists where
// each page lies in Document.Text, as a list of PageSpan. Search uses it
// to give each snippet its page number (Hit.SnippetPages).
const PagesKey = "pages"

// PageSpan says that bytes [Start, End) of Document.Text are page Page of
// the source (1-based, as printed). Pages without text have no span.
type PageSpan struct {
	Page  int `json:"page"`
	Start int `json:"start"`
	End   int `json:"end"`
}

// Pages reads Extra["pages"], whether it holds []PageSpan (as a loader
// made it) or the []any that JSON gives back from the store. Spans that
// do not fit the text (a sidecar replaced it, say) are dropped.
func (d *Document) Pages() []PageSpan {
	var out []PageSpan
	switch v := d.Extra[PagesKey].(type) {
	case []PageSpan:
		out = append(out, v...)
	case []any:
		for _, x := range v {
			m, ok := x.(map[string]any)
			if !ok {
				return nil
			}
			num := func(k string) int { f, _ := m[k].(float64); return int(f) }
			out = append(out, PageSpan{Page: num("page"), Start: num("start"), End: num("end")})
		}
	}
	valid := out[:0]
	for _, p := range out {
		p.End = min(p.End, len(d.Text)) // Normalize trims trailing space
		if p.Page > 0 && 0 <= p.Start && p.Start <= p.End {
			valid = append(valid, p)
		}
	}
	return valid
}

// encodePages packs page spans into the stored-only bleve field "pages"
// as "page:start:end" triples separated by spaces; "" when there are none.
func encodePages(ps []PageSpan) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.Itoa(p.Page) + ":" + strconv.Itoa(p.Start) + ":" + strconv.Itoa(p.End)
	}
	return strings.Join(parts, " ")
}

func decodePages(s string) []PageSpan {
	var out []PageSpan
	for _, f := range strings.Fields(s) {
		xs := strings.Split(f, ":")
		if len(xs) != 3 {
			return nil
		}
		var n [3]int
		for i, x := range xs {
			v, err := strconv.Atoi(x)
			if err != nil {
				return nil
			}
			n[i] = v
		}
		out = append(out, PageSpan{Page: n[0], Start: n[1], End: n[2]})
	}
	return out
}

// pageAt returns the page holding byte offset off, or 0. Offsets between
// pages (the blank line joining them) belong to the next page.
func pageAt(ps []PageSpan, off int) int {
	i := sort.Search(len(ps), func(i int) bool { return ps[i].End > off })
	if i == len(ps) {
		return 0
	}
	return ps[i].Page
}

// snippetPages maps snippet start offsets to page numbers; nil when the
// document has no pages, so the field is left out of the JSON.
func snippetPages(stored string, starts []int) []int {
	ps := decodePages(stored)
	if len(ps) == 0 || len(starts) == 0 {
		return nil
	}
	out := make([]int, len(starts))
	for i, s := range starts {
		out[i] = pageAt(ps, s)
	}
	return out
}

// firstIn returns the start of the first span inside w, else w's start.
func firstIn(sp []span, w span) int {
	for _, s := range sp {
		if s.start >= w.start && s.end <= w.end {
			return s.start
		}
	}
	return w.start
}
