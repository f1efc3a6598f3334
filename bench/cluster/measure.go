package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"policysearch/bench/corpus"
)

// lag writes one document at a time through the first node and times how
// long until the second node serves it: the replication lag a reader on
// another node sees after the writer's acknowledgement.
func lag(ctx context.Context, o options, out io.Writer) error {
	if len(o.nodes) < 2 {
		return fmt.Errorf("lag needs two nodes")
	}
	var lags []time.Duration
	for i := range o.n {
		id := fmt.Sprintf("lag-%d-%d", time.Now().UnixNano(), i)
		body := fmt.Sprintf(`{"id":%q,"title":"Lag probe %d","text":"replication lag probe number %d"}`, id, i, i)
		req, _ := http.NewRequestWithContext(ctx, "PUT", o.nodes[0]+"/api/documents/"+id, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		acked := time.Now()
		for {
			r, err := hc.Get(o.nodes[1] + "/api/documents/" + id)
			if err != nil {
				return err
			}
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				break
			}
			if time.Since(acked) > 30*time.Second {
				return fmt.Errorf("%s not on %s 30s after its acknowledgement", id, o.nodes[1])
			}
			time.Sleep(500 * time.Microsecond)
		}
		lags = append(lags, time.Since(acked))
	}
	fmt.Fprintf(out, "lag: %d writes through %s, seen on %s after p50 %v, p99 %v, max %v\n", len(lags), o.nodes[0], o.nodes[1],
		percentile(lags, 0.5).Round(10*time.Microsecond), percentile(lags, 0.99).Round(10*time.Microsecond), percentile(lags, 1).Round(10*time.Microsecond))
	return nil
}

// search runs clients concurrent searchers, each sending its requests to
// the nodes in turn, for the duration, and reports answers per second.
func search(ctx context.Context, o options, out io.Writer) error {
	speeches, err := corpus.ReadSOTU("../shared/corpora/sotu.jsonl")
	if err != nil {
		return err
	}
	docs, err := corpus.Build(speeches, "10k")
	if err != nil {
		return err
	}
	// Pairs of the corpus's queries: thousands of distinct searches, so
	// the result cache does not answer them and each costs a real search.
	base := corpus.Queries(docs)
	queries := make([]string, 0, len(base)*len(base))
	for _, a := range base {
		for _, b := range base {
			queries = append(queries, a+" "+b)
		}
	}
	rand.Shuffle(len(queries), func(i, j int) { queries[i], queries[j] = queries[j], queries[i] })
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.clients}}
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Go(func() {
			for i := c; ctx.Err() == nil; i += o.clients {
				node := o.nodes[i%len(o.nodes)]
				req, _ := http.NewRequestWithContext(ctx, "GET", node+"/api/search?q="+url.QueryEscape(queries[i%len(queries)]), nil)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					var v struct{}
					_ = json.NewDecoder(resp.Body).Decode(&v)
					resp.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				if err != nil || resp.StatusCode != http.StatusOK {
					if ctx.Err() == nil {
						errs++
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	wg.Wait()
	took := time.Since(start)
	fmt.Fprintf(out, "search: %d nodes, %d clients, %v: %d answers, %.1f searches/s, p50 %v, p99 %v, %d errors\n",
		len(o.nodes), o.clients, took.Round(time.Millisecond), len(lat), float64(len(lat))/took.Seconds(),
		percentile(lat, 0.5).Round(100*time.Microsecond), percentile(lat, 0.99).Round(100*time.Microsecond), errs)
	return nil
}

// embedded waits until every node has every document's vectors and
// reports how long that took from its start (run it right after load) and
// who embedded what: with embeddings once per cluster, one node's job
// each; before, every node all of them.
func embedded(ctx context.Context, o options, out io.Writer) error {
	start := time.Now()
	type embedStats struct {
		Documents  int `json:"documents"`
		Embeddings struct {
			Pending  int `json:"pending"`
			Done     int `json:"done"`
			Requests int `json:"requests"`
			Inputs   int `json:"inputs"`
		} `json:"embeddings"`
		Cluster struct {
			EmbedJobs int `json:"embed_jobs"`
		} `json:"cluster"`
	}
	for {
		all := make([]embedStats, len(o.nodes))
		done := true
		for i, n := range o.nodes {
			resp, err := hc.Get(n + "/api/stats")
			if err != nil {
				return err
			}
			err = json.NewDecoder(resp.Body).Decode(&all[i])
			resp.Body.Close()
			if err != nil {
				return err
			}
			done = done && all[i].Embeddings.Done == all[i].Documents && all[i].Embeddings.Pending == 0
		}
		if done {
			fmt.Fprintf(out, "embedded: every node has every document's vectors after %v\n", time.Since(start).Round(100*time.Millisecond))
			for i, st := range all {
				fmt.Fprintf(out, "embedded: %s: %d documents; %d model calls for %d inputs; %d jobs for the cluster\n",
					o.nodes[i], st.Embeddings.Done, st.Embeddings.Requests, st.Embeddings.Inputs, st.Cluster.EmbedJobs)
			}
			return nil
		}
		if time.Since(start) > 30*time.Minute {
			return fmt.Errorf("not every node embedded every document in 30 minutes: %+v", all)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
