package index

import (
	"context"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	bindex "github.com/blevesearch/bleve_index_api"
)

// bleve 2.6.3's boolean searcher, asked to advance to an id, advances
// its optional (should) clause too, even when that clause already holds
// a document at or past the id; the clause has moved on from the
// document it holds, so the document's optional score is lost. A search
// that only ever calls Next never meets this, but one that advances the
// query (a conjunction around it: pruning, prune.go) scored some
// documents without their phrase bonus or words-rule tier. holdShould
// wraps a boolean's optional clause in a searcher that answers an
// advance to an id at or before the document it holds with that
// document again, as a term searcher (which re-seeks) does.

// holdShould wraps b's optional clauses, once they are all added.
func holdShould(b *query.BooleanQuery) {
	if b.Should != nil {
		b.Should = &heldQuery{q: b.Should}
	}
}

type heldQuery struct{ q query.Query }

// Searcher implements query.Query.
func (h *heldQuery) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	s, err := h.q.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	if _, none := s.(*searcher.MatchNoneSearcher); none {
		return s, nil // the boolean drops a clause that matches nothing
	}
	return &heldSearcher{Searcher: s}, nil
}

// Validate implements query.ValidatableQuery.
func (h *heldQuery) Validate() error { return validateInner(h.q) }

// validateInner validates the query a wrapping query searches, when it
// can be validated.
func validateInner(q query.Query) error {
	if v, ok := q.(query.ValidatableQuery); ok {
		return v.Validate()
	}
	return nil
}

type heldSearcher struct {
	search.Searcher
	id    bindex.IndexInternalID // nil: nothing held
	score float64
	locs  []search.FieldTermLocation
}

func (s *heldSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Next(ctx)
	s.hold(d)
	return d, err
}

func (s *heldSearcher) Advance(ctx *search.SearchContext, id bindex.IndexInternalID) (*search.DocumentMatch, error) {
	if s.id != nil && s.id.Compare(id) >= 0 {
		rv := ctx.DocumentMatchPool.Get()
		rv.IndexInternalID = bindex.NewIndexInternalIDFrom(rv.IndexInternalID, s.id)
		rv.Score = s.score
		rv.FieldTermLocations = append(rv.FieldTermLocations, s.locs...)
		return rv, nil
	}
	d, err := s.Searcher.Advance(ctx, id)
	s.hold(d)
	return d, err
}

func (s *heldSearcher) hold(d *search.DocumentMatch) {
	if d == nil {
		s.id = nil
		return
	}
	s.id = append(s.id[:0], d.IndexInternalID...)
	s.score = d.Score
	s.locs = append(s.locs[:0], d.FieldTermLocations...)
}

func (s *heldSearcher) DocumentMatchPoolSize() int { return s.Searcher.DocumentMatchPoolSize() + 1 }
