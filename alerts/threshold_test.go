package alerts

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policysearch/embedding"
)

// TestDefaultThresholdPrecision is how DefaultThreshold was calibrated,
// and it fails if the threshold stops meaning what its comment says. Each
// development claim of ../shared/eval/perspectrum-dev (139 policy-debate
// claims, 11,112 one-sentence perspectives) is compared with every
// perspective by the configured model (POLICYSEARCH_EMBEDDINGS_URL and
// _MODEL: the reference Universal Sentence Encoder lite in development);
// a pair above the threshold is an alert that fires. Precision is the
// share of fired pairs a judge marked relevant to the claim; unjudged
// pairs count as false alarms, so it is a lower bound.
func TestDefaultThresholdPrecision(t *testing.T) {
	url, model := os.Getenv("POLICYSEARCH_EMBEDDINGS_URL"), os.Getenv("POLICYSEARCH_EMBEDDINGS_MODEL")
	if url == "" || model == "" {
		t.Skip("set POLICYSEARCH_EMBEDDINGS_URL and POLICYSEARCH_EMBEDDINGS_MODEL to calibrate against a real model")
	}
	shared := filepath.Join("..", "..", "shared")
	if d := os.Getenv("POLICYSEARCH_SHARED"); d != "" { // a worktree's ../shared may be elsewhere
		shared = d
	}
	dir := filepath.Join(shared, "eval", "perspectrum-dev")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("perspectrum-dev not found at %s: %v", dir, err)
	}
	claims := readJSONL(t, filepath.Join(dir, "queries.jsonl"), func(m map[string]any) bool {
		md, _ := m["metadata"].(map[string]any)
		return md["split"] == "dev"
	})
	docs := readJSONL(t, filepath.Join(dir, "corpus.jsonl"), nil)
	rel := readQrels(t, filepath.Join(dir, "qrels", "test.tsv"))

	c := embedding.NewClient(url, model, "", time.Minute)
	ctx := context.Background()
	cv := embedAll(t, ctx, c, claims)
	dv := embedAll(t, ctx, c, docs)

	thresholds := []float64{0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.72, 0.74, 0.75, 0.76, 0.78, 0.8, 0.85}
	fired := make([]int, len(thresholds))
	right := make([]int, len(thresholds))
	totalRel := 0
	for i, cl := range claims {
		totalRel += len(rel[cl.id])
		for j, d := range docs {
			sim := dot(cv[i], dv[j])
			for k, th := range thresholds {
				if sim >= th {
					fired[k]++
					if rel[cl.id][d.id] {
						right[k]++
					}
				}
			}
		}
	}
	at := -1
	for k, th := range thresholds {
		p := float64(right[k]) / float64(max(fired[k], 1))
		r := float64(right[k]) / float64(max(totalRel, 1))
		t.Logf("threshold %.2f: %7d alerts, precision %.3f, recall %.3f", th, fired[k], p, r)
		if th == DefaultThreshold {
			at = k
		}
	}
	if at < 0 {
		t.Fatalf("DefaultThreshold %.2f is not among the thresholds measured", DefaultThreshold)
	}
	if p := float64(right[at]) / float64(max(fired[at], 1)); p < minCalibratedPrecision {
		t.Errorf("precision at DefaultThreshold %.2f is %.3f, want at least %.2f", DefaultThreshold, p, minCalibratedPrecision)
	}
}

// minCalibratedPrecision is the precision DefaultThreshold was chosen
// for on perspectrum-dev (see TestDefaultThresholdPrecision).
const minCalibratedPrecision = 0.5

type textItem struct{ id, text string }

func readJSONL(t *testing.T, path string, keep func(map[string]any) bool) []textItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []textItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if keep != nil && !keep(m) {
			continue
		}
		id, _ := m["_id"].(string)
		text, _ := m["text"].(string)
		out = append(out, textItem{id, text})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readQrels(t *testing.T, path string) map[string]map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) < 3 || f[2] == "0" {
			continue
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]bool{}
		}
		out[f[0]][f[1]] = true
	}
	return out
}

func embedAll(t *testing.T, ctx context.Context, c *embedding.Client, items []textItem) [][]float32 {
	t.Helper()
	out := make([][]float32, 0, len(items))
	for start := 0; start < len(items); start += 256 {
		batch := items[start:min(start+256, len(items))]
		in := make([]string, len(batch))
		for i, it := range batch {
			in[i] = it.text
		}
		vs, err := c.Embed(ctx, in)
		if err != nil {
			t.Fatalf("embed: %v", err)
		}
		out = append(out, vs...)
	}
	return out
}

func dot(a, b []float32) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}
