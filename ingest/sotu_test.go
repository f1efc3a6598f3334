package ingest

import (
	"context"
	"os"
	"testing"

	"policysearch/index"
)

// TestSOTUCorpus loads the shared State of the Union corpus exactly as it
// ships: the real-world check that JSONL aliases (year, author) and Extra
// work end to end.
func TestSOTUCorpus(t *testing.T) {
	const path = "../../shared/corpora/sotu.jsonl"
	if _, err := os.Stat(path); err != nil {
		t.Skip("../shared not present: skipping SOTU corpus test")
	}
	var docs []index.Document
	err := Walk(context.Background(), []string{path}, func(p string, r Record) error {
		if r.Err != nil {
			t.Errorf("%s line %d: %v", p, r.Line, r.Err)
		}
		docs = append(docs, r.Doc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 233 {
		t.Fatalf("got %d documents, want 233", len(docs))
	}
	first, last := docs[0], docs[232]
	checks := []struct{ field, got, want string }{
		{"first id", first.ID, "sotu-1790-george-washington-n"},
		{"first published", first.Published.String(), "1790"},
		{"first author", first.Authors[0], "George Washington"},
		{"first party", str(first.Extra["party"]), "none"},
		{"first title", first.Title, "State of the Union Address (1790, George Washington)"},
		{"origin", first.Origin, abs(t, path)},
		{"last id", last.ID, "sotu-2021-joseph-r-biden-d"},
		{"last party", str(last.Extra["party"]), "Democratic"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
		}
	}
	if first.Published.Precision != index.Year {
		t.Errorf("published precision: got %v, want Year", first.Published.Precision)
	}
	if len(first.Text) < 1000 || first.Text[:12] != "Fellow-Citiz" {
		t.Errorf("text: got %d bytes starting %q", len(first.Text), first.Text[:min(20, len(first.Text))])
	}
	ids := map[string]bool{}
	for _, d := range docs {
		if ids[d.ID] {
			t.Errorf("duplicate id %s", d.ID)
		}
		ids[d.ID] = true
	}
}
