// Command load is a bounded load test on loopback: it builds and starts
// the real server, loads the SOTU corpus (../shared) or synthetic
// documents, then for a fixed time runs concurrent searches beside a
// stream of NDJSON bulk loads and single PUTs, and reports requests,
// errors, latency percentiles per kind, throughput and the server's
// resident memory at start and end. It asserts nothing: it measures.
//
//	go run ./bench/load [-duration 20s] [-searchers 8] [-batch 20] [-corpus FILE]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"policysearch/bench/serve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		stop()
		os.Exit(1)
	}
}

type config struct {
	duration  time.Duration
	searchers int
	batch     int
	corpus    string
	bin       string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long searches and ingest run")
	fs.IntVar(&c.searchers, "searchers", 8, "concurrent searching clients")
	fs.IntVar(&c.batch, "batch", 20, "documents per NDJSON bulk request of the ingest stream")
	fs.StringVar(&c.corpus, "corpus", "", "JSONL corpus to load first and to re-ingest from (default ../shared/corpora/sotu.jsonl if present, else synthetic documents)")
	fs.StringVar(&c.bin, "bin", "", "policysearch binary to test (default: build ./cmd/policysearch)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	docs, corpusName, err := corpus(c.corpus)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "policysearch-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if c.bin == "" {
		wd, _ := os.Getwd()
		root, err := serve.ModuleRoot(wd)
		if err != nil {
			return err
		}
		if c.bin, err = serve.Build(ctx, root, tmp, false); err != nil {
			return err
		}
	}
	srv, err := serve.Start(c.bin, filepath.Join(tmp, "data"), filepath.Join(tmp, "server.log"), nil)
	if err != nil {
		return err
	}
	defer srv.Stop()

	loadStart := time.Now()
	if err := postNDJSON(ctx, srv.Base, docs); err != nil {
		return fmt.Errorf("initial load: %w", err)
	}
	before := documents(srv.Base)
	fmt.Fprintf(stdout, "policysearch load test on loopback: %s, %d searchers + 1 ingest stream (NDJSON batches of %d, and single PUTs)\n",
		c.duration, c.searchers, c.batch)
	fmt.Fprintf(stdout, "corpus: %s, %d documents loaded in %s\n", corpusName, len(docs), time.Since(loadStart).Round(time.Millisecond))
	rssStart := srv.Memory()

	rec := newRecorder()
	runCtx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	started := time.Now()
	var wg sync.WaitGroup
	for i := range c.searchers {
		wg.Go(func() { searchLoop(runCtx, srv.Base, rec, uint64(i)) })
	}
	wg.Go(func() { ingestLoop(runCtx, srv.Base, rec, docs, c.batch) })
	wg.Go(func() { putLoop(runCtx, srv.Base, rec) })
	wg.Wait()
	elapsed := time.Since(started)

	rssEnd := srv.Memory()
	after := documents(srv.Base)
	rec.report(stdout, elapsed)
	fmt.Fprintf(stdout, "documents: %d before, %d after\n", before, after)
	fmt.Fprintf(stdout, "server RSS: %s at start, %s at end (peak %s)\n", serve.MiB(rssStart.RSS), serve.MiB(rssEnd.RSS), serve.MiB(rssEnd.Peak))
	shutdown := srv.Stop()
	fmt.Fprintf(stdout, "graceful shutdown took %s\n", shutdown.Round(time.Millisecond))
	return nil
}

// corpus reads the documents to load: a JSONL file, or synthetic ones.
func corpus(path string) ([]json.RawMessage, string, error) {
	if path == "" {
		wd, _ := os.Getwd()
		root, _ := serve.ModuleRoot(wd)
		def := filepath.Join(root, "..", "shared", "corpora", "sotu.jsonl")
		if _, err := os.Stat(def); err == nil {
			path = def
		}
	}
	if path == "" {
		return synthetic(2000), "synthetic", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	var docs []json.RawMessage
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			docs = append(docs, json.RawMessage(slices.Clone(line)))
		}
	}
	return docs, filepath.Base(path), sc.Err()
}

var words = strings.Fields(`economy tariffs trade war peace congress union federal government tax reform
energy independence education health care jobs labor industry agriculture slavery freedom
liberty defense navy army treaty nations alliance budget deficit debt banking currency
immigration border security terrorism climate science technology research infrastructure`)

func synthetic(n int) []json.RawMessage {
	r := rand.New(rand.NewPCG(1, 2))
	docs := make([]json.RawMessage, n)
	for i := range docs {
		var text []string
		for range 200 {
			text = append(text, words[r.IntN(len(words))])
		}
		b, _ := json.Marshal(map[string]any{
			"id": fmt.Sprintf("syn-%d", i), "title": strings.Join(text[:6], " "),
			"text": strings.Join(text, " ") + ".", "published": fmt.Sprint(1900 + r.IntN(125)),
			"source": []string{"Policy Lab", "Ministry", "Daily News"}[i%3],
		})
		docs[i] = b
	}
	return docs
}

// documents is how many documents the server at base holds, or -1.
func documents(base string) int {
	resp, err := http.Get(base + "/api/stats")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var st struct{ Documents int }
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st.Documents
}
