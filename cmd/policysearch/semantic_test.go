package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestServeSemanticByDefault is issue 12's "done when": a fresh data
// directory and `serve` with no embeddings settings gives semantic
// search with the built-in model. A note about telecommuting is found
// by "remote working" in hybrid mode, by meaning (it shares no word with
// the query), and not in keyword mode.
func TestServeSemanticByDefault(t *testing.T) {
	// An empty POLICYSEARCH_EMBEDDINGS is unset: the default applies.
	// Rate limits off: the test polls the API in tight loops.
	base, stop := serveData(t, t.TempDir(), map[string]string{"POLICYSEARCH_EMBEDDINGS": "", "POLICYSEARCH_RATE_LIMIT": "0"}, "--seeds=true")
	defer stop()
	docs := []string{
		`{"id":"telework","title":"Telecommuting guidance","text":"Telecommuting staff who do their jobs from home must keep office hours and use the agency laptop."}`,
		`{"id":"dredging","title":"Harbour dredging fees","text":"Ports raise dredging fees to pay for deeper channels."}`,
		`{"id":"grain","title":"Grain subsidies","text":"Farm subsidies for wheat growers are cut by a tenth next season."}`,
	}
	for _, d := range docs {
		if code, body := postJSON(t, base+"/api/documents", d); code != http.StatusCreated {
			t.Fatalf("add: %d %s", code, body)
		}
	}
	var stats struct {
		Documents  int
		Embeddings struct {
			Model               string
			Pending, Done       int
			MaxTokens           int     `json:"max_tokens"`
			InputsOverLimit     int     `json:"inputs_over_limit"`
			PassagesPerDocument float64 `json:"passages_per_document"`
		}
	}
	waitUntil(t, 2*time.Minute, "built-in model embeds every document", func() bool {
		getJSON(t, base+"/api/stats", &stats)
		return stats.Documents == len(docs)+2 && stats.Embeddings.Done == stats.Documents && stats.Embeddings.Pending == 0
	})
	e := stats.Embeddings
	if !strings.HasPrefix(e.Model, "builtin:use-lite@") || e.MaxTokens != 128 || e.InputsOverLimit != 0 || e.PassagesPerDocument < 1 {
		t.Errorf("stats embeddings = %+v, want the built-in model, 128 tokens, no input over it", e)
	}

	type hit struct {
		ID    string
		Ranks *struct{ Keyword, Semantic *int }
	}
	var res struct {
		Mode     string
		Semantic struct{ Status, Model string }
		Hits     []hit
	}
	find := func(mode string) *hit {
		res.Hits = nil
		getJSON(t, base+"/api/search?q="+url.QueryEscape("remote working")+"&mode="+mode, &res)
		for i := range res.Hits {
			if res.Hits[i].ID == "telework" {
				return &res.Hits[i]
			}
		}
		return nil
	}
	h := find("hybrid")
	if res.Mode != "hybrid" || res.Semantic.Status != "ok" {
		t.Fatalf("hybrid search: mode %q, semantic %+v", res.Mode, res.Semantic)
	}
	if h == nil || h.Ranks == nil || h.Ranks.Semantic == nil || h.Ranks.Keyword != nil {
		t.Fatalf("hybrid search for remote working: telework hit %+v, want it found by meaning alone", h)
	}
	if *h.Ranks.Semantic != 1 {
		t.Errorf("telework has semantic rank %d, want 1 among %d documents", *h.Ranks.Semantic, stats.Documents)
	}
	if h := find("keyword"); h != nil {
		t.Errorf("keyword search found telework (%+v): the test no longer shows what meaning adds", h)
	}

	// The page offers the three modes.
	resp, err := http.Get(base + "/?q=remote+working")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, label := range []string{">Keyword<", ">Hybrid<", ">Semantic<"} {
		if !strings.Contains(string(page), label) {
			t.Errorf("search page lacks the %s mode", label)
		}
	}
}
