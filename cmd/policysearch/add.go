package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"policysearch/index"
	"policysearch/ingest"
)

func addCmd() command {
	return command{
		name:  "add",
		usage: "PATH... | -",
		summary: "Add or update documents from files and folders (recursively), or NDJSON on stdin with '-'.\n" +
			"Formats: .txt, .md (YAML front matter), .html, .pdf, .json, .jsonl/.ndjson. Unchanged documents are skipped.",
		flags: storeFlags,
		do:    add,
	}
}

// addSummary counts what an add did, for the closing line.
type addSummary struct {
	added, updated, unchanged, failed int
}

func add(ctx context.Context, cfg *Config, args []string, io ioSet) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: add needs at least one path, or - for NDJSON on stdin", errUsage)
	}
	ix, done, err := openStore(ctx, cfg, io)
	if err != nil {
		return err
	}
	defer done()

	start := time.Now()
	var sum addSummary
	bar := newProgress(io.stderr)
	bulk := index.NewBulk(ctx, ix, func(items []index.BulkItem[string]) error {
		for _, it := range items {
			switch {
			case it.Err != nil && it.Doc != nil:
				return it.Err // the store failed, not the input
			case it.Err != nil:
				sum.failed++
				if bar != nil {
					_ = bar.Clear()
				}
				fmt.Fprintf(io.stderr, "failed: %s: %v\n", it.Tag, it.Err)
			case it.Status == index.Added:
				sum.added++
			case it.Status == index.Updated:
				sum.updated++
			default:
				sum.unchanged++
			}
		}
		if bar != nil {
			_ = bar.Add(len(items))
		}
		return nil
	})
	defer bulk.Close() // a no-op after the Close below, but a panic must not leave its goroutine behind
	collect := func(path string, rec ingest.Record) error {
		loc := path
		if rec.Line > 0 {
			loc = fmt.Sprintf("%s:%d", path, rec.Line)
		}
		if rec.Err != nil {
			return bulk.Fail(loc, rec.Err)
		}
		rec.Doc.EnsureID()
		return bulk.Add(loc, rec.Doc)
	}
	for _, p := range args {
		if p == "-" {
			err = ingest.JSONLines(ctx, "", io.stdin, ingest.DefaultMaxLine, func(r ingest.Record) error { return collect("stdin", r) })
		} else {
			err = ingest.Walk(ctx, []string{p}, collect)
		}
		if err != nil {
			break
		}
	}
	if cerr := bulk.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(io.stderr)
	}
	fmt.Fprintf(io.stdout, "added %d, updated %d, unchanged %d, failed %d in %s\n",
		sum.added, sum.updated, sum.unchanged, sum.failed, time.Since(start).Round(time.Millisecond))
	if sum.failed > 0 {
		return fmt.Errorf("%d document(s) could not be added; see the reasons above", sum.failed)
	}
	return nil
}

// newProgress shows a live count on a terminal and nothing elsewhere, so
// logs and pipes stay clean.
func newProgress(w io.Writer) *progressbar.ProgressBar {
	if !isTerminal(w) {
		return nil
	}
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("indexing"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("docs"),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}
