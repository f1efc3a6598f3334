package main

import (
	"context"
	"fmt"

	"policysearch/bench/serve"

	"github.com/blevesearch/bleve/v2"

	"policysearch/bench/baseline"
	"policysearch/bench/corpus"
)

// Engines compared on searches.
const (
	engPage   = "raw bleve, in-process: page (10 hits, fields, highlight, 5 facets)"
	engBare   = "raw bleve, in-process: bare (10 ids and scores)"
	engPS     = "policysearch over HTTP, result cache defeated"
	engPSZipf = "policysearch over HTTP, result cache on (starts empty)"
)

// searcher runs request i of a list on one engine.
type searcher func(ctx context.Context, i int) error

func bleveSearcher(idx bleve.Index, reqs []corpus.Request, kind baseline.Kind) searcher {
	return func(ctx context.Context, i int) error {
		_, err := baseline.Search(ctx, idx, reqs[i], kind)
		return err
	}
}

func httpSearcher(base string, reqs []corpus.Request) searcher {
	return func(ctx context.Context, i int) error { return httpSearch(ctx, base, reqs[i], "") }
}

// passes holds timed passes by concurrency and engine.
type passes map[int]map[string][]pass

func (ps passes) add(conc int, engine string, p pass) {
	if ps[conc] == nil {
		ps[conc] = map[string][]pass{}
	}
	ps[conc][engine] = append(ps[conc][engine], p)
}

// searchRounds runs the queries once per engine per concurrency per round,
// rotating the engines' order each round. Before each policysearch pass a
// write makes the result cache cold, so every one of its searches runs.
func searchRounds(ctx context.Context, e *env, p *serve.Proc, idx bleve.Index, reqs []corpus.Request, rounds int, concs []int) (passes, error) {
	engines := map[string]searcher{
		engPage: bleveSearcher(idx, reqs, baseline.Page),
		engBare: bleveSearcher(idx, reqs, baseline.Bare),
		engPS:   httpSearcher(p.Base, reqs),
	}
	order := []string{engPage, engPS, engBare}
	for _, name := range order { // warm-up: page cache, connections, code
		if w := run(ctx, len(reqs), 2, engines[name]); w.errs > 0 {
			return nil, fmt.Errorf("warm-up %s: %d errors, first: %v", name, w.errs, w.err)
		}
	}
	return alternate(ctx, e, p, "search", engines, order, engPS, len(reqs), rounds, concs)
}

// zipfRounds replays the Zipf log on raw bleve (page) and on policysearch
// with its result cache, which starts empty each round.
func zipfRounds(ctx context.Context, e *env, p *serve.Proc, idx bleve.Index, log []corpus.Request, rounds int, concs []int) (passes, error) {
	engines := map[string]searcher{
		engPage:   bleveSearcher(idx, log, baseline.Page),
		engPSZipf: httpSearcher(p.Base, log),
	}
	return alternate(ctx, e, p, "zipf", engines, []string{engPage, engPSZipf}, engPSZipf, len(log), rounds, concs)
}

// alternate runs n requests on every engine, per concurrency, per round,
// rotating the engines' order from round to round. Before each pass of ps
// (the policysearch engine) a marker write empties its result cache.
func alternate(ctx context.Context, e *env, p *serve.Proc, label string, engines map[string]searcher, order []string, ps string, n, rounds int, concs []int) (passes, error) {
	out := passes{}
	for round := range rounds {
		for _, conc := range concs {
			for k := range order {
				name := order[(round+k)%len(order)]
				if name == ps {
					e.markers++
					if err := bumpGeneration(ctx, p.Base, e.markers); err != nil {
						return nil, err
					}
				}
				res := run(ctx, n, conc, engines[name])
				if res.errs > 0 {
					return nil, fmt.Errorf("%s %s: %d errors, first: %v", label, name, res.errs, res.err)
				}
				out.add(conc, name, res)
				e.progress("%s round %d/%d c=%d %-70s %8.1f QPS p50 %sms p99 %sms", label, round+1, rounds, conc, name, res.qps(), ms(res.pct(50)), ms(res.pct(99)))
			}
		}
	}
	return out, nil
}
