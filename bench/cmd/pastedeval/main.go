// Command pastedeval writes an eval collection of long pasted queries
// (bench/corpus.WritePastedEval) for timing `policysearch eval` on them:
//
//	go run ./bench/cmd/pastedeval -out /tmp/pasted-eval
//	go run ./cmd/policysearch eval --format beir --mode keyword --embeddings off /tmp/pasted-eval
package main

import (
	"flag"
	"fmt"
	"os"

	"policysearch/bench/corpus"
)

func main() {
	out := flag.String("out", "", "directory to write the collection to (required; not inside the repository)")
	sotu := flag.String("sotu", "", "path of sotu.jsonl (default ../shared/corpora/sotu.jsonl beside the module)")
	docs := flag.Int("docs", corpus.PastedEvalDocs, "passages")
	queries := flag.Int("queries", corpus.PastedEvalQueries, "pasted queries")
	flag.Parse()
	if err := run(*out, *sotu, *docs, *queries); err != nil {
		fmt.Fprintln(os.Stderr, "pastedeval:", err)
		os.Exit(1)
	}
}

func run(out, sotu string, docs, queries int) error {
	if out == "" || docs < 1 || queries < 1 {
		return fmt.Errorf("-out is required, -docs and -queries must be 1 or more")
	}
	if sotu == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		if sotu, err = corpus.FindSOTU(wd); err != nil {
			return err
		}
	}
	speeches, err := corpus.ReadSOTU(sotu)
	if err != nil {
		return err
	}
	if err := corpus.WritePastedEval(out, speeches, docs, queries); err != nil {
		return err
	}
	fmt.Printf("wrote %d passages and %d queries to %s\n", docs, queries, out)
	return nil
}
