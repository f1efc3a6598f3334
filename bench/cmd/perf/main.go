// Command perf measures policysearch against a raw bleve baseline in the
// same run: bulk ingest (API and add), HTTP search at concurrency 1 and 2,
// a Zipf query log with the result cache, restart time, memory, index
// size, and hybrid search latency. Baseline and policysearch run
// alternately for several rounds; the tables report medians and the
// median of the per-round ratios. Loopback only, every loop bounded.
//
//	go run ./bench/cmd/perf -corpus 10k
//	go run ./bench/cmd/perf -corpus 100k
//	nice -n 10 go run ./bench/cmd/perf -corpus 1m -rounds 3 -phases ingest,restart,search,pasted
//
// Corpora are built from ../shared/corpora/sotu.jsonl (see bench/corpus)
// into bench/results/, which also receives the report as markdown.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"policysearch/bench/serve"

	"github.com/blevesearch/bleve/v2"

	"policysearch/bench/corpus"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runPerf(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		stop()
		os.Exit(1)
	}
}

type config struct {
	size                                     string
	ingestRounds, rounds, zipfRounds, starts int
	semRounds, semDims                       int
	zipfN                                    int
	zipfS                                    float64
	concs, zipfConcs                         []int
	semantic, keep, fromTree                 bool
	out, bin, sotu                           string
	reuse                                    string // a kept work directory whose indexes are measured again
	phases                                   map[string]bool
	methods                                  []string // ingest methods
	cmdline                                  string
}

// pastedQueries is how many 200-word pasted queries the pasted phase sends.
const pastedQueries = 50

// allPhases are the parts of a run, in order; ingest always runs, since
// the others need its indexes.
var allPhases = []string{"ingest", "restart", "search", "pasted", "zipf", "semantic"}

// env is what the phases share.
type env struct {
	root, work, bin, log, jsonl string
	docs                        []corpus.Doc
	markers                     int // marker documents written so far
	stderr                      io.Writer
	began                       time.Time
}

func (e *env) progress(format string, args ...any) {
	fmt.Fprintf(e.stderr, "[%6.1fs] %s\n", time.Since(e.began).Seconds(), fmt.Sprintf(format, args...))
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("perf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var concs, zipfConcs, phases, methods string
	fs.StringVar(&c.size, "corpus", "10k", "corpus size: 10k, 100k or 1m passages")
	fs.IntVar(&c.ingestRounds, "ingest-rounds", 3, "rounds of the three ingest methods")
	fs.IntVar(&c.rounds, "rounds", 5, "rounds of the 200-query search comparison")
	fs.IntVar(&c.zipfRounds, "zipf-rounds", 3, "rounds of the Zipf log comparison")
	fs.IntVar(&c.zipfN, "zipf", 5000, "requests in the Zipf log")
	fs.Float64Var(&c.zipfS, "zipf-s", 1.1, "Zipf exponent of the log")
	fs.StringVar(&concs, "conc", "1,2", "concurrencies of the search comparison")
	fs.StringVar(&zipfConcs, "zipf-conc", "2", "concurrencies of the Zipf comparison")
	fs.IntVar(&c.starts, "restarts", 5, "timed restarts (exec to first answered search)")
	fs.BoolVar(&c.semantic, "semantic", true, "measure hybrid against keyword search with a loopback embeddings endpoint")
	fs.IntVar(&c.semRounds, "semantic-rounds", 3, "rounds of the hybrid comparison")
	fs.IntVar(&c.semDims, "semantic-dims", 384, "dimensions of the loopback embeddings (fewer link faster: 10^6 passages of 384 take over an hour here)")
	fs.StringVar(&c.out, "out", "", "results directory for corpora and reports (default bench/results)")
	fs.StringVar(&c.bin, "bin", "", "policysearch binary to measure (default: build ./cmd/policysearch at HEAD)")
	fs.BoolVar(&c.fromTree, "tree", false, "build the working tree, uncommitted edits included, instead of HEAD")
	fs.StringVar(&c.sotu, "sotu", "", "path of sotu.jsonl (default ../shared/corpora/sotu.jsonl beside the module)")
	fs.BoolVar(&c.keep, "keep", false, "keep the indexes and data directories")
	fs.StringVar(&c.reuse, "reuse", "", "measure the indexes of a run kept with -keep (its work directory) instead of ingesting; -ingest must name the same methods")
	fs.StringVar(&phases, "phases", strings.Join(allPhases, ","), "parts to run, comma-separated: "+strings.Join(allPhases, ", "))
	fs.StringVar(&methods, "ingest", "bleve,api,add", "ingest methods: bleve and api always run (later phases use their indexes); add is optional")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.methods = []string{methodBleve, methodAPI}
	if strings.Contains(methods, "add") {
		c.methods = append(c.methods, methodAdd)
	}
	c.cmdline = strings.TrimSpace("go run ./bench/cmd/perf " + strings.Join(args, " "))
	c.phases = map[string]bool{"ingest": true}
	for p := range strings.SplitSeq(phases, ",") {
		if p = strings.TrimSpace(p); !slices.Contains(allPhases, p) {
			return c, fmt.Errorf("phase %q: want some of %s", p, strings.Join(allPhases, ", "))
		}
		c.phases[p] = true
	}
	c.semantic = c.semantic && c.phases["semantic"]
	var err error
	if c.concs, err = ints(concs); err == nil {
		c.zipfConcs, err = ints(zipfConcs)
	}
	if err == nil && (c.semDims < 8 || c.semDims > 4096) {
		err = errors.New("-semantic-dims must be 8..4096")
	}
	if err == nil && (c.ingestRounds < 1 || c.rounds < 1 || c.zipfRounds < 1 || c.starts < 1 || c.semRounds < 1 || c.zipfN < 1) {
		err = errors.New("rounds, restarts and -zipf must be 1 or more")
	}
	return c, err
}

func ints(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 64 {
			return nil, fmt.Errorf("concurrency %q: want 1..64", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func runPerf(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	wd, _ := os.Getwd()
	root, err := serve.ModuleRoot(wd)
	if err != nil {
		return err
	}
	if c.sotu == "" {
		if c.sotu, err = corpus.FindSOTU(root); err != nil {
			return err
		}
	}
	if c.out == "" {
		c.out = filepath.Join(root, "bench", "results")
	}
	e := &env{root: root, stderr: stderr, began: time.Now()}
	rep := &report{cfg: c, began: e.began, load0: loadavg(), nproc: runtime.NumCPU(), cpu: cpuModel(), commit: gitCommit(root)}
	if e.work, err = os.MkdirTemp("", "policysearch-perf-"); err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(e.work)
	} else {
		e.progress("keeping %s", e.work)
	}
	e.log = filepath.Join(e.work, "server.log")
	if e.jsonl, e.docs, err = corpus.Ensure(filepath.Join(c.out, "corpora"), c.sotu, c.size); err != nil {
		return err
	}
	rep.docs, rep.inputBytes, rep.textBytes = len(e.docs), fileSize(e.jsonl), textBytes(e.docs)
	e.progress("corpus %s: %d passages, %s", c.size, len(e.docs), e.jsonl)
	if e.bin = c.bin; e.bin == "" {
		if e.bin, err = serve.Build(ctx, root, e.work, !c.fromTree); err != nil {
			return err
		}
		if c.fromTree {
			rep.commit += " + uncommitted edits"
		}
	} else {
		rep.commit = "binary " + e.bin
	}

	if c.reuse != "" {
		rep.ingest = map[string][]ingestResult{}
		round := c.ingestRounds - 1
		for k := range c.methods { // ingestRounds' names for the last round
			m := c.methods[(round+k)%len(c.methods)]
			dir := filepath.Join(c.reuse, fmt.Sprintf("ingest-%d-%d", round, k))
			if _, err := os.Stat(dir); err != nil {
				return fmt.Errorf("-reuse: %w", err)
			}
			rep.ingest[m] = []ingestResult{{dir: dir}}
		}
	} else if rep.ingest, err = ingestRounds(ctx, e, c.ingestRounds, c.methods); err != nil {
		return err
	}
	last := func(m string) string { rs := rep.ingest[m]; return rs[len(rs)-1].dir }
	data, bleveDir := last(methodAPI), last(methodBleve)
	rep.sizes = sizes{psIndex: dirSize(liveIndexDir(data)), psStore: fileSize(filepath.Join(data, "documents.db")),
		psData: dirSize(data), bleve: dirSize(bleveDir)}

	for i := range c.starts * b2i(c.phases["restart"]) {
		p, err := serve.Start(e.bin, data, e.log, serve.Env(keywordOnly))
		if err != nil {
			return err
		}
		at, err := firstAnswer(ctx, p, "union")
		p.Stop()
		if err != nil {
			return err
		}
		rep.restarts = append(rep.restarts, at.Sub(p.Started))
		e.progress("restart %d/%d: first answer after %s", i+1, c.starts, at.Sub(p.Started).Round(time.Millisecond))
	}

	queries := corpus.Queries(e.docs)
	reqs := make([]corpus.Request, len(queries))
	for i, q := range queries {
		reqs[i] = corpus.Request{Q: q}
	}
	zlog := corpus.ZipfLog(queries, c.zipfN, c.zipfS)
	rep.zipfDistinct = corpus.Distinct(zlog)
	var pasted []corpus.Request
	if c.phases["pasted"] {
		speeches, err := corpus.ReadSOTU(c.sotu)
		if err != nil {
			return err
		}
		for _, q := range corpus.Pasted(speeches, pastedQueries) {
			pasted = append(pasted, corpus.Request{Q: q})
		}
		rep.pastedN = len(pasted)
	}
	if c.phases["search"] || c.phases["zipf"] || c.phases["pasted"] {
		idx, err := bleve.Open(bleveDir)
		if err != nil {
			return err
		}
		p, err := serve.Start(e.bin, data, e.log, serve.Env(keywordOnly))
		if err != nil {
			idx.Close()
			return err
		}
		if c.phases["search"] {
			rep.search, err = searchRounds(ctx, e, p, idx, reqs, c.rounds, c.concs)
		}
		if err == nil && c.phases["pasted"] {
			rep.pasted, err = searchRounds(ctx, e, p, idx, pasted, c.rounds, []int{1})
		}
		if err == nil && c.phases["zipf"] {
			rep.zipf, err = zipfRounds(ctx, e, p, idx, zlog, c.zipfRounds, c.zipfConcs)
		}
		rep.mem = p.Memory()
		p.Stop()
		idx.Close()
		if err != nil {
			return err
		}
	}

	if c.semantic {
		if rep.sem, err = semanticRounds(ctx, e, data, queries, c.semRounds, c.semDims); err != nil {
			return err
		}
	}
	rep.load1, rep.took = loadavg(), time.Since(e.began)
	md := rep.markdown()
	fmt.Fprint(stdout, md)
	name := filepath.Join(c.out, fmt.Sprintf("perf-%s-%s.md", c.size, e.began.UTC().Format("20060102-150405")))
	if err := os.WriteFile(name, []byte(md), 0o644); err != nil {
		return err
	}
	e.progress("report written to %s", name)
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return info.Size()
}

func textBytes(docs []corpus.Doc) int64 {
	var n int64
	for _, d := range docs {
		n += int64(len(d.Text) + len(d.Title))
	}
	return n
}
