package index

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"policysearch/index/querylang"
)

func TestLimitCost(t *testing.T) {
	words := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(f(i) + " ")
		}
		return b.String()
	}
	cases := []struct {
		name, q    string
		code       string // "" when allowed
		notice     string // a part of the notice, "" for none
		fuzziness  int    // of the first term, when it is fuzzy
		becomesRaw bool   // the first term is searched as a plain word
	}{
		{"plain words", "steel tariffs", "", "", 0, false},
		{"six-letter word keeps two edits", "tariff~2", "", "", 2, false},
		{"three letters allow one edit", "tax~2", "", "tax~2 searched as tax~1", 1, false},
		{"two letters match exactly", "eu~1", "", "eu~1 searched as eu", 0, true},
		{"16 expanding terms", words(16, func(i int) string { return fmt.Sprintf("w%03d*", i) }), "", "", 0, false},
		{"17 expanding terms", words(17, func(i int) string { return fmt.Sprintf("w%03d~", i) }), "query_too_costly", "", 0, false},
		{"200 three-letter ~2 terms", words(200, func(i int) string { return fmt.Sprintf("a%02d~2", i%100) }), "query_too_costly", "", 0, false},
		{"1024 terms", words(1024, func(i int) string { return fmt.Sprintf("w%d", i) }), "", "", 0, false},
		{"1025 terms", words(1025, func(i int) string { return fmt.Sprintf("w%d", i) }), "query_too_costly", "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := querylang.Parse(c.q, QueryFields)
			if err != nil {
				t.Fatal(err)
			}
			notice, err := limitCost(e)
			if got := errorCode(err); got != c.code {
				t.Fatalf("error %v (code %q), want code %q", err, got, c.code)
			}
			if !strings.Contains(notice, c.notice) || (c.notice == "") != (notice == "") {
				t.Errorf("notice %q, want one containing %q", notice, c.notice)
			}
			if term, ok := e.(*querylang.Term); ok && c.code == "" {
				if c.becomesRaw && term.Kind != querylang.Word {
					t.Errorf("%q is still %v", c.q, term.Kind)
				}
				if c.fuzziness > 0 && term.Fuzziness != c.fuzziness {
					t.Errorf("fuzziness %d, want %d", term.Fuzziness, c.fuzziness)
				}
			}
		})
	}
}

// TestExpansionCap: a prefix that stands for more indexed words than
// MaxTermExpansions is refused by name, not run.
func TestExpansionCap(t *testing.T) {
	var text strings.Builder
	for i := range MaxTermExpansions + 100 {
		fmt.Fprintf(&text, "z%04d ", i)
	}
	ix := openTest(t, Document{ID: "many", Title: "Many words", Text: text.String()})
	ctx := context.Background()
	_, err := ix.Search(ctx, Query{Text: "z*", Size: 10})
	if errorCode(err) != "query_too_costly" {
		t.Fatalf("z* over %d words: %v, want query_too_costly", MaxTermExpansions+100, err)
	}
	res, err := ix.Search(ctx, Query{Text: "z00*", Size: 10})
	if err != nil || res.Total != 1 {
		t.Fatalf("z00* (100 words): %v %v", res, err)
	}
	if QueryCost("z00* tariff~ steel") != 3 || QueryCost("steel") != 1 || QueryCost("(unbalanced") != 1 {
		t.Errorf("QueryCost: %d %d %d", QueryCost("z00* tariff~ steel"), QueryCost("steel"), QueryCost("(unbalanced"))
	}
}

// A search that answers before its deadline is never reported as timed
// out. Search waits for the answer or the deadline; the worker cancels
// the deadline's context as it returns, so when both were ready at once
// (the caller descheduled until after the worker was done, common on a
// loaded machine, while an idle P ran the worker) a select picked
// either and half of those answers were 503 search_timeout. Searches one
// after another (so the other P is free to run the worker) and a few
// beside them, each well within a minute, must all answer.
func TestAnsweredSearchIsNotATimeout(t *testing.T) {
	ix := openTest(t, Document{ID: "a", Title: "Steel", Text: "tariffs on steel"}, Document{ID: "b", Title: "Grain", Text: "grain tariffs"})
	ix.SetCacheSize(0) // every search runs
	var wg sync.WaitGroup
	var timeouts, searches atomic.Int64
	for w := range 3 {
		wg.Go(func() {
			for i := range 1000 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err := ix.Search(ctx, Query{Text: fmt.Sprintf("tariffs %d", w*1000+i), Mode: ModeKeyword})
				cancel()
				searches.Add(1)
				if err != nil {
					timeouts.Add(1)
					t.Errorf("search: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := timeouts.Load(); n > 0 {
		t.Errorf("%d of %d searches answered well within their deadline failed", n, searches.Load())
	}
}
