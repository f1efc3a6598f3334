package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// chaosSearchTimeout is the search deadline the query chaos tests run
// the server with: every answer must come within it plus a second.
const chaosSearchTimeout = 4 * time.Second

// babelCorpus is n documents of words from a vocabulary of 30,000
// random three- to nine-letter words: a term dictionary as rich as a real
// corpus, so that fuzzy and prefix terms expand to thousands of words.
func babelCorpus(t *testing.T, n int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(14, 2))
	vocab := make([]string, 30_000)
	for i := range vocab {
		b := make([]byte, 3+rng.IntN(7))
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		vocab[i] = string(b)
	}
	var nd bytes.Buffer
	for i := range n {
		words := make([]string, 400)
		for j := range words {
			words[j] = vocab[rng.IntN(len(vocab))]
		}
		nd.Write(docJSON(t, map[string]any{"id": fmt.Sprintf("b%d", i), "title": strings.Join(words[:6], " "), "text": strings.Join(words, " ")}))
		nd.WriteByte('\n')
	}
	return nd.Bytes()
}

// fuzzyBomb is the query of issue 14: 200 three-letter terms with ~2.
func fuzzyBomb(rng *rand.Rand) string {
	terms := make([]string, 200)
	for i := range terms {
		terms[i] = string([]byte{byte('a' + rng.IntN(26)), byte('a' + rng.IntN(26)), byte('a' + rng.IntN(26))}) + "~2"
	}
	return strings.Join(terms, " OR ")
}

// costliestAllowed are queries at the limits: 16 expanding terms (the
// most allowed) of the costliest kinds, padded with plain words to the
// 4 KB query limit.
func costliestAllowed(rng *rand.Rand, kind int) string {
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	terms := make([]string, 16)
	for i := range terms {
		switch kind % 3 {
		case 0:
			terms[i] = word(6) + "~2" // the most edits a word may use
		case 1:
			terms[i] = word(1) + "*" // the widest prefix
		default:
			terms[i] = word(3) + "~1"
		}
	}
	q := strings.Join(terms, " ")
	if kind%3 != 1 {
		for len(q) < 4090 {
			q += " " + word(3)
		}
	}
	return q[:min(len(q), 4096)]
}

// TestChaosFuzzyBombs replays "costly queries": six fuzzy bombs at once
// are refused at once (400 query_too_costly, naming the limit), and six
// of the costliest queries the limits allow, at once, each answer within
// the search timeout plus a second (200, or 503 search_timeout), with the
// process under the memory budget and plain searches still answering.
func TestChaosFuzzyBombs(t *testing.T) {
	bin := chaosBinary(t)
	p := startProcess(t, bin, t.TempDir(), "--search-timeout", chaosSearchTimeout.String())
	if status, body := p.send("POST", "/api/documents", "application/x-ndjson", babelCorpus(t, 2000)); status != http.StatusOK {
		t.Fatalf("load: %d %s", status, truncateBytes(body))
	}
	rng := rand.New(rand.NewPCG(14, 3))
	type answer struct {
		status int
		code   string
		took   time.Duration
	}
	volley := func(queries []string) []answer {
		out := make([]answer, len(queries))
		var wg sync.WaitGroup
		for i, q := range queries {
			wg.Go(func() {
				start := time.Now()
				status, body := p.send("GET", "/api/search?size=10&q="+url.QueryEscape(q), "", nil)
				var e struct {
					Error struct{ Code, Message string }
				}
				_ = json.Unmarshal(body, &e)
				out[i] = answer{status, e.Error.Code, time.Since(start)}
			})
		}
		wg.Wait()
		return out
	}
	bound := chaosSearchTimeout + time.Second

	var bombs []string
	for range 6 {
		bombs = append(bombs, fuzzyBomb(rng))
	}
	for i, a := range volley(bombs) {
		t.Logf("fuzzy bomb %d (%d bytes): %d %s in %s", i, len(bombs[i]), a.status, a.code, a.took.Round(time.Millisecond))
		if a.status != http.StatusBadRequest || a.code != "query_too_costly" {
			t.Errorf("fuzzy bomb %d: %d %s, want 400 query_too_costly", i, a.status, a.code)
		}
		if a.took > bound {
			t.Errorf("fuzzy bomb %d answered after %s, over %s", i, a.took, bound)
		}
	}

	var worst time.Duration
	for round := range 2 {
		var qs []string
		for i := range 6 {
			qs = append(qs, costliestAllowed(rng, round*6+i))
		}
		for i, a := range volley(qs) {
			worst = max(worst, a.took)
			t.Logf("round %d, costliest allowed query %d (%d bytes, %.40q…): %d %s in %s", round, i, len(qs[i]), qs[i], a.status, a.code, a.took.Round(time.Millisecond))
			if a.status != http.StatusOK && a.code != "search_timeout" && a.code != "query_too_costly" {
				t.Errorf("query %d: %d %s", i, a.status, a.code)
			}
			if a.took > bound {
				t.Errorf("query %d answered after %s, over the search timeout + 1 s (%s)", i, a.took.Round(time.Millisecond), bound)
			}
		}
	}
	start := time.Now()
	if status, _ := p.send("GET", "/api/search?q=policy", "", nil); status != http.StatusOK {
		t.Errorf("a plain search after the bombs: %d", status)
	}
	rss := p.peakRSS()
	t.Logf("worst-case latency of six concurrent costliest-allowed queries: %s (search timeout %s); a plain search after: %s; peak RSS %d MiB (budget %d MiB)",
		worst.Round(time.Millisecond), chaosSearchTimeout, time.Since(start).Round(time.Millisecond), rss>>20, memoryBudget>>20)
	if rss > memoryBudget {
		t.Errorf("peak RSS %d MiB is over the %d MiB budget", rss>>20, memoryBudget>>20)
	}
}
