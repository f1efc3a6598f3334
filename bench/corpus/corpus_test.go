package corpus

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSentencesAndWindows(t *testing.T) {
	got := sentences("One two. Three four? Five six! Seven")
	want := []string{"One two.", "Three four?", "Five six!", "Seven"}
	if !slices.Equal(got, want) {
		t.Errorf("sentences = %q, want %q", got, want)
	}
	words := strings.Fields("a b c d e f g")
	if got, want := windows(words, 0, 3), []string{"a b c", "d e f", "g"}; !slices.Equal(got, want) {
		t.Errorf("windows(0) = %q, want %q", got, want)
	}
	if got, want := windows(words, 1, 3), []string{"a", "b c d", "e f g"}; !slices.Equal(got, want) {
		t.Errorf("windows(1) = %q, want %q", got, want)
	}
	if got, want := groupSentences("A b. C d e. F.", 3), []string{"A b. C d e.", "F."}; !slices.Equal(got, want) {
		t.Errorf("groupSentences = %q, want %q", got, want)
	}
}

// TestSOTUCorpora checks the sizes the benchmarks rely on, on the real
// corpus: skipped without ../shared.
func TestSOTUCorpora(t *testing.T) {
	speeches, path := sotuSpeeches(t)
	totalWords := 0
	for _, s := range speeches {
		totalWords += len(strings.Fields(s.Text))
	}
	for _, c := range []struct {
		size     string
		lo, hi   int
		maxWords int
		copies   int
	}{{"10k", 9500, 10500, 0, 1}, {"100k", 95000, 105000, 36, 2}} {
		docs, err := Build(speeches, c.size)
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) < c.lo || len(docs) > c.hi {
			t.Errorf("%s: %d passages, want %d..%d", c.size, len(docs), c.lo, c.hi)
		}
		ids, words := map[string]bool{}, 0
		for _, d := range docs {
			if ids[d.ID] {
				t.Fatalf("%s: duplicate id %s", c.size, d.ID)
			}
			ids[d.ID] = true
			n := len(strings.Fields(d.Text))
			words += n
			if c.maxWords > 0 && n > c.maxWords {
				t.Fatalf("%s: %s has %d words", c.size, d.ID, n)
			}
			if d.Title == "" || d.Author == "" || len(d.Published) != 4 || d.Source == "" {
				t.Fatalf("%s: incomplete passage %+v", c.size, d)
			}
		}
		if words != c.copies*totalWords {
			t.Errorf("%s: %d words, want %d (every word of the corpus %d times)", c.size, words, c.copies*totalWords, c.copies)
		}
		t.Logf("%s: %d passages, %d words", c.size, len(docs), words)
		if c.size == "10k" {
			qs := Queries(docs)
			if len(qs) != QueryCount || len(Queries(docs)) != QueryCount || !slices.Equal(qs, Queries(docs)) {
				t.Fatalf("queries: %d, not deterministic or not %d", len(qs), QueryCount)
			}
			log := ZipfLog(qs, 5000, 1.1)
			if d := Distinct(log); d < 100 || d > 800 {
				t.Errorf("zipf log has %d distinct requests", d)
			}
			t.Logf("queries: %q ... %q; zipf log of 5000 has %d distinct requests", qs[:3], qs[len(qs)-3:], Distinct(log))
		}
	}
	dir := t.TempDir()
	p, docs, err := Ensure(dir, path, "10k")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	var first Doc
	if err := json.Unmarshal(lines[0], &first); err != nil || first != docs[0] || len(lines) != len(docs) {
		t.Errorf("%s: %d lines, first %+v; want %d, %+v (%v)", filepath.Base(p), len(lines), first, len(docs), docs[0], err)
	}
}
