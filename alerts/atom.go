package alerts

import (
	"context"
	"encoding/xml"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FeedEntries is how many of an alert's newest matches its feed lists.
const FeedEntries = 100

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Subtitle  string      `xml:"subtitle,omitempty"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published,omitempty"`
	Links      []atomLink     `xml:"link"`
	Summary    atomText       `xml:"summary"`
	Categories []atomCategory `xml:"category"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// FeedURL is where a feed reader reads alert a: base (scheme and host as
// the client sees them) plus the path and the alert's feed token.
func FeedURL(base string, a Alert) string {
	u := strings.TrimRight(base, "/") + "/alerts/" + a.ID + ".atom"
	if a.FeedToken != "" {
		u += "?token=" + a.FeedToken
	}
	return u
}

// Feed renders an alert's newest matches as an Atom 1.0 feed. base is the
// service's address as the client sees it (scheme and host), for links.
// Each entry links the document's page and the original, and its summary
// shows the matched passage and why it matched.
func (s *Service) Feed(ctx context.Context, id, base string) ([]byte, error) {
	a, err := s.st.getAlert(id)
	if err != nil {
		return nil, err
	}
	entries, err := s.st.entries(id, FeedEntries)
	if err != nil {
		return nil, err
	}
	base = strings.TrimRight(base, "/")
	f := atomFeed{
		ID:        "urn:policysearch:alert:" + a.ID,
		Title:     "policysearch alert: " + a.Name,
		Subtitle:  "New and updated documents matching " + describe(a.Params),
		Updated:   a.Created.UTC().Format(time.RFC3339),
		Author:    atomPerson{Name: "policysearch"},
		Generator: "policysearch",
		Links: []atomLink{
			{Rel: "self", Href: FeedURL(base, a), Type: "application/atom+xml"},
			{Rel: "alternate", Href: base + "/?" + a.Params, Type: "text/html"},
		},
	}
	if len(entries) > 0 {
		f.Updated = entries[0].MatchedAt.UTC().Format(time.RFC3339)
	}
	for _, e := range entries {
		d := e.Document
		title := d.Title
		if title == "" {
			title = d.ID
		}
		ent := atomEntry{
			ID:         "urn:policysearch:alert:" + a.ID + ":" + e.ID,
			Title:      title,
			Updated:    e.MatchedAt.UTC().Format(time.RFC3339),
			Links:      []atomLink{{Rel: "alternate", Href: base + "/doc/" + url.PathEscape(d.ID), Type: "text/html"}},
			Summary:    atomText{Type: "html", Body: summary(e)},
			Categories: []atomCategory{{Term: e.Match.Kind}},
		}
		if u, err := url.Parse(d.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			ent.Links = append(ent.Links, atomLink{Rel: "related", Href: d.URL})
		}
		f.Entries = append(f.Entries, ent)
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// summary is an entry's HTML: why it matched, then the passage (already
// escaped, with <mark> around the matched words).
func summary(e Entry) string {
	var b strings.Builder
	b.WriteString("<p>")
	switch {
	case e.Match.Kind == "semantic" && e.Match.Similarity != nil:
		b.WriteString("Matched by meaning: similarity " + strconv.FormatFloat(*e.Match.Similarity, 'f', 2, 64))
		if e.Match.Passage != nil {
			b.WriteString(" (passage " + strconv.Itoa(*e.Match.Passage+1) + ")")
		}
	case len(e.Match.Terms) > 0:
		b.WriteString("Matched terms: " + html.EscapeString(strings.Join(e.Match.Terms, ", ")))
	default:
		b.WriteString("Matched the saved search's filters")
	}
	if e.Document.Source != "" || e.Document.Published != "" {
		b.WriteString(" · " + html.EscapeString(strings.Trim(e.Document.Source+" "+e.Document.Published, " ")))
	}
	b.WriteString("</p>")
	if e.Match.PassageHTML != "" {
		b.WriteString("<blockquote>" + e.Match.PassageHTML + "</blockquote>")
	}
	return b.String()
}

// describe reads stored parameters back as a short phrase for titles.
func describe(params string) string {
	v, err := url.ParseQuery(params)
	if err != nil {
		return params
	}
	var parts []string
	if q := v.Get("q"); q != "" {
		parts = append(parts, "“"+q+"”")
	} else {
		parts = append(parts, "all documents")
	}
	for _, k := range []string{"source", "source_type", "author", "country", "tag", "language", "from", "to", "mode"} {
		if vs := v[k]; len(vs) > 0 {
			parts = append(parts, k+"="+strings.Join(vs, "|"))
		}
	}
	return strings.Join(parts, ", ")
}
