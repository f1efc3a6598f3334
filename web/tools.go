package web

import (
	"net/url"
	"strings"
)

// Tools are the research tools of a results page: export the results,
// cite the search (freeze it as a snapshot), and alerts on it. Export
// links are plain links; citing and alerts are small forms that post to
// the page's own routes, so all of it works without JavaScript.
type Tools struct {
	Export []Choice // one link per format, to /api/export with this search
	Hidden []Hidden // the search, carried by the forms
	Return string   // this page, where deleting an alert comes back to
	// Set by the server: which tools it runs, and whether this client's
	// writes would be accepted (forms are shown only then).
	Cite     bool
	Alerts   *AlertsPanel
	Writable bool
}

// AlertsPanel lists the alerts saved for the search on the page.
type AlertsPanel struct {
	List []AlertView
	// Semantic says new documents are also compared by meaning.
	Semantic bool
}

// AlertView is one saved alert as the panel lists it.
type AlertView struct {
	ID, Name string
	Feed     string // its Atom feed
	Webhook  string // the webhook's host, or ""
	Matches  int
	Status   string // the last webhook delivery, in words, or ""
	// Search and Href describe the search the alert watches, on the
	// page of all alerts (the panel of one search leaves them empty).
	Search, Href string
}

// exportFormats are the formats of /api/export, as the menu names them.
var exportFormats = []struct{ format, label string }{
	{"csv", "CSV (spreadsheet)"}, {"json", "JSON"}, {"bibtex", "BibTeX"}, {"ris", "RIS (Zotero, EndNote)"},
}

// searchState is the page's search without paging: what an export, a
// snapshot or an alert is about.
func searchState(state url.Values) url.Values {
	v := url.Values{}
	for k, vs := range state {
		switch k {
		case "page", "size", "facet_size", MoreParam:
		default:
			v[k] = vs
		}
	}
	return v
}

// apiState is the page's state as /api/search parameters.
func apiState(state url.Values) url.Values {
	v := url.Values{}
	for k, vs := range state {
		if k != MoreParam {
			v[k] = vs
		}
	}
	return v
}

// ExportLinks are the export menu's links for a search.
func ExportLinks(state url.Values) []Choice {
	out := make([]Choice, 0, len(exportFormats))
	for _, f := range exportFormats {
		v := searchState(state)
		v.Set("format", f.format)
		out = append(out, Choice{Label: f.label, Href: "/api/export?" + v.Encode()})
	}
	return out
}

func (p *SearchPage) tools() {
	if p.Results.Total == 0 {
		return // nothing to export, cite or be alerted about (yet)
	}
	t := &Tools{Export: ExportLinks(p.State), Return: p.link(nil)}
	s := searchState(p.State)
	for _, k := range Params {
		for _, v := range s[k] {
			t.Hidden = append(t.Hidden, Hidden{k, v})
		}
	}
	p.Tools = t
}

// SafeReturn is where a page form may send the browser back to: a path
// on this site (a search or a snapshot), never another site.
func SafeReturn(s string) string {
	if (s == "/" || s == AlertsReturn || strings.HasPrefix(s, "/?") || strings.HasPrefix(s, "/s/")) && !strings.ContainsAny(s, "\\\r\n") {
		return s
	}
	return "/"
}

// AlertPage confirms a new alert and shows, this once, its secret.
type AlertPage struct {
	Name     string
	Search   string // the search, in words
	Feed     string // absolute Atom feed URL
	Webhook  string
	Secret   string
	Back     string // the search page
	Semantic bool
}

// PageTitle is the text of the page's <title>.
func (p *AlertPage) PageTitle() string { return "Alert created – policysearch" }

// Form is the header's search form.
func (p *AlertPage) Form() FormView { return FormView{} }
