package web

// The sidebar: facets with their counts, the year list and the chips of
// the filters in force.

import (
	"fmt"
	"slices"
	"strings"

	"policysearch/index"
)

// FacetGroup is one facet of the sidebar.
type FacetGroup struct {
	Name  string // facet key in Results.Facets
	Param string // query parameter it filters on
	Label string
	Items []FacetItem
}

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
	{"country", "country", "Country"},
	{"tags", "tag", "Tags"},
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
			label := v
			if f.param == "source_type" {
				label = SourceTypeLabel(v)
			}
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

func (p *SearchPage) facets() {
	p.FacetsAbout = p.Results.FacetsApproximate
	for _, f := range facetLabels {
		g := FacetGroup{Name: f.name, Param: f.param, Label: f.label}
		selected := p.State[f.param]
		seen := map[string]bool{}
		for _, fv := range p.Results.Facets[f.name] {
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
	slices.SortFunc(years, func(a, b index.FacetValue) int { return strings.Compare(b.Value, a.Value) })
	from, to := p.State.Get("from"), p.State.Get("to")
	for _, y := range years {
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
	it := FacetItem{Value: value, Label: value, Count: count}
	if param == "source_type" {
		it.Label = SourceTypeLabel(value)
	}
	it.Checked = slices.ContainsFunc(selected, func(s string) bool { return strings.EqualFold(s, value) })
	if it.Checked {
		it.Href = p.without(param, value)
	} else {
		it.Href = p.link(map[string][]string{param: append(slices.Clone(selected), value), "page": nil})
	}
	return it
}
