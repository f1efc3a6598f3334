package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"policysearch/bench/corpus"
)

// client keeps connections to loopback alive between requests.
var client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
	MaxIdleConnsPerHost: 16, DisableCompression: true}}

// pass is one timed run of n requests.
type pass struct {
	lat  []time.Duration // sorted
	wall time.Duration
	errs int
	err  error // the first error
	// timeouts counts searches the server stopped at its search timeout
	// (503 search_timeout): measured at the time they took, reported, and
	// not an error that ends the run.
	timeouts int
}

// errSearchTimeout is the server's answer to a search past its deadline.
var errSearchTimeout = errors.New("search_timeout")

func (p pass) qps() float64 { return float64(len(p.lat)) / p.wall.Seconds() }

// pct is the nearest-rank percentile of the sorted latencies.
func (p pass) pct(q int) time.Duration {
	if len(p.lat) == 0 {
		return 0
	}
	i := (len(p.lat)*q + 99) / 100
	return p.lat[max(i-1, 0)]
}

// run sends requests 0..n-1 through do from conc workers, each taking the
// next index; it stops early only if ctx ends.
func run(ctx context.Context, n, conc int, do func(ctx context.Context, i int) error) pass {
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var mu sync.Mutex
	var p pass
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				err := do(ctx, i)
				lat[i] = time.Since(t)
				if errors.Is(err, errSearchTimeout) {
					mu.Lock()
					p.timeouts++
					mu.Unlock()
				} else if err != nil {
					mu.Lock()
					p.errs++
					if p.err == nil {
						p.err = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	p.wall = time.Since(start)
	done := min(int(next.Load()), n)
	p.lat = slices.Clone(lat[:done])
	slices.Sort(p.lat)
	return p
}

// httpSearch sends one search to a running policysearch and reads the
// whole answer.
func httpSearch(ctx context.Context, base string, r corpus.Request, extra string) error {
	target := base + "/api/search?" + r.Values().Encode() + extra
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusServiceUnavailable && bytes.Contains(body, []byte(`"search_timeout"`)) {
		return fmt.Errorf("%s: %w", target, errSearchTimeout)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", target, resp.StatusCode)
	}
	return nil
}

// bumpGeneration writes a marker document (new text each time), so the
// index generation changes and every cached result becomes unreachable:
// exactly how a write invalidates the cache in production.
func bumpGeneration(ctx context.Context, base string, n int) error {
	body := fmt.Sprintf(`{"title":"benchmark marker","text":"cache generation marker xqzvkj%d-%d"}`, n, markerRun)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+"/api/documents/bench-marker", bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("marker write: status %d: %s", resp.StatusCode, b)
	}
	return nil
}

// markerRun tells this run's markers from those a reused data directory
// kept from an earlier run: a marker written again unchanged changes
// nothing, so it would not empty the result cache.
var markerRun = time.Now().UnixNano()

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDur(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}
