package corpus

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWritePastedEval builds a small pasted-query collection twice and
// checks that it is the same both times, that every judgment names a
// written query and passage, and that a judged passage does hold a whole
// sentence of its query.
func TestWritePastedEval(t *testing.T) {
	speeches, _ := sotuSpeeches(t)
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := WritePastedEval(dir, speeches, 2000, 40); err != nil {
			t.Fatal(err)
		}
	}
	read := func(dir, name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, name := range []string{"corpus.jsonl", "queries.jsonl", "qrels/test.tsv"} {
		if !bytes.Equal(read(a, name), read(b, name)) {
			t.Fatalf("%s differs between two builds", name)
		}
	}
	docs := map[string]string{}
	for _, d := range sampled(speeches, 2000) {
		docs[d.ID] = sentenceKey(d.Text)
	}
	queries := map[string]string{}
	for i, q := range Pasted(speeches, 40) {
		queries[fmt.Sprintf("pq%04d", i+1)] = q
	}
	lines := strings.Split(strings.TrimSpace(string(read(a, "qrels/test.tsv"))), "\n")
	if lines[0] != "query-id\tcorpus-id\tscore" || len(lines) < 11 {
		t.Fatalf("qrels: header %q, %d lines", lines[0], len(lines))
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		q, ok := queries[f[0]]
		doc, found := docs[f[1]]
		if !ok || !found {
			t.Fatalf("judgment %q names an unknown query or passage", l)
		}
		held := false
		sents := sentences(q)
		for _, s := range sents[:len(sents)-1] {
			held = held || strings.Contains(doc, sentenceKey(s))
		}
		if !held {
			t.Errorf("judgment %q: the passage holds no whole sentence of the query", l)
		}
	}
}

// sotuSpeeches reads the real speeches and says where they are, or
// skips the test without ../shared.
func sotuSpeeches(t *testing.T) ([]Speech, string) {
	t.Helper()
	wd, _ := os.Getwd()
	path, err := FindSOTU(wd)
	if err != nil {
		t.Skipf("../shared not present: %v", err)
	}
	speeches, err := ReadSOTU(path)
	if err != nil {
		t.Fatal(err)
	}
	return speeches, path
}
