package index

import (
	"context"
	"encoding/binary"
	"slices"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Which documents with copies a search matches was asked of bleve with
// an id query over every such document, ANDed with the search: at a
// million passages (tens of thousands with copies) that id query looked
// up every id in the term dictionary, and the collector then read the
// external id of each match — a third of every page's time. The linked
// documents' internal numbers are resolved once per index snapshot and
// change of copies, and the matches are walked directly, without a
// collector.

// linkedDocs is the linked set resolved on one snapshot.
type linkedDocs struct {
	mu       sync.Mutex
	reader   bindex.IndexReader // the snapshot the numbers below belong to
	version  uint64             // dupIndex.version they were read at
	internal []bindex.IndexInternalID
	external map[string]string                 // internal number → id
	numbers  map[string]bindex.IndexInternalID // id → internal number
	nums     []uint64                          // internal, as numbers (a bound cut's scan walks them)
}

// matchingLinked returns the documents of linked (sorted ids, the
// current linked set) that base matches.
func (ix *Index) matchingLinked(ctx context.Context, base query.Query, linked []string) ([]string, error) {
	r, err := ix.snapshot()
	if err != nil || r == nil {
		// A rebuild swapped the live index between the two calls (the
		// alias guards its own searches, not this reader): ask through it.
		return ix.matchingLinkedByQuery(ctx, base, linked)
	}
	defer r.Close()
	internal, external, _, err := ix.linkedOn(r, linked)
	if err != nil {
		return nil, err
	}
	s, err := (&internalIDs{ids: internal}).and(base).Searcher(ctx, r, ix.mapping, search.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0)}
	var out []string
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		d, err := s.Next(sctx)
		if err != nil {
			return nil, err
		}
		if d == nil {
			break
		}
		if id, ok := external[string(d.IndexInternalID)]; ok {
			out = append(out, id)
		}
		sctx.DocumentMatchPool.Put(d)
	}
	slices.Sort(out)
	return out, nil
}

// snapshot returns a reader of the live index's current snapshot, which
// the caller closes. It is taken while no rebuild swaps the live index
// and closes the old one; once held, it outlives that close.
func (ix *Index) snapshot() (bindex.IndexReader, error) {
	ix.swapMu.RLock()
	defer ix.swapMu.RUnlock()
	adv, err := ix.alias.Advanced()
	if err != nil {
		return nil, err
	}
	return adv.Reader()
}

// matchingLinkedByQuery is matchingLinked through the alias: an id query
// ANDed with base, slower but safe while the live index is swapped.
func (ix *Index) matchingLinkedByQuery(ctx context.Context, base query.Query, linked []string) ([]string, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(bleve.NewDocIDQuery(slices.Clone(linked)), base), len(linked), 0, false)
	res, err := ix.search(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out, nil
}

// linkedOn resolves linked on snapshot r, or returns the numbers already
// resolved there for the same copies: their internal ids in order, the
// id of each, and the same numbers as integers.
func (ix *Index) linkedOn(r bindex.IndexReader, linked []string) ([]bindex.IndexInternalID, map[string]string, []uint64, error) {
	c := &ix.linked
	c.mu.Lock()
	defer c.mu.Unlock()
	v := ix.dups.version.Load()
	if c.reader == r && c.version == v && c.external != nil {
		return c.internal, c.external, c.nums, nil
	}
	dr, err := r.DocIDReaderOnly(slices.Clone(linked)) // linked is shared
	if err != nil {
		return nil, nil, nil, err
	}
	defer dr.Close()
	var internal []bindex.IndexInternalID
	external := make(map[string]string, len(linked))
	numbers := make(map[string]bindex.IndexInternalID, len(linked))
	for {
		id, err := dr.Next()
		if err != nil {
			return nil, nil, nil, err
		}
		if id == nil {
			break
		}
		id = slices.Clone(id)
		ext, err := r.ExternalID(id)
		if err != nil {
			return nil, nil, nil, err
		}
		internal = append(internal, id)
		external[string(id)] = ext
		numbers[ext] = id
	}
	sort.Slice(internal, func(i, j int) bool { return internal[i].Compare(internal[j]) < 0 })
	nums := make([]uint64, len(internal))
	for i, id := range internal {
		nums[i] = binary.BigEndian.Uint64(id)
	}
	c.reader, c.version, c.internal, c.external, c.numbers, c.nums = r, v, internal, external, numbers, nums
	return internal, external, nums, nil
}

// hiddenQuery matches the hidden copies ids (sorted), which are all
// linked documents: a page's exclusion of them looked each id up in every
// segment's term dictionary (bleve's id query), an eighth of a page's CPU
// at 10^6 passages, where the numbers matchingLinked resolved on the same
// snapshot are at hand.
type hiddenQuery struct {
	ix  *Index
	ids []string
}

// Searcher implements query.Query.
func (q *hiddenQuery) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	snap := r
	if cr, ok := r.(*candidateReader); ok { // the same snapshot (candidates.go)
		snap = cr.IndexReader
	}
	if ids, ok := q.ix.linkedNumbers(snap, q.ids); ok {
		return &idsSearcher{ids: ids}, nil
	}
	// Another snapshot (a write came between), or ids the linked set no
	// longer holds: look them up.
	return bleve.NewDocIDQuery(q.ids).Searcher(ctx, r, m, opts)
}

// linkedNumbers returns the internal numbers of ids on snapshot r, in
// order, when the linked set resolved there holds them all.
func (ix *Index) linkedNumbers(r bindex.IndexReader, ids []string) ([]bindex.IndexInternalID, bool) {
	c := &ix.linked
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reader != r || c.version != ix.dups.version.Load() || c.numbers == nil {
		return nil, false
	}
	out := make([]bindex.IndexInternalID, 0, len(ids))
	for _, id := range ids {
		n, ok := c.numbers[id]
		if !ok {
			return nil, false
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out, true
}

// internalIDs matches a sorted list of internal document numbers.
type internalIDs struct{ ids []bindex.IndexInternalID }

func (q *internalIDs) and(base query.Query) query.Query {
	return bleve.NewConjunctionQuery(q, base)
}

// Searcher implements query.Query.
func (q *internalIDs) Searcher(context.Context, bindex.IndexReader, mapping.IndexMapping, search.SearcherOptions) (search.Searcher, error) {
	return &idsSearcher{ids: q.ids}, nil
}

// idsSearcher walks the numbers in order; it scores nothing.
type idsSearcher struct {
	ids []bindex.IndexInternalID
	at  int
}

func (s *idsSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	if s.at >= len(s.ids) {
		return nil, nil
	}
	rv := ctx.DocumentMatchPool.Get()
	rv.IndexInternalID = bindex.NewIndexInternalIDFrom(rv.IndexInternalID, s.ids[s.at])
	s.at++
	return rv, nil
}

func (s *idsSearcher) Advance(ctx *search.SearchContext, id bindex.IndexInternalID) (*search.DocumentMatch, error) {
	s.at += sort.Search(len(s.ids)-s.at, func(i int) bool { return s.ids[s.at+i].Compare(id) >= 0 })
	return s.Next(ctx)
}

func (s *idsSearcher) Close() error               { return nil }
func (s *idsSearcher) Weight() float64            { return 0 }
func (s *idsSearcher) SetQueryNorm(float64)       {}
func (s *idsSearcher) Count() uint64              { return uint64(len(s.ids)) }
func (s *idsSearcher) Min() int                   { return 0 }
func (s *idsSearcher) Size() int                  { return 64 + 8*len(s.ids) }
func (s *idsSearcher) DocumentMatchPoolSize() int { return 1 }
