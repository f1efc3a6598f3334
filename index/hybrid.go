package index

import (
	"context"
	"errors"
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Search modes and fusion methods.
const (
	ModeKeyword  = "keyword"
	ModeHybrid   = "hybrid"
	ModeSemantic = "semantic"
	FusionRRF    = "rrf"
	FusionScore  = "score"
	// DefaultSemanticRatio is the weight of meaning when a query does not
	// set one: keywords lead and meaning reorders near-ties and adds what
	// keywords missed. Fusion cannot tell per query whether the model is
	// any good, and a weak one drags good keyword results down in
	// proportion to its weight: on Cranfield with a hashed-word model,
	// nDCG@10 fell from 0.4011 (keyword) to 0.3601 at 0.5 and 0.3746 at
	// 0.3, and stays within noise of keyword (0.3958) at 0.1. A request
	// that sets semantic_ratio gets exactly that (docs/RELEVANCE.md).
	DefaultSemanticRatio = 0.1
	// hybridCandidates is how deep each list is read before fusing.
	hybridCandidates = 100
	// rrfK damps the difference between top ranks, as in the RRF paper.
	rrfK = 60
	// maxFilterIDs bounds the id set a filtered semantic search considers.
	maxFilterIDs = 1 << 20
)

// resolveMode picks the mode and semantic ratio a query runs with.
func (ix *Index) resolveMode(q Query) (string, float64) {
	ratio := ix.defaultRatio
	if q.SemanticRatio != nil {
		ratio = *q.SemanticRatio
	}
	mode := q.Mode
	switch {
	case ix.semantic == nil, mode == ModeKeyword, q.Text == "":
		return ModeKeyword, 0
	case mode == ModeSemantic:
		return ModeSemantic, 1
	case mode == "":
		mode = ModeHybrid
	}
	if ratio == 0 {
		return ModeKeyword, 0
	}
	if ratio == 1 {
		return ModeSemantic, 1
	}
	return mode, ratio
}

// offStatus explains why a keyword search did not use meaning.
func (ix *Index) offStatus(q Query) SemanticStatus {
	switch {
	case ix.semantic == nil:
		return SemanticStatus{Status: "off", Reason: "no embeddings endpoint is configured"}
	case q.Text == "":
		return SemanticStatus{Status: "off", Reason: "no query text to compare by meaning", Model: ix.semantic.Model()}
	}
	return SemanticStatus{Status: "off", Reason: "keyword mode was requested", Model: ix.semantic.Model()}
}

// hybridSearch reads the keyword and the vector top lists, fuses them,
// and computes the total and facets over their union (so counts describe
// what the user can page through, not only the keyword matches). When the
// embedding endpoint fails it answers from keywords and says why.
func (ix *Index) hybridSearch(ctx context.Context, q Query, uq, filter query.Query, mode string, ratio float64) (*Results, error) {
	n := candidateDepth(q, mode)
	set, sem, err := ix.candidates(ctx, q, uq, filter, mode, n)
	var unavailable *semanticError
	if errors.As(err, &unavailable) {
		out, kerr := ix.keywordSearch(ctx, q, uq, filter)
		if kerr != nil {
			return nil, kerr
		}
		out.Mode = mode
		out.Semantic = SemanticStatus{Status: "unavailable", Reason: unavailable.Error(), Model: ix.semantic.Model()}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	// A broad unfiltered set is counted from its match bitmaps, the
	// semantic candidates added (candidates.go), as a keyword page is.
	bound := ix.hybridBound(ctx, q, uq, filter, mode, n, sem)
	// One copy of each group of near-duplicates stays, in both lists, the
	// total and the facets alike (see representative.go).
	var shown query.Query
	var hidden []string
	if h, ok := bound.hiddenCopies(); ok {
		shown, hidden = ix.excluding(set, h), h
	} else if shown, hidden, err = ix.visible(ctx, withFilter(set, filter)); err != nil {
		return nil, err
	}
	sem = withoutHidden(sem, hidden)
	kwTop := ix.excluding(withFilter(uq, filter), hidden)
	// A broad set's facets and total come from the sample, as a keyword
	// search's do, and its keyword list may be pruned (prune.go).
	sample, tallied := bound.sample(ix.exactFacetsLimit())
	if !tallied {
		if sample, err = ix.hybridSample(ctx, q, sem, filter, mode); err != nil {
			return nil, err
		}
	}
	var cut *pruning
	var estimate uint64 // the sample's estimate of the total
	if sample != nil {
		estimate = ix.estimateTotal(sample)
		if bound != nil {
			cut = &pruning{cands: bound}
		} else if plan := ix.planPruning(q); plan != nil {
			cut = plan.cut(estimate)
		}
	}
	kwRes, err := ix.run(ctx, kwTop, Query{Sort: SortRelevance}, page{size: n, cut: cut})
	if err != nil {
		return nil, err
	}
	kw := make([]scored, len(kwRes.Hits))
	for i, h := range kwRes.Hits {
		kw[i] = scored{id: h.ID, score: h.Score}
	}
	fused := fuse(kw, sem, ratio, q.Fusion)

	if mode == ModeSemantic {
		fused = onlySemantic(fused)
	}
	var setRes *bleve.SearchResult
	if sample != nil {
		setRes = &bleve.SearchResult{Total: estimate, Facets: scaleFacets(sample, estimate)}
	} else if setRes, err = ix.run(ctx, shown, q, page{facets: true}); err != nil {
		return nil, err
	}
	out := newResults(q, mode, setRes)
	out.FacetsApproximate, out.TotalApproximate = sample != nil, sample != nil
	relaxed := func(f query.Query) (query.Query, error) {
		wider, _, err := ix.candidates(ctx, q, uq, f, mode, n)
		if errors.As(err, new(*semanticError)) {
			wider = set // the filtered candidates undercount; better than no page
		} else if err != nil {
			return nil, err
		}
		wider, _, err = ix.visible(ctx, withFilter(wider, f))
		return wider, err
	}
	if err := ix.multiFacets(ctx, q, relaxed, out); err != nil {
		return nil, err
	}
	out.Semantic = SemanticStatus{Status: "ok", Model: ix.semantic.Model()}
	if mode == ModeSemantic {
		out.Total = uint64(len(fused))
	}

	if q.Sort != SortRelevance { // dates order the fused set; ranks stay as provenance
		res, err := ix.run(ctx, shown, q, page{from: (q.Page - 1) * q.Size, size: q.Size})
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		byID := map[string]fusedHit{}
		for _, f := range fused {
			byID[f.id] = f
		}
		sorted := make([]fusedHit, 0, len(ids))
		for _, id := range ids {
			f, ok := byID[id]
			if !ok {
				f = fusedHit{id: id}
			}
			sorted = append(sorted, f)
		}
		return ix.fillHits(ctx, out, uq, sorted, true)
	}
	hits, err := ix.hybridPage(ctx, q, mode, kwTop, fused)
	if err != nil {
		return nil, err
	}
	return ix.fillHits(ctx, out, uq, hits, true)
}

// hybridBound starts the bound cut (candidates.go) of a broad unfiltered
// hybrid search's keyword list of n, counting the semantic candidates sem
// among its matches, or returns nil (whose methods report nothing).
func (ix *Index) hybridBound(ctx context.Context, q Query, uq, filter query.Query, mode string, n int, sem []SemanticMatch) *candidates {
	if mode == ModeSemantic {
		return nil
	}
	ids := make([]string, len(sem))
	for i, m := range sem {
		ids[i] = m.ID
	}
	if _, cut := ix.boundPlan(ctx, q, uq, filter, page{size: n}, ids); cut != nil {
		return cut.cands
	}
	return nil
}

// semanticError is the embedding side failing: the search goes on from
// keywords alone.
type semanticError struct{ err error }

func (e *semanticError) Error() string { return e.err.Error() }
func (e *semanticError) Unwrap() error { return e.err }

// hybridSample is sampleFacets over a hybrid search's result set: the
// keyword matches (without their ranking-only clauses) and the semantic
// candidates; nil when the set is small enough to count.
func (ix *Index) hybridSample(ctx context.Context, q Query, sem []SemanticMatch, filter query.Query, mode string) (*bleve.SearchResult, error) {
	if mode == ModeSemantic {
		return nil, nil // the candidates alone: a few hundred documents
	}
	hq, err := ix.highlightQuery(q)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(sem))
	for i, m := range sem {
		ids[i] = m.ID
	}
	return ix.sampleFacets(ctx, q, bleve.NewDisjunctionQuery(hq, bleve.NewDocIDQuery(ids)), filter)
}

// candidates returns the result set of a hybrid or semantic search under
// filter — the keyword matches plus the n nearest passages' documents that
// pass the filter, or those documents alone in semantic mode — and the
// semantic matches themselves.
func (ix *Index) candidates(ctx context.Context, q Query, uq, filter query.Query, mode string, n int) (query.Query, []SemanticMatch, error) {
	keep, err := ix.keepFunc(ctx, filter)
	if err != nil {
		return nil, nil, err
	}
	sem, err := ix.semantic.Nearest(ctx, q.Text, n, keep)
	if err != nil {
		return nil, nil, &semanticError{err}
	}
	ids := make([]string, len(sem))
	for i, m := range sem {
		ids[i] = m.ID
	}
	var set query.Query = bleve.NewDocIDQuery(ids)
	if mode != ModeSemantic {
		set = bleve.NewDisjunctionQuery(uq, set)
	}
	return set, sem, nil
}

// keepFunc returns the filter as a membership test on document ids, so the
// vector side honours the same filters as the keyword side.
func (ix *Index) keepFunc(ctx context.Context, filter query.Query) (func(string) bool, error) {
	if filter == nil {
		return nil, nil
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(bleve.NewMatchAllQuery())
	b.AddFilter(filter)
	req := bleve.NewSearchRequestOptions(b, maxFilterIDs, 0, false)
	req.SortBy([]string{"_id"})
	res, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	ok := make(map[string]bool, len(res.Hits))
	for _, h := range res.Hits {
		ok[h.ID] = true
	}
	return func(id string) bool { return ok[id] }, nil
}

type scored struct {
	id    string
	score float64
}

// fusedHit is a candidate with its provenance.
type fusedHit struct {
	id             string
	fused          float64
	kwRank, semRnk int // 1-based; 0 = absent from that list
	sem            *SemanticMatch
}

// fuse combines the lists. RRF uses only ranks, so it is immune to the two
// scores' different scales; "score" min-max normalises each list instead.
// Both weigh the semantic side by ratio and the keyword side by 1-ratio.
func fuse(kw []scored, sem []SemanticMatch, ratio float64, method string) []fusedHit {
	byID := map[string]*fusedHit{}
	get := func(id string) *fusedHit {
		if h := byID[id]; h != nil {
			return h
		}
		h := &fusedHit{id: id}
		byID[id] = h
		return h
	}
	kwNorm := normaliser(len(kw), func(i int) float64 { return kw[i].score })
	semNorm := normaliser(len(sem), func(i int) float64 { return sem[i].Similarity })
	for i, k := range kw {
		h := get(k.id)
		h.kwRank = i + 1
		if method == FusionScore {
			h.fused += (1 - ratio) * kwNorm(k.score)
		} else {
			h.fused += (1 - ratio) / float64(rrfK+i+1)
		}
	}
	for i := range sem {
		h := get(sem[i].ID)
		h.semRnk = i + 1
		h.sem = &sem[i]
		if method == FusionScore {
			h.fused += ratio * semNorm(sem[i].Similarity)
		} else {
			h.fused += ratio / float64(rrfK+i+1)
		}
	}
	out := make([]fusedHit, 0, len(byID))
	for _, h := range byID {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].fused != out[j].fused {
			return out[i].fused > out[j].fused
		}
		return out[i].id < out[j].id
	})
	return out
}

func normaliser(n int, at func(int) float64) func(float64) float64 {
	if n == 0 {
		return func(float64) float64 { return 0 }
	}
	lo, hi := at(0), at(0)
	for i := 1; i < n; i++ {
		lo, hi = min(lo, at(i)), max(hi, at(i))
	}
	if hi == lo {
		return func(float64) float64 { return 1 }
	}
	return func(x float64) float64 { return (x - lo) / (hi - lo) }
}

func onlySemantic(fs []fusedHit) []fusedHit {
	out := fs[:0]
	for _, f := range fs {
		if f.semRnk > 0 {
			out = append(out, f)
		}
	}
	return out
}

// fillHits loads the page's documents, with keyword highlights where the
// query matched, and attaches each hit's provenance (when provenance is
// set: hybrid and semantic modes) and its syndicated copies.
func (ix *Index) fillHits(ctx context.Context, out *Results, uq query.Query, hits []fusedHit, provenance bool) (*Results, error) {
	ids := make([]string, len(hits))
	for i, f := range hits {
		ids[i] = f.id
	}
	loaded, err := ix.load(ctx, uq, ids)
	if err != nil {
		return nil, err
	}
	for _, f := range hits {
		bh, ok := loaded[f.id]
		if !ok {
			continue // deleted between the two reads
		}
		h := toHit(bh)
		h.Score = f.fused
		if provenance {
			fused := f.fused
			h.Fused = &fused
			h.Ranks = &Ranks{Keyword: rankPtr(f.kwRank), Semantic: rankPtr(f.semRnk)}
		}
		if f.sem != nil {
			sim := f.sem.Similarity
			h.Similarity = &sim
			text, _ := bh.Fields["text"].(string)
			if f.sem.End <= len(text) && f.sem.Start <= f.sem.End {
				h.Passage = &Passage{Index: f.sem.Passage,
					HTML: render(text, span{f.sem.Start, f.sem.End}, spans(bh.Locations["text"]))}
			}
		}
		out.Hits = append(out.Hits, h)
	}
	return out, ix.attachCopies(ctx, out.Hits)
}

// load fetches ids with stored fields and the locations where uq matched.
func (ix *Index) load(ctx context.Context, uq query.Query, ids []string) (map[string]*search.DocumentMatch, error) {
	out := map[string]*search.DocumentMatch{}
	if len(ids) == 0 {
		return out, nil
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(bleve.NewDocIDQuery(ids))
	b.AddShould(uq) // scores nothing here; it brings the match locations
	holdShould(b)
	var q query.Query = b
	if !ix.noPruning {
		q = &amongIDs{ids: ids, top: b}
	}
	res, err := ix.run(ctx, q, Query{Sort: SortRelevance}, page{size: len(ids), fields: true})
	if err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		out[h.ID] = h
	}
	return out, nil
}

func rankPtr(r int) *int {
	if r == 0 {
		return nil
	}
	return &r
}
