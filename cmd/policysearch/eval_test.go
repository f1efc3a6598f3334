package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"policysearch/embedding/embeddingtest"
)

var beirFixture = filepath.Join("..", "..", "eval", "testdata", "beir")

var summaryLine = regexp.MustCompile(`^nDCG@10=\d\.\d{4} MAP=\d\.\d{4} R@100=\d\.\d{4} P@10=\d\.\d{4} queries=\d+\n$`)

func runEvalCmd(t *testing.T, getenv map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(context.Background(), append([]string{"eval"}, args...), env(getenv), &out, &errs)
	t.Logf("stderr: %s", errs.String())
	return out.String(), errs.String(), err
}

func TestEvalBEIR(t *testing.T) {
	runFile := filepath.Join(t.TempDir(), "run.txt")
	out, stderr, err := runEvalCmd(t, nil, "--format", "beir", beirFixture, "--run", runFile)
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	if !summaryLine.MatchString(out) {
		t.Fatalf("stdout = %q, want one summary line", out)
	}
	// The figures are worked out in eval/bench_test.go.
	if want := "nDCG@10=0.9201 MAP=0.8333 R@100=0.8333 P@10=0.1333 queries=3\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if !strings.Contains(stderr, "1 of 3 queries did not parse") {
		t.Errorf("stderr = %q, want the plain-words count", stderr)
	}
	b, err := os.ReadFile(runFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) != 6 || f[1] != "Q0" || f[5] != "policysearch" {
			t.Errorf("run line %q, want qid Q0 docid rank score policysearch", line)
		}
	}
}

func TestEvalJSON(t *testing.T) {
	out, _, err := runEvalCmd(t, nil, "--format", "beir", "--json", beirFixture)
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"nDCG@10", "MAP", "R@100", "P@10", "queries", "per_query"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out)
		}
	}
	if pq, _ := got["per_query"].([]any); len(pq) != 3 {
		t.Errorf("per_query has %d entries, want 3", len(pq))
	}
}

func TestEvalHybridAgainstLoopbackModel(t *testing.T) {
	srv, err := embeddingtest.Start(64)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	vars := map[string]string{"POLICYSEARCH_EMBEDDINGS_URL": srv.URL(), "POLICYSEARCH_EMBEDDINGS_MODEL": "hashed-stems"}
	for _, mode := range []string{"hybrid", "semantic"} {
		out, stderr, err := runEvalCmd(t, vars, "--format", "beir", "--mode", mode, "--log-level", "warn", beirFixture)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if !summaryLine.MatchString(out) || strings.Contains(stderr, "answered by keywords only") {
			t.Errorf("%s: stdout %q, stderr %q", mode, out, stderr)
		}
	}
	if srv.Inputs() == 0 {
		t.Error("the embeddings endpoint was never called")
	}
}

func TestEvalUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"no format", []string{beirFixture}},
		{"bad format", []string{"--format", "trec", beirFixture}},
		{"no directory", []string{"--format", "beir"}},
		{"bad mode", []string{"--format", "beir", "--mode", "fuzzy", beirFixture}},
		{"hybrid without endpoint", []string{"--format", "beir", "--mode", "hybrid", beirFixture}},
		{"depth out of range", []string{"--format", "beir", "--depth", "20000", beirFixture}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runEvalCmd(t, nil, c.args...)
			if !errors.Is(err, errUsage) {
				t.Errorf("err = %v, want a usage error", err)
			}
		})
	}
}
