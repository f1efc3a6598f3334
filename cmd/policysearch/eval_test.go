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
	"time"

	"policysearch/embedding/embeddingtest"
)

var beirFixture = filepath.Join("..", "..", "eval", "testdata", "beir")

var summaryLine = regexp.MustCompile(`^nDCG@10=\d\.\d{4} MAP=\d\.\d{4} R@100=\d\.\d{4} P@10=\d\.\d{4} queries=\d+( keyword_fallbacks=\d+)?\n$`)

func runEvalCmd(t *testing.T, getenv map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(context.Background(), append([]string{"eval"}, args...), env(getenv), &out, &errs)
	t.Logf("stderr: %s", errs.String())
	return out.String(), errs.String(), err
}

// loopbackModel starts the hashed-stem endpoint and returns the settings
// that select it.
func loopbackModel(t *testing.T) (*embeddingtest.Server, map[string]string) {
	t.Helper()
	srv, err := embeddingtest.Start(64)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, map[string]string{"POLICYSEARCH_EMBEDDINGS_URL": srv.URL(), "POLICYSEARCH_EMBEDDINGS_MODEL": "hashed-stems"}
}

func TestEvalBEIR(t *testing.T) {
	runFile := filepath.Join(t.TempDir(), "run.txt")
	out, stderr, err := runEvalCmd(t, nil, "--format", "beir", "--mode", "keyword", beirFixture, "--run", runFile)
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
	out, _, err := runEvalCmd(t, nil, "--format", "beir", "--mode", "keyword", "--json", beirFixture)
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
	srv, vars := loopbackModel(t)
	cache := t.TempDir()
	for _, mode := range []string{"hybrid", "semantic"} {
		out, stderr, err := runEvalCmd(t, vars, "--format", "beir", "--mode", mode, "--log-level", "warn", "--cache", cache, beirFixture)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if !summaryLine.MatchString(out) || !strings.Contains(out, "keyword_fallbacks=0") || strings.Contains(stderr, "answered by keywords only") {
			t.Errorf("%s: stdout %q, stderr %q", mode, out, stderr)
		}
	}
	if srv.Inputs() == 0 {
		t.Error("the embeddings endpoint was never called")
	}
}

// TestEvalBuiltinByDefault: with no endpoint configured eval runs hybrid
// with the model inside the binary, and no query falls back to keywords.
func TestEvalBuiltinByDefault(t *testing.T) {
	out, stderr, err := runEvalCmd(t, nil, "--format", "beir", "--baseline", "keyword", "--cache", t.TempDir(), beirFixture)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "model builtin:use-lite@") || !strings.Contains(out, "keyword_fallbacks=0") || !strings.Contains(out, "vs keyword") {
		t.Errorf("stdout %q, stderr %q: want a hybrid run with the built-in model and no fallbacks", out, stderr)
	}
}

// TestEvalCacheKeepsVectors runs eval twice on one cache: the second run
// sends the model only the queries, no passage.
func TestEvalCacheKeepsVectors(t *testing.T) {
	srv, vars := loopbackModel(t)
	cache := t.TempDir()
	args := []string{"--format", "beir", "--mode", "semantic", "--log-level", "warn", "--cache", cache, beirFixture}
	first, _, err := runEvalCmd(t, vars, args...)
	if err != nil {
		t.Fatal(err)
	}
	afterFirst := srv.Inputs()
	second, stderr, err := runEvalCmd(t, vars, args...)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("second run scored %q, first %q", second, first)
	}
	const queries = 3 // the fixture's judged queries, one input each
	if sent := srv.Inputs() - afterFirst; sent != queries {
		t.Errorf("second run sent %d inputs, want only its %d queries", sent, queries)
	}
	if !strings.Contains(stderr, "0 inputs embedded this run") {
		t.Errorf("stderr does not say nothing was embedded: %q", stderr)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "beir-*", "hashed-stems-*.db"))
	if len(files) != 1 {
		t.Errorf("cache holds %v, want one store for the collection and model", files)
	}
}

// TestEvalQueriesWaitForTheModel: a model slower than the service's
// query timeout still gives every eval query its vector.
func TestEvalQueriesWaitForTheModel(t *testing.T) {
	srv, vars := loopbackModel(t)
	srv.Delay = 300 * time.Millisecond
	srv.SetFault(embeddingtest.Slow, -1)
	vars["POLICYSEARCH_EMBEDDINGS_QUERY_TIMEOUT"] = "50ms"
	out, stderr, err := runEvalCmd(t, vars, "--format", "beir", "--mode", "hybrid", "--log-level", "warn", "--cache", "off", beirFixture)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "keyword_fallbacks=0") || strings.Contains(stderr, "keywords only") {
		t.Errorf("queries fell back to keywords: stdout %q, stderr %q", out, stderr)
	}
}

func TestEvalBaselineReportsPairedDifference(t *testing.T) {
	_, vars := loopbackModel(t)
	out, _, err := runEvalCmd(t, vars, "--format", "beir", "--mode", "semantic", "--baseline", "keyword", "--cache", t.TempDir(), beirFixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := regexp.MustCompile(`^vs keyword \(nDCG@10=\d\.\d{4}\): [+-]\d\.\d{4} ± \d\.\d{4} paired SE \([+-]\d+\.\d SE\)$`)
	if len(lines) != 2 || !summaryLine.MatchString(lines[0]+"\n") || !want.MatchString(lines[1]) {
		t.Errorf("stdout = %q, want the summary and a comparison line", out)
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
		{"hybrid without endpoint", []string{"--format", "beir", "--mode", "hybrid", "--embeddings", "off", beirFixture}},
		{"semantic baseline without endpoint", []string{"--format", "beir", "--baseline", "semantic", "--embeddings", "off", beirFixture}},
		{"bad baseline", []string{"--format", "beir", "--baseline", "fuzzy", beirFixture}},
		{"bad embeddings source", []string{"--format", "beir", "--embeddings", "ftp://x", beirFixture}},
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
