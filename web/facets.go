package web

// The sidebar: facets with their counts, the year list and the chips of
// the filters in force.

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"policysearch/index"
)

// FacetGroup is one facet of the sidebar.
type FacetGroup struct {
	Name  string // facet key in Results.Facets
	Param string // query parameter it filters on
	Label string
	Items []FacetItem
	// More links to the page with this facet's every value (up to the
	// index's limit) when it has more than FacetShown; Fewer back.
	More, Fewer string
}

// FacetShown is how many values a facet shows until "more" is followed.
const FacetShown = 10

// MoreParam names the facet whose every value the page lists. It belongs
// to the page only: exports, alerts and the API link leave it out.
const MoreParam = "more"

// FacetItem is one value of a facet: a checkbox, or for years a link.
type FacetItem struct {
	Value   string
	Label   string
	Count   int
	Checked bool
	ID      string
	Href    string // the search with this value toggled
}

// Chip is an active filter and the link that removes it.
type Chip struct {
	Label  string
	Value  string
	Remove string
}

var facetLabels = []struct{ name, param, label string }{
	{"source", "source", "Source"},
	{"source_type", "source_type", "Source type"},
	{"author", "author", "Author"},
	{"country", "country", "Country"},
	{"language", "language", "Language"},
	{"tags", "tag", "Tags"},
}

// LanguageLabel is how a language code reads on the page: "English (en)";
// a value that is not a known code is shown as it is.
func LanguageLabel(code string) string {
	tag, err := language.Parse(code)
	if err != nil {
		return code
	}
	name := display.English.Languages().Name(tag)
	if name == "" || strings.HasPrefix(name, "Unknown") {
		return code
	}
	return name + " (" + code + ")"
}

var sourceTypeLabels = map[string]string{
	"government": "Government", "think_tank": "Think tank", "igo": "Intergovernmental",
	"ngo": "NGO", "news": "News", "academic": "Academic", "other": "Other",
}

// SourceTypeLabel is how a source_type value reads on the page.
func SourceTypeLabel(v string) string {
	if l, ok := sourceTypeLabels[strings.ToLower(v)]; ok {
		return l
	}
	return v
}

func (p *SearchPage) chips() {
	filters := []struct{ param, label string }{
		{"source", "Source"}, {"source_type", "Type"}, {"country", "Country"}, {"tag", "Tag"},
		{"author", "Author"}, {"language", "Language"},
	}
	for _, f := range filters {
		for _, v := range p.State[f.param] {
			label := valueLabel(f.param, v)
			p.Active = append(p.Active, Chip{Label: f.label, Value: label, Remove: p.without(f.param, v)})
		}
	}
	switch from, to := p.State.Get("from"), p.State.Get("to"); {
	case from != "" && from == to:
		p.Active = append(p.Active, Chip{Label: "Date", Value: from, Remove: p.link(map[string][]string{"from": nil, "to": nil, "page": nil})})
	default:
		if from != "" {
			p.Active = append(p.Active, Chip{Label: "From", Value: from, Remove: p.link(map[string][]string{"from": nil, "page": nil})})
		}
		if to != "" {
			p.Active = append(p.Active, Chip{Label: "To", Value: to, Remove: p.link(map[string][]string{"to": nil, "page": nil})})
		}
	}
	if len(p.Active) > 1 {
		clear := map[string][]string{"page": nil, "from": nil, "to": nil}
		for _, f := range filters {
			clear[f.param] = nil
		}
		p.ClearAll = p.link(clear)
	}
}

// valueLabel is how a filter value reads in a facet or a chip.
func valueLabel(param, v string) string {
	switch param {
	case "source_type":
		return SourceTypeLabel(v)
	case "language":
		return LanguageLabel(v)
	}
	return v
}

// shown is how many values each facet lists before "more": FacetShown,
// or the facet_size the URL asks for.
func (p *SearchPage) shown() int {
	if n, err := strconv.Atoi(p.State.Get("facet_size")); err == nil && n > 0 {
		return n
	}
	return FacetShown
}

// moreOrFewer cuts a facet to the values it shows and sets its More or
// Fewer link.
func (p *SearchPage) moreOrFewer(g *FacetGroup, values []index.FacetValue) []index.FacetValue {
	if p.State.Get(MoreParam) == g.Name {
		g.Fewer = p.link(map[string][]string{MoreParam: nil})
		return values
	}
	if len(values) > p.shown() {
		g.More = p.link(map[string][]string{MoreParam: {g.Name}}) + "#facet-" + g.Name
		return values[:p.shown()]
	}
	return values
}

func (p *SearchPage) facets() {
	p.FacetsAbout = p.Results.FacetsApproximate
	for _, f := range facetLabels {
		g := FacetGroup{Name: f.name, Param: f.param, Label: f.label}
		selected := p.State[f.param]
		seen := map[string]bool{}
		for _, fv := range p.moreOrFewer(&g, p.Results.Facets[f.name]) {
			g.Items = append(g.Items, p.facetItem(f.param, fv.Value, fv.Count, selected))
			seen[strings.ToLower(fv.Value)] = true
		}
		// A ticked value the facet no longer lists stays visible, so it
		// can be unticked.
		for _, v := range selected {
			if !seen[strings.ToLower(v)] {
				g.Items = append(g.Items, p.facetItem(f.param, v, 0, selected))
				seen[strings.ToLower(v)] = true
			}
		}
		for i := range g.Items {
			g.Items[i].ID = fmt.Sprintf("f-%s-%d", f.param, i+1)
		}
		p.Facets = append(p.Facets, g)
	}
	p.Years = FacetGroup{Name: "year", Param: "from", Label: "Year"}
	years := slices.Clone(p.Results.Facets["year"])
	// Newest first, as numbers: the facet holds every year (the server
	// asks for them all), so the first ten are the latest ten.
	slices.SortFunc(years, func(a, b index.FacetValue) int {
		ya, _ := strconv.Atoi(a.Value)
		yb, _ := strconv.Atoi(b.Value)
		return cmp.Compare(yb, ya)
	})
	from, to := p.State.Get("from"), p.State.Get("to")
	listed := p.moreOrFewer(&p.Years, years)
	if i := slices.IndexFunc(years, func(y index.FacetValue) bool { return from == to && y.Value == from }); i >= len(listed) {
		listed = append(slices.Clip(listed), years[i]) // the chosen year stays visible, to be unchosen
	}
	for _, y := range listed {
		it := FacetItem{Value: y.Value, Label: y.Value, Count: y.Count, Checked: from == y.Value && to == y.Value}
		if it.Checked {
			it.Href = p.link(map[string][]string{"from": nil, "to": nil, "page": nil})
		} else {
			it.Href = p.link(map[string][]string{"from": {y.Value}, "to": {y.Value}, "page": nil})
		}
		p.Years.Items = append(p.Years.Items, it)
	}
}

func (p *SearchPage) facetItem(param, value string, count int, selected []string) FacetItem {
	it := FacetItem{Value: value, Label: valueLabel(param, value), Count: count}
	it.Checked = slices.ContainsFunc(selected, func(s string) bool { return strings.EqualFold(s, value) })
	if it.Checked {
		it.Href = p.without(param, value)
	} else {
		it.Href = p.link(map[string][]string{param: append(slices.Clone(selected), value), "page": nil})
	}
	return it
}
