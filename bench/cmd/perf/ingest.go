package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"policysearch/bench/serve"

	"policysearch/bench/baseline"
)

// ingestResult is one load of the corpus by one method.
type ingestResult struct {
	method string
	docs   int
	bytes  int64
	took   time.Duration
	cpu    time.Duration // CPU time (user + system) of the indexing process
	dir    string        // the index (baseline) or data directory it made
	peak   int64         // the server's peak RSS in bytes (API method only)
}

func (r ingestResult) docsPerSec() float64 { return float64(r.docs) / r.took.Seconds() }
func (r ingestResult) mbPerSec() float64   { return float64(r.bytes) / 1e6 / r.took.Seconds() }

// Ingest methods.
const (
	methodBleve = "raw bleve, batches of 512"
	methodAPI   = "policysearch POST /api/documents (NDJSON)"
	methodAdd   = "policysearch add FILE.jsonl"
)

func ingestBaseline(ctx context.Context, dir, jsonl string) (ingestResult, error) {
	cpu0 := selfCPU()
	st, err := baseline.Ingest(ctx, dir, jsonl)
	return ingestResult{method: methodBleve, docs: st.Docs, bytes: st.Bytes, took: st.Took, cpu: selfCPU() - cpu0, dir: dir}, err
}

// ingestAPI starts a server on an empty data directory and streams the
// whole file to it in one NDJSON request (the server commits 256 lines a
// batch); the time runs from the first byte sent to the summary line.
func ingestAPI(ctx context.Context, bin, data, logPath, jsonl string, want int) (ingestResult, error) {
	r := ingestResult{method: methodAPI, dir: data}
	// The server's 10-minute read and write timeouts would cut a 1m
	// upload on a busy machine short: the time is what is measured here.
	p, err := serve.Start(bin, data, logPath, serve.Env(keywordOnly, "POLICYSEARCH_READ_TIMEOUT=3h", "POLICYSEARCH_WRITE_TIMEOUT=3h"))
	if err != nil {
		return r, err
	}
	defer p.Stop()
	f, err := os.Open(jsonl)
	if err != nil {
		return r, err
	}
	defer f.Close()
	info, _ := f.Stat()
	r.bytes = info.Size()
	cpu0 := p.CPU()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Base+"/api/documents", f)
	if err != nil {
		return r, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.ContentLength = info.Size()
	resp, err := (&http.Client{Timeout: 3 * time.Hour}).Do(req) // 1m passages on a busy machine
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var last string
	for sc.Scan() {
		last = sc.Text()
	}
	r.took = time.Since(start)
	r.cpu = p.CPU() - cpu0
	r.peak = p.Memory().Peak
	if err := sc.Err(); err != nil {
		return r, err
	}
	var sum struct {
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal([]byte(last), &sum); err != nil || sum.Summary["added"] != want || sum.Summary["failed"] != 0 {
		return r, fmt.Errorf("NDJSON load: status %d, last line %.300s; want %d added", resp.StatusCode, last, want)
	}
	r.docs = want
	return r, nil
}

// ingestAdd runs the add command on an empty data directory; the time is
// the whole process, from exec to exit (open, load, close).
func ingestAdd(ctx context.Context, bin, data, jsonl string, want int) (ingestResult, error) {
	r := ingestResult{method: methodAdd, dir: data}
	info, err := os.Stat(jsonl)
	if err != nil {
		return r, err
	}
	r.bytes = info.Size()
	cmd := exec.CommandContext(ctx, bin, "add", jsonl, "--data", data, "--log-level", "warn")
	cmd.Env = serve.Env()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r.took = time.Since(start)
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return r, fmt.Errorf("add: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), fmt.Sprintf("added %d,", want)) {
		return r, fmt.Errorf("add printed %q; want %d added", out, want)
	}
	r.docs = want
	return r, nil
}

// ingestRounds loads the corpus with each method per round, rotating the
// order each round; it keeps the last round's directories and removes the
// others. It returns the results by method.
func ingestRounds(ctx context.Context, e *env, rounds int, methods []string) (map[string][]ingestResult, error) {
	out := map[string][]ingestResult{}
	for round := range rounds {
		for k := range methods {
			m := methods[(round+k)%len(methods)]
			dir := filepath.Join(e.work, fmt.Sprintf("ingest-%d-%d", round, k))
			var r ingestResult
			var err error
			switch m {
			case methodBleve:
				r, err = ingestBaseline(ctx, dir, e.jsonl)
			case methodAPI:
				r, err = ingestAPI(ctx, e.bin, dir, e.log, e.jsonl, len(e.docs))
			case methodAdd:
				r, err = ingestAdd(ctx, e.bin, dir, e.jsonl, len(e.docs))
			}
			if err != nil {
				return nil, fmt.Errorf("round %d, %s: %w", round+1, m, err)
			}
			e.progress("ingest round %d/%d: %-42s %8.0f docs/s %6.2f MB/s (%s, CPU %s, peak RSS %d MiB)", round+1, rounds, m, r.docsPerSec(), r.mbPerSec(),
				r.took.Round(time.Millisecond), r.cpu.Round(time.Millisecond), r.peak>>20)
			if prev := out[m]; len(prev) > 0 {
				os.RemoveAll(prev[len(prev)-1].dir)
			}
			out[m] = append(out[m], r)
		}
	}
	return out, nil
}

// selfCPU is this process's CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// keywordOnly keeps the built-in embedding model (on by default) from
// competing for the cores the keyword and ingest figures measure; the
// semantic figures come from their own run (semantic.go).
const keywordOnly = "POLICYSEARCH_EMBEDDINGS=off"
