package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"policysearch/bench/serve"

	"policysearch/bench/corpus"
	"policysearch/embedding/embeddingtest"
)

// semanticResult is the hybrid-versus-keyword comparison.
type semanticResult struct {
	passes    map[string][]pass // by mode, one per round
	paired    []time.Duration   // per round: median over queries of hybrid minus keyword
	embedTook time.Duration
	passages  int
	dims      int
	requests  int64 // embedding requests during the timed passes
	markers   int   // marker documents written during them (one request each)
	mem       serve.Memory
}

type stats struct {
	Documents  int `json:"documents"`
	Embeddings *struct {
		Pending, Done, Failed, Passages, Dimensions int
		Requests                                    int64
		CacheHits                                   int64 `json:"query_cache_hits"`
	} `json:"embeddings"`
}

func getStats(ctx context.Context, base string) (stats, error) {
	var st stats
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/stats", nil)
	resp, err := client.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&st)
	if err == nil && st.Embeddings == nil {
		err = fmt.Errorf("stats without embeddings")
	}
	return st, err
}

// embedWait is how long documents take to embed at most: 20 minutes,
// and 12 more for every further 100,000.
func embedWait(documents int) time.Duration {
	return 20*time.Minute + time.Duration(max(documents-100_000, 0)/100_000)*12*time.Minute
}

// semanticRounds serves the data directory with a loopback embeddings
// endpoint (embeddingtest, dims dimensions), waits until every document is
// embedded, warms the query-vector cache with one pass, then times each
// query in keyword and in hybrid mode, alternately, at concurrency 1.
// With the query vectors cached, the difference is policysearch's own
// work: the vector scan, the fusion and the extra bleve requests.
func semanticRounds(ctx context.Context, e *env, data string, queries []string, rounds, dims int) (*semanticResult, error) {
	emb, err := embeddingtest.Start(dims)
	if err != nil {
		return nil, err
	}
	defer emb.Close()
	start := time.Now()
	p, err := serve.Start(e.bin, data, e.log, serve.Env("POLICYSEARCH_EMBEDDINGS_URL="+emb.URL(), fmt.Sprintf("POLICYSEARCH_EMBEDDINGS_MODEL=bench-hash-%d", dims)))
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	r := &semanticResult{passes: map[string][]pass{}}
	var deadline time.Time
	for ; ; time.Sleep(250 * time.Millisecond) {
		st, err := getStats(ctx, p.Base)
		if err != nil {
			return nil, err
		}
		if deadline.IsZero() { // 100k passages embed in about 3 minutes here
			deadline = start.Add(embedWait(st.Documents))
		}
		if em := st.Embeddings; em.Pending == 0 && em.Done+em.Failed >= st.Documents {
			if em.Failed > 0 {
				return nil, fmt.Errorf("%d documents failed to embed", em.Failed)
			}
			r.embedTook, r.passages, r.dims = time.Since(start), em.Passages, em.Dimensions
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("embedding not done after %s", embedWait(st.Documents))
		}
	}
	e.progress("semantic: %d passages embedded (%d dims) in %s", r.passages, r.dims, r.embedTook.Round(time.Second))
	reqs := make([]corpus.Request, len(queries))
	for i, q := range queries {
		reqs[i] = corpus.Request{Q: q}
	}
	for _, q := range reqs { // warm-up, and a check that hybrid really ran
		if err := checkHybrid(ctx, p.Base, q); err != nil {
			return nil, err
		}
		if err := httpSearch(ctx, p.Base, q, "&mode=keyword"); err != nil {
			return nil, err
		}
	}
	before, err := getStats(ctx, p.Base)
	if err != nil {
		return nil, err
	}
	for round := range rounds {
		e.markers++
		r.markers++
		if err := bumpGeneration(ctx, p.Base, e.markers); err != nil {
			return nil, err
		}
		lat := map[string][]time.Duration{}
		for i, q := range reqs {
			modes := []string{"keyword", "hybrid"}
			if (i+round)%2 == 1 {
				modes[0], modes[1] = modes[1], modes[0]
			}
			for _, m := range modes {
				t := time.Now()
				if err := httpSearch(ctx, p.Base, q, "&mode="+m); err != nil {
					return nil, err
				}
				lat[m] = append(lat[m], time.Since(t))
			}
		}
		for m, l := range lat {
			ps := pass{lat: slices.Clone(l)}
			slices.Sort(ps.lat)
			for _, d := range l {
				ps.wall += d
			}
			r.passes[m] = append(r.passes[m], ps)
		}
		diffs := make([]float64, len(reqs))
		for i := range diffs {
			diffs[i] = float64(lat["hybrid"][i] - lat["keyword"][i])
		}
		r.paired = append(r.paired, time.Duration(median(diffs)))
		k, h := r.passes["keyword"][round], r.passes["hybrid"][round]
		e.progress("semantic round %d/%d: keyword p50 %sms p99 %sms, hybrid p50 %sms p99 %sms", round+1, rounds,
			ms(k.pct(50)), ms(k.pct(99)), ms(h.pct(50)), ms(h.pct(99)))
	}
	after, err := getStats(ctx, p.Base)
	if err != nil {
		return nil, err
	}
	r.requests = after.Embeddings.Requests - before.Embeddings.Requests
	r.mem = p.Memory()
	return r, nil
}

// checkHybrid sends a hybrid search and checks the answer used meaning.
func checkHybrid(ctx context.Context, base string, q corpus.Request) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/search?"+q.Values().Encode()+"&mode=hybrid", nil)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var res struct {
		Mode     string `json:"mode"`
		Semantic struct{ Status, Reason string }
	}
	if err := json.Unmarshal(b, &res); err != nil || resp.StatusCode != 200 || res.Mode != "hybrid" || res.Semantic.Status != "ok" {
		return fmt.Errorf("hybrid search %q: status %d, mode %q, semantic %+v (%v)", q.Q, resp.StatusCode, res.Mode, res.Semantic, err)
	}
	return nil
}
