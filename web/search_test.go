package web

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"policysearch/index"
)

func TestPager(t *testing.T) {
	cases := []struct {
		total      uint64
		page, size int
		want       string // page numbers, "…" for a gap, [n] for the current one
		prev, next bool
	}{
		{5, 1, 10, "", false, false},
		{25, 1, 10, "[1] 2 3", false, true},
		{25, 3, 10, "1 2 [3]", true, false},
		{200, 7, 10, "1 … 5 6 [7] 8 9 … 20", true, true},
		{200000, 1, 100, "[1] 2 3 … 100", false, true}, // page × size stops at 10,000
	}
	for _, c := range cases {
		res := &index.Results{Total: c.total, Page: c.page, Size: c.size, Hits: make([]index.Hit, min(int(c.total), c.size))}
		p := NewSearchPage(url.Values{"q": {"x"}, "page": {strconv.Itoa(c.page)}}, res, nil)
		var got []string
		for _, l := range p.Pager.Links {
			switch {
			case l.Gap:
				got = append(got, "…")
			case l.Current:
				got = append(got, "["+strconv.Itoa(l.N)+"]")
			default:
				got = append(got, strconv.Itoa(l.N))
			}
		}
		if g := strings.Join(got, " "); g != c.want || (p.Pager.Prev != "") != c.prev || (p.Pager.Next != "") != c.next {
			t.Errorf("total %d page %d: links %q prev %q next %q; want %q prev %v next %v", c.total, c.page, g, p.Pager.Prev, p.Pager.Next, c.want, c.prev, c.next)
		}
	}
}

func TestFacetLinksToggle(t *testing.T) {
	res := &index.Results{Total: 3, Page: 2, Size: 10, Facets: map[string][]index.FacetValue{
		"source": {{Value: "Policy Lab", Count: 2}, {Value: "Ministry", Count: 1}},
		"year":   {{Value: "2024", Count: 3}},
	}}
	p := NewSearchPage(url.Values{"q": {"ai"}, "page": {"2"}, "source": {"policy lab"}, "utm": {"dropped"}}, res, nil)
	src := p.Facets[0]
	if !src.Items[0].Checked || src.Items[1].Checked {
		t.Errorf("checked = %v %v, want the case-insensitive match only", src.Items[0].Checked, src.Items[1].Checked)
	}
	for _, c := range []struct{ name, got, want string }{
		{"untick", src.Items[0].Href, "/?q=ai"},
		{"tick another", src.Items[1].Href, "/?q=ai&source=policy+lab&source=Ministry"},
		{"year", p.Years.Items[0].Href, "/?from=2024&q=ai&source=policy+lab&to=2024"},
		{"chip", p.Active[0].Remove, "/?q=ai"},
		{"sort", p.Sorts[1].Href, "/?q=ai&sort=newest&source=policy+lab"},
		{"json", p.APIHref(), "/api/search?page=2&q=ai&source=policy+lab"},
	} {
		if c.got != c.want {
			t.Errorf("%s link = %s, want %s", c.name, c.got, c.want)
		}
	}
}
