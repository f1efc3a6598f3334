package embedding

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/sony/gobreaker/v2"

	"policysearch/index"
)

// Nearest embeds text (cached, behind a circuit breaker, within the query
// timeout) and returns the documents whose best passage is closest.
func (s *Service) Nearest(ctx context.Context, text string, n int, keep func(string) bool) ([]index.SemanticMatch, error) {
	q, err := s.queryVector(ctx, text)
	if err != nil {
		return nil, err
	}
	return toMatches(s.vecs.nearest(q, n, keep)), nil
}

// Similar finds documents near a document: its passages' mean direction
// compared with every other document's passages.
func (s *Service) Similar(ctx context.Context, id string, n int) ([]index.SemanticMatch, error) {
	vs := s.vecs.docVectors(id)
	if len(vs) == 0 {
		return nil, index.ErrNoVectors
	}
	mean := make([]float32, len(vs[0]))
	for _, v := range vs {
		for i, x := range v {
			mean[i] += x
		}
	}
	m, ok := normalize(mean)
	if !ok {
		return nil, index.ErrNoVectors
	}
	return toMatches(s.vecs.nearest(m, n, func(other string) bool { return other != id })), nil
}

func toMatches(ms []Match) []index.SemanticMatch {
	out := make([]index.SemanticMatch, len(ms))
	for i, m := range ms {
		out[i] = index.SemanticMatch{ID: m.ID, Similarity: m.Similarity, Passage: m.Passage, Start: m.Span.Start, End: m.Span.End}
	}
	return out
}

// queryVector is the one path by which a search reaches the model.
// Failures are logged once per outage, not per query.
func (s *Service) queryVector(ctx context.Context, text string) ([]float32, error) {
	key := s.cfg.QueryPrefix + text
	if v, ok := s.cache.Get(key); ok {
		s.cacheHits.Add(1)
		return v, nil
	}
	one := func(ctx context.Context) ([]float32, error) {
		vecs, err := s.embed(ctx, []string{Normalize(key)})
		if err != nil {
			return nil, err
		}
		return vecs[0], nil
	}
	var v []float32
	var err error
	if s.local || s.cfg.Offline {
		// No endpoint to protect, or a measurement that must not fall
		// back: wait for the vector as long as the caller's context allows.
		v, err = one(ctx)
	} else {
		v, err = s.breaker.Execute(func() ([]float32, error) {
			ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
			defer cancel()
			return one(ctx)
		})
	}
	if err != nil {
		reason := err.Error()
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			reason = "the embeddings endpoint is failing; retrying it shortly"
		}
		if s.outage.CompareAndSwap(false, true) {
			s.log.Warn("embeddings unavailable; searching by keywords", "reason", reason)
		}
		return nil, fmt.Errorf("%s", reason)
	}
	if s.outage.CompareAndSwap(true, false) {
		s.log.Info("embeddings recovered")
	}
	s.cache.Add(key, v)
	return v, nil
}

// DocStatus returns a document's embedding state, nil if unknown.
func (s *Service) DocStatus(id string) *DocStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.status[id]; st != nil {
		c := *st
		return &c
	}
	return nil
}

// Summary is the semantic layer's state for /api/stats and metrics.
type Summary struct {
	Model string `json:"model"`
	// MaxTokens is the model's input limit; InputsOverLimit how many
	// stored passages exceed it (the model reads them in part; the goal
	// is zero); PassagesPerDocument the mean over embedded documents.
	MaxTokens           int     `json:"max_tokens"`
	InputsOverLimit     int     `json:"inputs_over_limit"`
	PassagesPerDocument float64 `json:"passages_per_document"`
	Pending             int     `json:"pending"`
	Done                int     `json:"done"`
	Failed              int     `json:"failed"`
	Passages            int     `json:"passages"`
	Dimensions          int     `json:"dimensions"`
	Requests            int64   `json:"requests"`
	Inputs              int64   `json:"inputs"`
	Failures            int64   `json:"failures"`
	CacheHits           int64   `json:"query_cache_hits"`
	Breaker             string  `json:"breaker"`
	// How semantic searches were answered: by the vector graph, or by an
	// exact scan (small collections, selective filters).
	GraphSearches int64 `json:"graph_searches"`
	ExactScans    int64 `json:"exact_scans"`
}

// Summary counts documents by state and reports request totals.
func (s *Service) Summary() Summary {
	sum := Summary{Model: s.cfg.Model, MaxTokens: s.model.MaxTokens(), Requests: s.requests.Load(), Inputs: s.inputs.Load(),
		Failures: s.failures.Load(), CacheHits: s.cacheHits.Load(), Breaker: s.breaker.State().String()}
	s.mu.Lock()
	sum.Pending = s.unwalked
	for _, st := range s.status {
		switch st.Status {
		case "pending":
			sum.Pending++
		case "done":
			sum.Done++
			sum.InputsOverLimit += st.OverLimit
		case "failed":
			sum.Failed++
		}
	}
	s.mu.Unlock()
	_, sum.Passages, sum.Dimensions = s.vecs.stats()
	sum.GraphSearches, sum.ExactScans = s.vecs.graphSearches.Load(), s.vecs.scans.Load()
	if sum.Done > 0 {
		sum.PassagesPerDocument = math.Round(float64(sum.Passages)/float64(sum.Done)*100) / 100
	}
	return sum
}

// Generation changes whenever the set of searchable vectors changes, so
// cached search results that used older vectors are not served.
func (s *Service) Generation() uint64 { return s.vecs.gen.Load() }
