package index_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"policysearch/index"
	"policysearch/ingest"
)

// sotuIndex indexes the 233 State of the Union addresses of ../shared,
// as the API's loader reads them, or skips the test when they are absent.
func sotuIndex(t *testing.T) *index.Index {
	t.Helper()
	shared := "../../shared"
	if d := os.Getenv("POLICYSEARCH_SHARED"); d != "" { // a worktree's ../shared may be elsewhere
		shared = d
	}
	path := filepath.Join(shared, "corpora", "sotu.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("../shared not present (%v): skipping the SOTU test", err)
	}
	defer f.Close()
	var docs []index.Document
	if err := ingest.Load(context.Background(), path, f, "", func(r ingest.Record) error {
		docs = append(docs, r.Doc)
		return r.Err
	}); err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.Put(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestSOTUSuggestions is the typo case on a real corpus, where a
// prefix dictionary's counts fell short of the documents holding a word
// (7 of 21 for "tariffs") and hid every correction.
func TestSOTUSuggestions(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU suggestions run")
	}
	ix := sotuIndex(t)
	for _, c := range []struct{ q, want string }{
		{"tarrifs", "tariffs"},
		{"inflaton", "inflation"},
		{"goverment", "government"},
		{"tarrifs on wool", "tariffs on wool"},
	} {
		r, err := ix.Search(context.Background(), index.Query{Text: c.q, Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		if r.Suggestion != c.want {
			t.Errorf("%q: suggestion %q, want %q (%d hits)", c.q, r.Suggestion, c.want, r.Total)
		}
	}
}
