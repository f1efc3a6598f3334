package index

import (
	"context"
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
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

func (ix *Index) anyCopies(hits search.DocumentMatchCollection) bool {
	for _, h := range hits {
		if ix.dups.has(h.ID) {
			return true
		}
	}
	return false
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

// collapsedKeyword re-ranks with copies folded into their best-ranked
// member. It reads the ranking from the top so that a copy shown on page 1
// does not reappear on page 2.
func (ix *Index) collapsedKeyword(ctx context.Context, q Query, uq, filter query.Query, out *Results) (*Results, error) {
	want := q.Page * q.Size
	depth := min(2*want+20, MaxWindow)
	res, err := ix.run(ctx, withFilter(uq, filter), q, page{size: depth})
	if err != nil {
		return nil, err
	}
	list := make([]fusedHit, len(res.Hits))
	for i, h := range res.Hits {
		list[i] = fusedHit{id: h.ID, fused: h.Score}
	}
	list = collapseFused(ix.dups, list)
	from := min((q.Page-1)*q.Size, len(list))
	return ix.fillHits(ctx, out, uq, list[from:min(from+q.Size, len(list))], false)
}

// collapseFused keeps the first-ranked member of each group of copies.
func collapseFused(d *dupIndex, list []fusedHit) []fusedHit {
	seen := map[string]bool{}
	out := list[:0]
	for _, f := range list {
		if seen[f.id] {
			continue
		}
		for _, m := range d.group(f.id) {
			seen[m] = true
		}
		out = append(out, f)
	}
	return out
}
