package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"policysearch/eval"
	"policysearch/index"
)

// evalFlags holds the eval command's own flags.
type evalFlags struct {
	fs     *pflag.FlagSet // to tell a flag set to its default from one left alone
	format string
	mode   string
	json   bool
	run    string
	ratio  float64
	fusion string
	depth  int
}

func evalCmd() command {
	var ef evalFlags
	return command{
		name:  "eval",
		usage: "DIR --format FORMAT",
		summary: "Measure ranking quality on a test collection: index it into a temporary index with the\n" +
			"service's mapping, run every query through the same search as the API, and print\n" +
			"nDCG@10, MAP, recall@100 and P@10. Your data directory is not touched.",
		flags: func(fs *pflag.FlagSet, c *Config) {
			ef.fs = fs
			fs.StringVar(&ef.format, "format", "", "collection layout: cranfield (TREC-style XML) or beir (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
			fs.StringVar(&ef.mode, "mode", "", "keyword, hybrid or semantic; default as the API: hybrid with an embeddings endpoint, else keyword")
			fs.BoolVar(&ef.json, "json", false, "print the figures and per-query results as JSON")
			fs.StringVar(&ef.run, "run", "", "also write the rankings to FILE as a TREC run (qid Q0 docid rank score policysearch)")
			fs.Float64Var(&ef.ratio, "semantic-ratio", index.DefaultSemanticRatio, "hybrid: weight of meaning against keywords, 0..1")
			fs.StringVar(&ef.fusion, "fusion", "", "hybrid: rrf or score; default as the API")
			fs.IntVar(&ef.depth, "depth", eval.DefaultDepth, "results read per query (pages of 100, as a client would)")
			fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env POLICYSEARCH_LOG_LEVEL)")
			fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "auto, text or json (env POLICYSEARCH_LOG_FORMAT)")
			embeddingFlags(fs, c)
		},
		do: func(ctx context.Context, cfg *Config, args []string, io ioSet) error {
			return runEval(ctx, cfg, &ef, args, io)
		},
	}
}

func runEval(ctx context.Context, cfg *Config, ef *evalFlags, args []string, io ioSet) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: eval takes one collection directory, e.g. policysearch eval --format cranfield ../shared/eval/cranfield", errUsage)
	}
	if !slices.Contains([]string{eval.FormatCranfield, eval.FormatBEIR}, ef.format) {
		return fmt.Errorf("%w: --format must be %s or %s", errUsage, eval.FormatCranfield, eval.FormatBEIR)
	}
	if !slices.Contains([]string{"", index.ModeKeyword, index.ModeHybrid, index.ModeSemantic}, ef.mode) {
		return fmt.Errorf("%w: --mode must be keyword, hybrid or semantic", errUsage)
	}
	if (ef.mode == index.ModeHybrid || ef.mode == index.ModeSemantic) && cfg.Embeddings.URL == "" {
		return fmt.Errorf("%w: --mode %s needs an embeddings endpoint (--embeddings-url or POLICYSEARCH_EMBEDDINGS_URL)", errUsage, ef.mode)
	}
	if ef.depth < 1 || ef.depth > index.MaxWindow {
		return fmt.Errorf("%w: --depth must be between 1 and %d", errUsage, index.MaxWindow)
	}
	coll, err := eval.Read(ef.format, args[0])
	if err != nil {
		return err
	}
	log := cfg.logger(io.stderr)
	ecfg := eval.Config{Log: log}
	if ef.mode != index.ModeKeyword {
		ecfg.Embeddings = cfg.Embeddings // keyword runs need no vectors
	}
	start := time.Now()
	b, err := eval.Open(ctx, coll, ecfg)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintf(io.stderr, "indexed %d documents in %s", len(coll.Docs)-b.Skipped, time.Since(start).Round(time.Millisecond))
	if b.Skipped > 0 {
		fmt.Fprintf(io.stderr, " (%d skipped: no title or text)", b.Skipped)
	}
	fmt.Fprintln(io.stderr)

	s := eval.Settings{Mode: ef.mode, Fusion: ef.fusion, Depth: ef.depth}
	if ef.fs != nil && ef.fs.Changed("semantic-ratio") {
		s.SemanticRatio = &ef.ratio
	}
	rep, err := b.Run(ctx, s)
	if err != nil {
		return err
	}
	if rep.PlainWords > 0 {
		fmt.Fprintf(io.stderr, "%d of %d queries did not parse as the query language and were searched as plain words\n", rep.PlainWords, rep.Queries)
	}
	if rep.KeywordOnly > 0 {
		fmt.Fprintf(io.stderr, "warning: %d queries were answered by keywords only: the embeddings endpoint failed\n", rep.KeywordOnly)
	}
	if rep.Unjudged > 0 {
		fmt.Fprintf(io.stderr, "%d queries without relevant documents were not scored\n", rep.Unjudged)
	}
	if ef.run != "" {
		if err := writeRunFile(ef.run, rep); err != nil {
			return err
		}
	}
	if ef.json {
		enc := json.NewEncoder(io.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	_, err = fmt.Fprintln(io.stdout, rep.Summary())
	return err
}

func writeRunFile(path string, rep *eval.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteRun(f); err != nil {
		f.Close()
		return fmt.Errorf("write run file: %w", err)
	}
	return f.Close()
}
