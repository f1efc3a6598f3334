// Command speed measures the built-in encoder against the reference server
// in the same run, so machine load affects both alike:
//
//	node /tmp/realembed-nocache/server.mjs 8091 --workers 2 --quiet &   # no --cache
//	go run ./embedding/uselite/cmd/speed -reference http://127.0.0.1:8091/v1
//
// It sends the same 256 passages of about 200 SOTU words to the reference
// (batches of 64, two requests in flight, as the service sends them) and to
// the Go model (batches of 64), alternating rounds, and reports inputs/s of
// each and their ratio; then query latency (p50/p99 over 200 short
// queries, one at a time) of both, and the resident memory the Go model
// added (VmRSS before Load and after Load and the embedding).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"policysearch/embedding/uselite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "speed:", err)
		os.Exit(1)
	}
}

type options struct {
	reference string
	shared    string
	passages  int
	queries   int
	rounds    int
	batch     int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("speed", flag.ContinueOnError)
	fs.StringVar(&o.reference, "reference", "http://127.0.0.1:8091/v1", "reference endpoint (start it without --cache); empty to measure the Go model alone")
	fs.StringVar(&o.shared, "shared", filepath.Join("..", "shared"), "shared data directory (SOTU corpus, perspectrum queries)")
	fs.IntVar(&o.passages, "passages", 256, "passages per round")
	fs.IntVar(&o.queries, "queries", 200, "short queries for the latency figures")
	fs.IntVar(&o.rounds, "rounds", 2, "rounds; each sends all passages to the reference, then to the Go model")
	fs.IntVar(&o.batch, "batch", 64, "inputs per request or Embed call")
	if err := fs.Parse(args); err != nil {
		return err
	}
	passages, err := sotuPassages(o.shared, o.passages)
	if err != nil {
		return err
	}
	queries, err := shortQueries(o.shared, o.queries)
	if err != nil {
		return err
	}

	runtime.GC()
	rssBefore := rssKiB()
	m, err := uselite.Load()
	if err != nil {
		return err
	}
	rssLoaded := rssKiB()
	pieces := 0
	for _, p := range passages {
		pieces += min(m.CountTokens(p), m.MaxTokens())
	}
	fmt.Fprintf(out, "model %s, GOMAXPROCS %d, %d passages (mean %.0f pieces read), %d rounds\n",
		m.ID(), runtime.GOMAXPROCS(0), len(passages), float64(pieces)/float64(len(passages)), o.rounds)

	var refTime, goTime time.Duration
	for round := range o.rounds {
		if o.reference != "" {
			d, err := timeReference(ctx, o.reference, passages, o.batch)
			if err != nil {
				return fmt.Errorf("reference: %w", err)
			}
			refTime += d
			fmt.Fprintf(out, "round %d reference: %.1f inputs/s\n", round+1, float64(len(passages))/d.Seconds())
		}
		start := time.Now()
		for i := 0; i < len(passages); i += o.batch {
			if _, err := m.Embed(ctx, passages[i:min(len(passages), i+o.batch)]); err != nil {
				return err
			}
		}
		d := time.Since(start)
		goTime += d
		fmt.Fprintf(out, "round %d built-in:  %.1f inputs/s\n", round+1, float64(len(passages))/d.Seconds())
	}
	rssAfter := rssKiB()
	total := float64(o.rounds * len(passages))
	goRate := total / goTime.Seconds()
	if o.reference != "" {
		refRate := total / refTime.Seconds()
		fmt.Fprintf(out, "passages: built-in %.1f inputs/s, reference %.1f inputs/s, ratio %.2f×\n", goRate, refRate, goRate/refRate)
	} else {
		fmt.Fprintf(out, "passages: built-in %.1f inputs/s\n", goRate)
	}

	goLat := make([]time.Duration, 0, len(queries))
	var refLat []time.Duration
	for _, q := range queries {
		if o.reference != "" {
			start := time.Now()
			if _, err := embedRemote(ctx, o.reference, []string{q}); err != nil {
				return fmt.Errorf("reference: %w", err)
			}
			refLat = append(refLat, time.Since(start))
		}
		start := time.Now()
		if _, err := m.Embed(ctx, []string{q}); err != nil {
			return err
		}
		goLat = append(goLat, time.Since(start))
	}
	fmt.Fprintf(out, "queries: built-in p50 %s p99 %s", pct(goLat, 50), pct(goLat, 99))
	if o.reference != "" {
		fmt.Fprintf(out, "; reference (HTTP) p50 %s p99 %s", pct(refLat, 50), pct(refLat, 99))
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "memory: VmRSS %.1f MB before Load, %.1f MB after Load (+%.1f), %.1f MB after embedding (+%.1f in all)\n",
		float64(rssBefore)/1024, float64(rssLoaded)/1024, float64(rssLoaded-rssBefore)/1024,
		float64(rssAfter)/1024, float64(rssAfter-rssBefore)/1024)
	return nil
}

// timeReference sends passages in batches, two requests in flight.
func timeReference(ctx context.Context, url string, passages []string, batch int) (time.Duration, error) {
	start := time.Now()
	sem := make(chan struct{}, 2)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i := 0; i < len(passages); i += batch {
		part := passages[i:min(len(passages), i+batch)]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := embedRemote(ctx, url, part); err != nil {
				mu.Lock()
				first = cmpOr(first, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func embedRemote(ctx context.Context, url string, inputs []string) ([][]float32, error) {
	body, _ := json.Marshal(map[string]any{"model": "universal-sentence-encoder-lite", "input": inputs})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/embeddings", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data []struct {
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || len(r.Data) != len(inputs) {
		return nil, fmt.Errorf("status %d, %d vectors for %d inputs", resp.StatusCode, len(r.Data), len(inputs))
	}
	vecs := make([][]float32, len(r.Data))
	for i, d := range r.Data {
		vecs[i] = d.Embedding
	}
	return vecs, nil
}

func pct(ds []time.Duration, p int) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return "-"
	}
	d := s[min(len(s)-1, len(s)*p/100)]
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}

// sotuPassages cuts SOTU speeches into 200-word passages, taking them from
// different speeches in turn.
func sotuPassages(shared string, n int) ([]string, error) {
	var speeches [][]string
	err := eachJSONL(filepath.Join(shared, "corpora", "sotu.jsonl"), func(m map[string]any) {
		if s, ok := m["text"].(string); ok {
			speeches = append(speeches, strings.Fields(s))
		}
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for off := 0; len(out) < n; off += 200 {
		added := false
		for _, w := range speeches {
			if off+200 <= len(w) && len(out) < n {
				out = append(out, strings.Join(w[off:off+200], " "))
				added = true
			}
		}
		if !added {
			return nil, errors.New("SOTU corpus too small for that many passages")
		}
	}
	return out, nil
}

func shortQueries(shared string, n int) ([]string, error) {
	var qs []string
	err := eachJSONL(filepath.Join(shared, "eval", "perspectrum-dev", "queries.jsonl"), func(m map[string]any) {
		if s, ok := m["text"].(string); ok && len(qs) < n {
			qs = append(qs, s)
		}
	})
	return qs, err
}

func eachJSONL(path string, each func(map[string]any)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		each(m)
	}
	return sc.Err()
}

// rssKiB reads VmRSS from /proc/self/status (0 where there is none).
func rssKiB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}
