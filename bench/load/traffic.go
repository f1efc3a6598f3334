package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// queries is the search mix: plain words, phrases, the query language,
// filters, sorting, deeper pages and bigger facets.
var queries = []string{
	"q=economy",
	"q=tariffs+trade",
	"q=%22federal+government%22",
	"q=title:union",
	"q=tax*+AND+reform",
	"q=slavery+-war",
	"q=energy+independence&sort=newest",
	"q=education&size=20&page=2",
	"q=govermnent~1",
	"q=peace+treaty&from=1900&to=1950",
	"q=war&facet_size=50",
	"q=banking+OR+currency&sort=oldest",
	"q=defense+budget&source=Policy+Lab&source=Ministry",
	"q=immigration&strict=true",
	"q=liberty+freedom+%28congress+OR+nations%29",
}

// client is shared by every loop: keep-alive connections to loopback.
var client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func searchLoop(ctx context.Context, base string, rec *recorder, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	for ctx.Err() == nil {
		q := queries[r.IntN(len(queries))]
		rec.do(ctx, "search", func() (int, error) {
			return send(ctx, "GET", base+"/api/search?"+q, "", nil)
		})
	}
}

// ingestLoop re-posts the corpus under new ids, a batch per request.
func ingestLoop(ctx context.Context, base string, rec *recorder, docs []json.RawMessage, batch int) {
	for round := 0; ctx.Err() == nil; round++ {
		var body bytes.Buffer
		for i := range batch {
			n := round*batch + i
			var d map[string]any
			_ = json.Unmarshal(docs[n%len(docs)], &d)
			d["id"] = fmt.Sprintf("load-%d", n)
			b, _ := json.Marshal(d)
			body.Write(b)
			body.WriteByte('\n')
		}
		rec.do(ctx, "ingest_ndjson", func() (int, error) {
			return send(ctx, "POST", base+"/api/documents", "application/x-ndjson", &body)
		})
	}
}

func putLoop(ctx context.Context, base string, rec *recorder) {
	for n := 0; ctx.Err() == nil; n++ {
		body := fmt.Sprintf(`{"title":"Load test note %d","text":"A short note about %s written during the load test."}`, n, words[n%len(words)])
		rec.do(ctx, "put", func() (int, error) {
			return send(ctx, "PUT", fmt.Sprintf("%s/api/documents/put-%d", base, n%500), "application/json", strings.NewReader(body))
		})
		time.Sleep(20 * time.Millisecond)
	}
}

// send makes one request and reads the whole answer; NDJSON answers
// count as failed when a line reports an error.
func send(ctx context.Context, method, target, ctype string, body io.Reader) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && ctype == "application/x-ndjson" && bytes.Contains(b, []byte(`"error":`)) {
		err = fmt.Errorf("a line failed: %.200s", b)
	}
	return resp.StatusCode, err
}

// recorder keeps every latency per kind of request, and the errors.
type recorder struct {
	mu     sync.Mutex
	lat    map[string][]time.Duration
	errs   map[string]int
	sample map[string]string
}

func newRecorder() *recorder {
	return &recorder{lat: map[string][]time.Duration{}, errs: map[string]int{}, sample: map[string]string{}}
}

// do times fn; a request cut off by the end of the run is not counted.
func (r *recorder) do(ctx context.Context, kind string, fn func() (int, error)) {
	start := time.Now()
	status, err := fn()
	d := time.Since(start)
	if ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat[kind] = append(r.lat[kind], d)
	if err != nil || status >= 400 {
		r.errs[kind]++
		if r.sample[kind] == "" {
			r.sample[kind] = fmt.Sprintf("status %d, %v", status, err)
		}
	}
}

func (r *recorder) report(w io.Writer, elapsed time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(w, "%-14s %9s %7s %9s %9s %9s %9s\n", "kind", "requests", "errors", "per_sec", "p50", "p95", "p99")
	kinds := make([]string, 0, len(r.lat))
	for k := range r.lat {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		l := slices.Clone(r.lat[k])
		slices.Sort(l)
		fmt.Fprintf(w, "%-14s %9d %7d %9.1f %9s %9s %9s\n", k, len(l), r.errs[k], float64(len(l))/elapsed.Seconds(),
			ms(percentile(l, 50)), ms(percentile(l, 95)), ms(percentile(l, 99)))
	}
	for _, k := range kinds {
		if s := r.sample[k]; s != "" {
			fmt.Fprintf(w, "first %s error: %s\n", k, s)
		}
	}
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// postNDJSON loads docs in one bulk request and checks every line.
func postNDJSON(ctx context.Context, base string, docs []json.RawMessage) error {
	var body bytes.Buffer
	for _, d := range docs {
		body.Write(d)
		body.WriteByte('\n')
	}
	status, err := send(ctx, "POST", base+"/api/documents", "application/x-ndjson", &body)
	if err == nil && status != 200 {
		err = fmt.Errorf("status %d", status)
	}
	return err
}
