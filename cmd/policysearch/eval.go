package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
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
	cache  string
	base   string
	cmpRun string
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
			fs.StringVar(&ef.mode, "mode", "", "keyword, hybrid or semantic; default as the API: hybrid, or keyword with --embeddings off")
			fs.BoolVar(&ef.json, "json", false, "print the figures and per-query results as JSON")
			fs.StringVar(&ef.run, "run", "", "also write the rankings to FILE as a TREC run (qid Q0 docid rank score policysearch)")
			fs.Float64Var(&ef.ratio, "semantic-ratio", index.DefaultSemanticRatio, "hybrid: weight of meaning against keywords, 0..1")
			fs.StringVar(&ef.fusion, "fusion", "", "hybrid: rrf or score; default as the API")
			fs.IntVar(&ef.depth, "depth", eval.DefaultDepth, "results read per query (pages of 100, as a client would)")
			fs.StringVar(&ef.cache, "cache", "", "directory that keeps embedding vectors between runs, per collection and model; default policysearch/eval in the user cache directory; off = embed into a throwaway store")
			fs.StringVar(&ef.base, "baseline", "", "also run this mode (keyword, hybrid or semantic) and report the nDCG@10 difference with its paired standard error")
			fs.StringVar(&ef.cmpRun, "compare-run", "", "also score the TREC run FILE (e.g. written by another version with --run) and report the nDCG@10 difference with its paired standard error")
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
	if !slices.Contains([]string{"", index.ModeKeyword, index.ModeHybrid, index.ModeSemantic}, ef.base) {
		return fmt.Errorf("%w: --baseline must be keyword, hybrid or semantic", errUsage)
	}
	src, err := cfg.embeddingsSource()
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	for _, m := range []string{ef.mode, ef.base} {
		if (m == index.ModeHybrid || m == index.ModeSemantic) && src == embeddingsOff {
			return fmt.Errorf("%w: --mode or --baseline %s needs embeddings (--embeddings or POLICYSEARCH_EMBEDDINGS)", errUsage, m)
		}
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
	if src != embeddingsOff && (ef.mode != index.ModeKeyword || (ef.base != "" && ef.base != index.ModeKeyword)) {
		// keyword runs need no vectors
		if ecfg, err = evalSemantic(cfg, ef, args[0], log); err != nil {
			return err
		}
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
	if sum, ok := b.Embeddings(); ok {
		fmt.Fprintf(io.stderr, "embeddings: model %s, %d passages (%.2f per document, %d over the %d-token limit), %d inputs embedded this run",
			sum.Model, sum.Passages, sum.PassagesPerDocument, sum.InputsOverLimit, sum.MaxTokens, sum.Inputs)
		if ecfg.Store != "" {
			fmt.Fprintf(io.stderr, ", the rest from %s", ecfg.Store)
		}
		fmt.Fprintln(io.stderr)
	}

	s := eval.Settings{Mode: ef.mode, Fusion: ef.fusion, Depth: ef.depth}
	if ef.fs != nil && ef.fs.Changed("semantic-ratio") {
		s.SemanticRatio = &ef.ratio
	}
	rep, err := b.Run(ctx, s)
	if err != nil {
		return err
	}
	if ef.base != "" {
		base, err := b.Run(ctx, eval.Settings{Mode: ef.base, Depth: ef.depth})
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		cmp, err := eval.Compare(rep, base)
		if err != nil {
			return err
		}
		rep.Baseline = &cmp
	}
	if ef.cmpRun != "" {
		if rep.Baseline != nil {
			return fmt.Errorf("%w: give --baseline or --compare-run, not both", errUsage)
		}
		cmp, err := compareRun(b, rep, ef.cmpRun)
		if err != nil {
			return err
		}
		rep.Baseline = &cmp
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
	if _, err = fmt.Fprintln(io.stdout, rep.Summary()); err != nil || rep.Baseline == nil {
		return err
	}
	_, err = fmt.Fprintln(io.stdout, rep.Baseline.String())
	return err
}

// evalSemantic configures eval's semantic layer: the model the settings
// name, and its store in the cache unless --cache off.
func evalSemantic(cfg *Config, ef *evalFlags, collDir string, log *slog.Logger) (eval.Config, error) {
	ecfg := eval.Config{Log: log, Embeddings: cfg.Embeddings}
	_, m, err := cfg.semanticModel()
	if err != nil {
		return ecfg, err
	}
	model := cfg.Embeddings.Model
	if m != nil {
		ecfg.Model, model = m, m.Model()
	}
	if ef.cache == "off" {
		return ecfg, nil
	}
	root := ef.cache
	if root == "" {
		if root, err = eval.DefaultCacheRoot(); err != nil {
			return ecfg, fmt.Errorf("no user cache directory (%v): give --cache DIR or --cache off", err)
		}
	}
	ecfg.Store, err = eval.CacheFile(root, collDir, model)
	return ecfg, err
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

// compareRun pairs rep with the saved run at path, query by query.
func compareRun(b *eval.Bench, rep *eval.Report, path string) (eval.Comparison, error) {
	f, err := os.Open(path)
	if err != nil {
		return eval.Comparison{}, err
	}
	defer f.Close()
	run, err := eval.ReadRun(f)
	if err != nil {
		return eval.Comparison{}, fmt.Errorf("%s: %w", path, err)
	}
	return eval.Compare(rep, b.ScoreRun(run, "run "+path))
}
