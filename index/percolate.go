package index

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2"
)

// Percolator runs many saved queries against a few new documents: the
// reverse of a search. The documents go into a small in-memory index with
// the service's own mapping, and each query is compiled and run there by
// the same code as Search. Matching is the same as Match on the live
// index (analyzers, fields, filters, phrase and boolean logic are
// shared), but prefix and fuzzy terms expand against the new documents'
// few hundred words instead of the whole dictionary, and every query
// looks at a handful of documents: saved searches cost microseconds each.
type Percolator struct {
	view *Index // the mapping over the in-memory index, for the compiler
	mem  bleve.Index
	n    int
}

// NewPercolator indexes docs (already normalised, as an OnChange event
// carries them) in memory. Close releases it.
func (ix *Index) NewPercolator(docs []*Document) (*Percolator, error) {
	mem, err := bleve.NewMemOnly(ix.mapping)
	if err != nil {
		return nil, fmt.Errorf("percolator index: %w", err)
	}
	b := mem.NewBatch()
	for _, d := range docs {
		if err := b.Index(d.ID, bleveDoc(d)); err != nil {
			mem.Close()
			return nil, err
		}
	}
	if err := mem.Batch(b); err != nil {
		mem.Close()
		return nil, fmt.Errorf("percolator index: %w", err)
	}
	view := &Index{mapping: ix.mapping, log: ix.log, alias: bleve.NewIndexAlias(mem)}
	return &Percolator{view: view, mem: mem, n: len(docs)}, nil
}

// Match returns the documents q matches, with their best passage and the
// words that matched, as Index.Match does.
func (p *Percolator) Match(ctx context.Context, q Query) ([]Match, error) {
	uq, _, err := p.view.Parse(q.Text, q.Strict)
	if err != nil {
		return nil, err
	}
	res, err := p.view.run(ctx, withFilter(uq, filterQuery(q.Filters)), Query{Sort: SortRelevance}, page{size: p.n, fields: true})
	if err != nil {
		return nil, err
	}
	out := make([]Match, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, keywordMatch(h))
	}
	return out, nil
}

// Close releases the in-memory index.
func (p *Percolator) Close() error { return p.mem.Close() }
