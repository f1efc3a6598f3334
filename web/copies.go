package web

import (
	"net/url"
	"strings"

	"policysearch/index"
)

// CopyView is another publication of a document ("also published by"),
// linked to its own page so that its metadata is one click away.
type CopyView struct {
	index.Copy
	Label string // the publisher, else the original's host, else the title
	Href  string
}

// copyViews lists cs for a page whose search state is state.
func copyViews(cs []index.Copy, state url.Values) []CopyView {
	out := make([]CopyView, 0, len(cs))
	for _, c := range cs {
		v := CopyView{Copy: c, Label: c.Source, Href: DocHref(c.ID, state)}
		if v.Label == "" {
			if u, err := url.Parse(c.URL); err == nil && u.Host != "" {
				v.Label = strings.TrimPrefix(u.Host, "www.")
			}
		}
		if v.Label == "" {
			v.Label = c.Title
		}
		if v.Label == "" {
			v.Label = c.ID
		}
		out = append(out, v)
	}
	return out
}

// WithCopies adds the document's other publications to its page.
func (p *DocPage) WithCopies(cs []index.Copy) *DocPage {
	p.Copies = copyViews(cs, p.state)
	return p
}
