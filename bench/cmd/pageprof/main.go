// Command pageprof times the keyword results page in process, query by
// query, over a data directory (built from a bench corpus when empty), and
// writes a CPU profile: where bench/cmd/perf says how slow a page is over
// HTTP, this says where its time goes. Loopback-free; every loop bounded.
//
//	go run ./bench/cmd/pageprof -data /tmp/pp100k -corpus 100k -rounds 3 -cpuprofile /tmp/page.prof
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sort"
	"syscall"
	"time"

	"policysearch/bench/corpus"
	"policysearch/bench/serve"
	"policysearch/index"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pageprof:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pageprof", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data directory (built from the corpus when it holds no index)")
	size := fs.String("corpus", "100k", "bench corpus: 10k, 100k or 1m passages")
	rounds := fs.Int("rounds", 3, "passes over the query mix")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the timed passes here")
	pasted := fs.Bool("pasted", false, "time the 200-word pasted queries instead of the query mix")
	only := fs.String("q", "", "time this one query instead of the query mix")
	loadProf := fs.String("load-profile", "", "write a CPU profile of loading the corpus here")
	limit := fs.Int("limit", 0, "load at most this many passages (0: all)")
	listAll := fs.Bool("all", false, "list every query's median time, not only the ten slowest")
	accuracy := fs.Bool("accuracy", false, "compare estimated totals and facet counts with exact ones instead of timing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || *rounds < 1 || *rounds > 100 {
		return fmt.Errorf("-data is required and -rounds must be 1..100")
	}
	wd, _ := os.Getwd()
	root, err := serve.ModuleRoot(wd)
	if err != nil {
		return err
	}
	sotu, err := corpus.FindSOTU(root)
	if err != nil {
		return err
	}
	jsonl, docs, err := corpus.Ensure(filepath.Join(root, "bench", "results", "corpora"), sotu, *size)
	if err != nil {
		return err
	}
	began := time.Now()
	ix, err := index.Open(ctx, *data, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer ix.Close()
	ix.SetCacheSize(0) // every page is computed, as a new query's is
	fmt.Fprintf(stderr, "opened in %s\n", time.Since(began).Round(time.Millisecond))
	if st, err := ix.Stats(ctx); err != nil {
		return err
	} else if st.Documents == 0 {
		stopProfile, err := profile(*loadProf)
		if err != nil {
			return err
		}
		n, err := load(ctx, ix, jsonl, *limit, stderr)
		stopProfile()
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "loaded %d passages in %s\n", n, time.Since(began).Round(time.Second))
	}
	if err := ix.WaitLoaded(ctx); err != nil { // time the steady state, not the start
		return err
	}
	queries := corpus.Queries(docs)
	if *pasted {
		speeches, err := corpus.ReadSOTU(sotu)
		if err != nil {
			return err
		}
		queries = corpus.Pasted(speeches, 50)
	}
	if *only != "" {
		queries = []string{*only}
	}
	if *accuracy {
		return estimates(ctx, ix, queries, stdout)
	}
	page := func(q string) (time.Duration, error) {
		t := time.Now()
		res, err := ix.Search(ctx, index.Query{Text: q, Mode: index.ModeKeyword})
		if err == nil && *only != "" {
			fmt.Fprintf(stderr, "%q: total %d (approximate %v), facets approximate %v, %s\n", q, res.Total, res.TotalApproximate, res.FacetsApproximate, time.Since(t))
		}
		return time.Since(t), err
	}
	for _, q := range queries { // warm-up, untimed
		if _, err := page(q); err != nil {
			return fmt.Errorf("%q: %w", q, err)
		}
	}
	stopProfile, err := profile(*prof)
	if err != nil {
		return err
	}
	defer stopProfile()
	per := make([][]time.Duration, len(queries))
	var all []time.Duration
	for range *rounds {
		for i, q := range queries {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d, err := page(q)
			if err != nil {
				return err
			}
			per[i] = append(per[i], d)
			all = append(all, d)
		}
	}
	slices.Sort(all)
	fmt.Fprintf(stdout, "%d queries × %d rounds: p50 %s p95 %s p99 %s max %s\n", len(queries), *rounds,
		pct(all, 50), pct(all, 95), pct(all, 99), all[len(all)-1])
	type slow struct {
		q string
		d time.Duration
	}
	var worst []slow
	for i, ds := range per {
		slices.Sort(ds)
		worst = append(worst, slow{queries[i], ds[len(ds)/2]})
	}
	sort.Slice(worst, func(i, j int) bool { return worst[i].d > worst[j].d })
	shown := min(10, len(worst))
	if *listAll {
		shown = len(worst)
	}
	for _, w := range worst[:shown] {
		q, _ := json.Marshal(w.q)
		fmt.Fprintf(stdout, "  %8s  %.80s\n", w.d.Round(10*time.Microsecond), q)
	}
	return nil
}

// profile starts a CPU profile written to path (none when path is empty)
// and returns what stops it.
func profile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[min(len(sorted)-1, len(sorted)*p/100)].Round(10 * time.Microsecond)
}

// load adds the corpus through a bulk load, as `policysearch add` and
// the NDJSON API do.
func load(ctx context.Context, ix *index.Index, jsonl string, limit int, progress io.Writer) (int, error) {
	f, err := os.Open(jsonl)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	began, n := time.Now(), 0
	bulk := index.NewBulk(ctx, ix, func(items []index.BulkItem[int]) error {
		for _, it := range items {
			if it.Err != nil {
				return it.Err
			}
		}
		if n += len(items); n%(100*512) == 0 {
			fmt.Fprintf(progress, "loaded %d passages, %.0f docs/s\n", n, float64(n)/time.Since(began).Seconds())
		}
		return nil
	})
	defer bulk.Close()
	for i := 0; limit == 0 || i < limit; i++ {
		var d index.Document
		if err = dec.Decode(&d); err == io.EOF {
			err = nil
			break
		} else if err != nil {
			break
		}
		if err = bulk.Add(i, d); err != nil {
			break
		}
	}
	// n is the writer's until Close returns.
	if cerr := bulk.Close(); err == nil {
		err = cerr
	}
	return n, err
}
