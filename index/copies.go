package index

import (
	"context"
	"sort"

	"github.com/blevesearch/bleve/v2"
)

// Copy is another publication of the same article.
type Copy struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Source    string `json:"source,omitempty"`
	URL       string `json:"url,omitempty"`
	Published string `json:"published,omitempty"`
}

// Copies lists the syndicated copies of document id (itself excluded),
// earliest first.
func (ix *Index) Copies(ctx context.Context, id string) ([]Copy, error) {
	group := ix.dups.group(id)
	if group == nil {
		return nil, nil
	}
	cs, err := ix.describeCopies(ctx, group)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if c.ID != id {
			out = append(out, c)
		}
	}
	return out, nil
}

// describeCopies loads group members in publication order; undated last.
func (ix *Index) describeCopies(ctx context.Context, ids []string) ([]Copy, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{"title", "source", "url", "published", "published_at"}
	res, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	type dated struct {
		Copy
		at string
	}
	ds := make([]dated, 0, len(res.Hits))
	for _, h := range res.Hits {
		str := func(k string) string { s, _ := h.Fields[k].(string); return s }
		ds = append(ds, dated{Copy{ID: h.ID, Title: str("title"), Source: str("source"), URL: str("url"), Published: str("published")}, str("published_at")})
	}
	sort.Slice(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if (a.at == "") != (b.at == "") {
			return b.at == ""
		}
		if a.at != b.at {
			return a.at < b.at
		}
		return a.ID < b.ID
	})
	out := make([]Copy, len(ds))
	for i, d := range ds {
		out[i] = d.Copy
	}
	return out, nil
}

// attachCopies fills AlsoPublishedBy for hits that have copies.
func (ix *Index) attachCopies(ctx context.Context, hits []Hit) error {
	for i := range hits {
		cs, err := ix.Copies(ctx, hits[i].ID)
		if err != nil {
			return err
		}
		hits[i].AlsoPublishedBy = cs
	}
	return nil
}
