package embedding

import (
	"context"
	"sort"

	"policysearch/index"
)

// Best embeds text (through the same cache and breaker as Nearest) and
// returns, for each of ids that has vectors, its best passage: the cost is
// proportional to those documents' passages, not to the whole collection,
// so saved searches can check each new document cheaply. Best first.
func (s *Service) Best(ctx context.Context, text string, ids []string) ([]index.SemanticMatch, error) {
	q, err := s.queryVector(ctx, text)
	if err != nil {
		return nil, err
	}
	return toMatches(s.vecs.best(q, ids)), nil
}

// best scores only the passages of the given documents.
func (v *vectors) best(q []float32, ids []string) []Match {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.dims == 0 || len(q) != v.dims {
		return nil
	}
	var out []Match
	for _, id := range ids {
		var m Match
		found := false
		for _, s := range v.docs[id] {
			sim := dot(q, v.vec(s))
			if !found || sim > m.Similarity {
				sl := v.slots[s]
				m, found = Match{ID: id, Similarity: sim, Passage: sl.passage, Span: sl.span}, true
			}
		}
		if found {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Similarity > out[j].Similarity })
	return out
}
