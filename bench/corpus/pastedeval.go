package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Pasted-query eval sizes: issue 17's policy-debate set had 1,400
// paragraph-long queries over about 8,700 documents.
const (
	PastedEvalDocs    = 8700
	PastedEvalQueries = 1400
)

// WritePastedEval writes an eval collection in BEIR's layout
// (corpus.jsonl, queries.jsonl, qrels/test.tsv) to dir: the first docs
// passages of the 1m corpus's sampling, and queries pasted paragraphs
// (Pasted) whose relevant passages are those that hold one of the
// paragraph's whole sentences, graded by how many they hold. It is for
// timing eval on long queries and for checking that a long query still
// finds the passages it was cut beside; the judgments are mechanical,
// not a relevance set.
func WritePastedEval(dir string, speeches []Speech, docs, queries int) error {
	passages := sampled(speeches, docs)
	holders := map[string][]int{} // sentence → passages that hold it
	for i, d := range passages {
		for _, s := range sentences(d.Text) {
			k := sentenceKey(s)
			holders[k] = append(holders[k], i)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "qrels"), 0o755); err != nil {
		return err
	}
	corpus := make([]map[string]string, len(passages))
	for i, d := range passages {
		corpus[i] = map[string]string{"_id": d.ID, "title": d.Title, "text": d.Text}
	}
	var qs []map[string]string
	qrels := []string{"query-id\tcorpus-id\tscore"}
	for i, text := range Pasted(speeches, queries) {
		id := fmt.Sprintf("pq%04d", i+1)
		qs = append(qs, map[string]string{"_id": id, "text": text})
		sents := sentences(text)
		grade := map[int]int{}
		for _, s := range sents[:len(sents)-1] { // the last one is cut short
			for _, p := range holders[sentenceKey(s)] {
				grade[p]++
			}
		}
		for p := range passages { // in corpus order, so the file is the same every time
			if g := grade[p]; g > 0 {
				qrels = append(qrels, fmt.Sprintf("%s\t%s\t%d", id, passages[p].ID, g))
			}
		}
	}
	if err := writeLines(filepath.Join(dir, "corpus.jsonl"), corpus); err != nil {
		return err
	}
	if err := writeLines(filepath.Join(dir, "queries.jsonl"), qs); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "qrels", "test.tsv"), []byte(strings.Join(qrels, "\n")+"\n"), 0o644)
}

// sentenceKey compares sentences whatever their spacing.
func sentenceKey(s string) string { return strings.Join(strings.Fields(s), " ") }

func writeLines(path string, rows []map[string]string) error {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
