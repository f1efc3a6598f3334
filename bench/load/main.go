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
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
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
		if c.bin, err = build(ctx, tmp); err != nil {
			return err
		}
	}
	srv, err := start(ctx, c.bin, tmp)
	if err != nil {
		return err
	}
	defer srv.stop()

	loadStart := time.Now()
	if err := postNDJSON(ctx, srv.base, docs); err != nil {
		return fmt.Errorf("initial load: %w", err)
	}
	before := srv.documents()
	fmt.Fprintf(stdout, "policysearch load test on loopback: %s, %d searchers + 1 ingest stream (NDJSON batches of %d, and single PUTs)\n",
		c.duration, c.searchers, c.batch)
	fmt.Fprintf(stdout, "corpus: %s, %d documents loaded in %s\n", corpusName, len(docs), time.Since(loadStart).Round(time.Millisecond))
	rssStart := srv.rss()

	rec := newRecorder()
	runCtx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	started := time.Now()
	var wg sync.WaitGroup
	for i := range c.searchers {
		wg.Go(func() { searchLoop(runCtx, srv.base, rec, uint64(i)) })
	}
	wg.Go(func() { ingestLoop(runCtx, srv.base, rec, docs, c.batch) })
	wg.Go(func() { putLoop(runCtx, srv.base, rec) })
	wg.Wait()
	elapsed := time.Since(started)

	rssEnd := srv.rss()
	after := srv.documents()
	rec.report(stdout, elapsed)
	fmt.Fprintf(stdout, "documents: %d before, %d after\n", before, after)
	fmt.Fprintf(stdout, "server RSS: %s at start, %s at end (peak %s)\n", mib(rssStart.rss), mib(rssEnd.rss), mib(rssEnd.peak))
	shutdown := srv.stop()
	fmt.Fprintf(stdout, "graceful shutdown took %s\n", shutdown.Round(time.Millisecond))
	return nil
}

// corpus reads the documents to load: a JSONL file, or synthetic ones.
func corpus(path string) ([]json.RawMessage, string, error) {
	if path == "" {
		root, _ := moduleRoot()
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

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

func build(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "policysearch")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/policysearch")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// server is the running binary.
type server struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

func start(ctx context.Context, bin, dir string) (*server, error) {
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--seeds=false",
		"--rate-limit", "0", "--write-rate-limit", "0", "--log-level", "warn", "--log-format", "json")
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logFile.Close(); close(s.done) }()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			s.base = m[1]
			go io.Copy(io.Discard, stdout)
			return s, nil
		}
	}
	s.stop()
	return nil, errors.New("the server exited before listening; see its log")
}

// stop asks for a graceful shutdown and says how long it took.
func (s *server) stop() time.Duration {
	start := time.Now()
	select {
	case <-s.done:
		return 0
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	return time.Since(start)
}

type memory struct{ rss, peak int64 }

// rss reads the server's resident memory (and its peak) from /proc.
func (s *server) rss() memory {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return memory{-1, -1}
	}
	var m memory
	for line := range strings.SplitSeq(string(b), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
			m.rss = kb << 10
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			m.peak = kb << 10
		}
	}
	return m
}

func (s *server) documents() int {
	resp, err := http.Get(s.base + "/api/stats")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var st struct{ Documents int }
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st.Documents
}

func mib(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
