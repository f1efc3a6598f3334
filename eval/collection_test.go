package eval

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestReadCranfield(t *testing.T) {
	c, err := Read(FormatCranfield, filepath.Join("testdata", "cranfield"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != 3 {
		t.Fatalf("docs = %d, want 3", len(c.Docs))
	}
	d := c.Docs[0]
	if d.ID != "1" || d.Title != "experimental investigation of the aerodynamics of a wing in a slipstream ." ||
		d.Author != "brenckman,m." || d.Bib != "j. ae. scs. 25, 1958, 324." {
		t.Errorf("doc 1 = %+v", d)
	}
	// Query ids are positions: the third query has <num> 4 but id 3.
	wantQ := []Query{
		{"1", "what is the lift distribution of a wing in a propeller slipstream ."},
		{"2", "viscous shear flow past a flat plate ."},
		{"3", "heat conduction in composite slabs (papers) ."},
	}
	if len(c.Queries) != len(wantQ) {
		t.Fatalf("queries = %+v, want %+v", c.Queries, wantQ)
	}
	for i := range wantQ {
		if c.Queries[i] != wantQ[i] {
			t.Errorf("query %d = %+v, want %+v", i, c.Queries[i], wantQ[i])
		}
	}
	// CRLF endings, a doubled space and a last line without a newline.
	want := map[string]map[string]int{"1": {"1": 1, "2": 0}, "2": {"2": 1}, "3": {"1": 0}}
	for q, j := range want {
		if !maps.Equal(c.Qrels[q], j) {
			t.Errorf("qrels[%s] = %v, want %v", q, c.Qrels[q], j)
		}
	}
	if c.IgnoreIdentical {
		t.Error("Cranfield query ids are positions, not document ids: identical ids must count")
	}
}

func TestReadBEIR(t *testing.T) {
	c, err := Read(FormatBEIR, filepath.Join("testdata", "beir"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != 5 || c.Docs[4].ID != "q2" || c.Docs[4].Title != "Rent control" {
		t.Errorf("docs = %+v", c.Docs)
	}
	var ids []string
	for _, q := range c.Queries {
		ids = append(ids, q.ID)
	}
	// q3 has no judgments, so BEIR's loader drops it.
	if want := []string{"q1", "q2", "q4", "q5"}; !slices.Equal(ids, want) {
		t.Errorf("queries = %v, want %v", ids, want)
	}
	if c.Qrels["q1"]["d1"] != 2 || c.Qrels["q5"]["d3"] != 0 || len(c.Qrels["query-id"]) != 0 {
		t.Errorf("qrels = %v (the header line must be skipped)", c.Qrels)
	}
	if !c.IgnoreIdentical {
		t.Error("BEIR ignores a hit whose id is the query id")
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read("trec", dir); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := Read(FormatBEIR, dir); err == nil {
		t.Error("empty directory accepted")
	}
	os.MkdirAll(filepath.Join(dir, "qrels"), 0o755)
	os.WriteFile(filepath.Join(dir, "corpus.jsonl"), []byte(`{"_id":"a","text":"x"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "queries.jsonl"), []byte(`{"_id":"q","text":"x"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "qrels", "test.tsv"), []byte("query-id\tcorpus-id\tscore\nq a 1\n"), 0o644)
	if _, err := Read(FormatBEIR, dir); err == nil {
		t.Error("qrels without tabs accepted")
	}
}
