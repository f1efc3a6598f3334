package server

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"policysearch/embedding"
	"policysearch/embedding/embeddingtest"
	"policysearch/index"
)

// semanticServer is the real router over a real index with the semantic
// layer talking to a loopback OpenAI-compatible endpoint.
func semanticServer(t *testing.T, docs []index.Document) (*testServer, *embeddingtest.Server, *embedding.Service) {
	t.Helper()
	ep, err := embeddingtest.Start(256)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ep.Close)
	dir := t.TempDir()
	ix, err := index.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := embedding.New(embedding.Config{URL: ep.URL(), Model: "hash-256", QueryTimeout: 300 * time.Millisecond,
		BreakerCooldown: 300 * time.Millisecond}, filepath.Join(dir, "emb.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); svc.Close(); ix.Close() })
	ix.SetSemantic(svc)
	ix.OnChange(svc.OnChange)
	svc.Start(ctx, ix)
	if _, err := ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for svc.Summary().Done < len(docs) {
		if time.Now().After(deadline) {
			t.Fatalf("embedding did not finish: %+v", svc.Summary())
		}
		time.Sleep(10 * time.Millisecond)
	}
	h, err := New(Deps{Index: ix, Embeddings: svc})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, h: h, ix: ix}, ep, svc
}

var semanticDocs = []index.Document{
	{ID: "chips", Title: "Semiconductor export controls", Text: "Export controls on advanced semiconductors restrict access to chips and fabrication tools.", Source: "Policy Lab", Country: "US", Published: index.MustDate("2024")},
	{ID: "compute", Title: "National compute strategy", Text: "A national compute strategy funds data centres and sovereign cloud capacity for research.", Source: "Ministry", Country: "FR", Published: index.MustDate("2025")},
	{ID: "tariffs", Title: "Steel tariffs", Text: "Tariffs on steel imports strain relations with allies.", Source: "Daily News", Country: "US", Published: index.MustDate("2023")},
	{ID: "grid", Title: "Grid capacity", Text: "Data centres compete for grid capacity and electricity with housing and industry.", Source: "Daily News", Country: "UK", Published: index.MustDate("2022")},
	{ID: "welfare", Title: "Welfare algorithms", Text: "Audits of algorithms used in welfare decisions protect citizens.", Source: "Policy Lab", Country: "UK"},
}

func TestHybridSearchHasProvenance(t *testing.T) {
	s, _, _ := semanticServer(t, semanticDocs)
	res := decode[index.Results](t, s.do("GET", "/api/search?q=data+centres+electricity", "", ""))
	if res.Mode != "hybrid" || res.Semantic.Status != "ok" || res.Semantic.Model != "hash-256" {
		t.Fatalf("mode %q semantic %+v", res.Mode, res.Semantic)
	}
	if len(res.Hits) == 0 || res.Hits[0].ID != "grid" {
		t.Fatalf("hits %v, want grid first", ids(res))
	}
	for _, h := range res.Hits {
		if h.Ranks == nil || h.Fused == nil || (h.Ranks.Keyword == nil && h.Ranks.Semantic == nil) {
			t.Errorf("hit %s lacks provenance: %+v", h.ID, h)
		}
		if h.Ranks.Semantic != nil && (h.Similarity == nil || h.Passage == nil || h.Passage.HTML == "") {
			t.Errorf("hit %s has a semantic rank but no similarity or passage", h.ID)
		}
	}
	// semantic only: a paraphrase with no shared keyword still finds it
	res = decode[index.Results](t, s.do("GET", "/api/search?q=chips+fabrication&mode=semantic", "", ""))
	if res.Mode != "semantic" || len(res.Hits) == 0 || res.Hits[0].ID != "chips" || res.Hits[0].Ranks.Semantic == nil || *res.Hits[0].Ranks.Semantic != 1 {
		t.Errorf("semantic mode: %s %v", res.Mode, ids(res))
	}
	for _, target := range []string{"/api/search?q=x&mode=vector", "/api/search?q=x&semantic_ratio=1.5", "/api/search?q=x&semantic_ratio=abc", "/api/search?q=x&fusion=max"} {
		if rec := s.do("GET", target, "", ""); rec.Code != 400 {
			t.Errorf("%s = %d, want 400", target, rec.Code)
		}
	}
}

func ids(r index.Results) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	return out
}

// TestHybridFacetsMatchRecount checks the facets against a count made by
// hand over the union of the keyword matches and the semantic candidates.
func TestHybridFacetsMatchRecount(t *testing.T) {
	var docs []index.Document
	countries := []string{"US", "UK", "FR", "DE"}
	topics := []string{"export controls on chips", "grid capacity for data centres", "steel tariffs", "welfare audits"}
	for i := range 60 {
		docs = append(docs, index.Document{ID: fmt.Sprintf("d%02d", i), Title: topics[i%4] + fmt.Sprint(" ", i),
			Text: "This brief covers " + topics[i%4] + ".", Country: countries[i%3], Source: fmt.Sprint("Source ", i%5)})
	}
	s, _, svc := semanticServer(t, docs)
	for _, target := range []string{"/api/search?q=tariffs&facet_size=100", "/api/search?q=tariffs&country=US&facet_size=100", "/api/search?q=steel&mode=semantic&facet_size=100"} {
		res := decode[index.Results](t, s.do("GET", target, "", ""))
		// brute force: keyword matches ∪ semantic candidates, filtered
		set := map[string]bool{}
		q := index.Query{Text: res.Query, Mode: "keyword", Size: 100}
		if strings.Contains(target, "country=US") {
			q.Filters.Country = []string{"US"}
		}
		if res.Mode != "semantic" {
			kw, err := s.ix.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range kw.Hits {
				set[h.ID] = true
			}
		}
		sem, err := svc.Nearest(context.Background(), res.Query, 100, func(id string) bool {
			return !strings.Contains(target, "country=US") || docByID(docs, id).Country == "US"
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range sem {
			set[m.ID] = true
		}
		want := map[string]int{}
		for id := range set {
			want[docByID(docs, id).Country]++
		}
		got := map[string]int{}
		for _, v := range res.Facets["country"] {
			got[v.Value] = v.Count
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || int(res.Total) != len(set) {
			t.Errorf("%s: facets %v total %d, recount %v total %d", target, got, res.Total, want, len(set))
		}
	}
}

func docByID(docs []index.Document, id string) index.Document {
	i := slices.IndexFunc(docs, func(d index.Document) bool { return d.ID == id })
	return docs[i]
}

func TestSemanticDegradesAndRecovers(t *testing.T) {
	s, ep, _ := semanticServer(t, semanticDocs)
	status := func(q string) index.Results {
		t.Helper()
		rec := s.do("GET", "/api/search?q="+q, "", "")
		if rec.Code != 200 {
			t.Fatalf("status %d during outage: %s", rec.Code, rec.Body)
		}
		return decode[index.Results](t, rec)
	}
	if r := status("tariffs"); r.Semantic.Status != "ok" {
		t.Fatalf("before outage: %+v", r.Semantic)
	}
	ep.Stop()
	for i, q := range []string{"steel+imports", "allies", "export", "grid"} { // fresh queries: no cache
		start := time.Now()
		r := status(q)
		if r.Semantic.Status != "unavailable" || r.Semantic.Reason == "" || r.Total == 0 {
			t.Errorf("query %d during outage: %+v total %d", i, r.Semantic, r.Total)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("query %d took %s, want within the query timeout", i, d)
		}
	}
	if err := ep.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r := status("welfare+audits"); r.Semantic.Status == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("semantic status did not return to ok after the endpoint came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ep.SetFault(embeddingtest.WrongDims, -1)
	if r := status("electricity+housing"); r.Semantic.Status != "unavailable" || !strings.Contains(r.Semantic.Reason, "dimensional") {
		t.Errorf("wrong dimensions: %+v", r.Semantic)
	}
}

func TestSimilarAndEmbeddingStatus(t *testing.T) {
	s, _, _ := semanticServer(t, semanticDocs)
	rel := decode[index.RelatedResults](t, s.do("GET", "/api/documents/compute/similar?size=3", "", ""))
	if rel.Method != "semantic" || len(rel.Hits) != 3 || slices.ContainsFunc(rel.Hits, func(r index.Related) bool { return r.ID == "compute" }) {
		t.Errorf("similar: %+v", rel)
	}
	doc := decode[map[string]any](t, s.do("GET", "/api/documents/grid", "", ""))
	if emb, _ := doc["embedding"].(map[string]any); emb["status"] != "done" {
		t.Errorf("document embedding status = %v", doc["embedding"])
	}
	st := decode[map[string]any](t, s.do("GET", "/api/stats", "", ""))
	if emb, _ := st["embeddings"].(map[string]any); emb["done"] != float64(len(semanticDocs)) {
		t.Errorf("stats embeddings = %v", st["embeddings"])
	}
	if rec := s.do("POST", "/api/embeddings/retry", "", ""); rec.Code != 202 {
		t.Errorf("retry = %d", rec.Code)
	}
	if rec := s.do("GET", "/api/documents/nope/similar", "", ""); rec.Code != 404 {
		t.Errorf("similar of unknown doc = %d", rec.Code)
	}
}

func TestSimilarFallsBackToKeywords(t *testing.T) {
	s := newTestServer(t, docs...)
	rel := decode[index.RelatedResults](t, s.do("GET", "/api/documents/brief/similar", "", ""))
	if rel.Method != "keyword" || len(rel.Hits) == 0 || rel.Hits[0].ID != "statement" {
		t.Errorf("keyword related: %+v", rel)
	}
}
