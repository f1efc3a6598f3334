package metrics

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"policysearch/index"
)

func TestSeriesExistFromTheStart(t *testing.T) {
	ix, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	r := New("test", ix, nil)
	if _, err := ix.Put(context.Background(), []index.Document{{ID: "a", Title: "Steel tariffs", Text: "Tariffs on steel."}}); err != nil {
		t.Fatal(err)
	}
	r.ObserveHTTP("GET", "/api/search", 200, 3*time.Millisecond)
	r.ObserveHTTP("BREW", "/api/search", 405, time.Millisecond)
	r.ObserveSearch(index.ModeKeyword, 2*time.Millisecond)
	r.Ingested("ndjson", []index.PutResult{{ID: "a", Status: index.Added}})
	r.IngestFailed("ndjson", 2)
	r.observeEmbedding(time.Second, errors.New("down"))

	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`policysearch_http_requests_total{method="GET",route="/api/search",status="200"} 1`,
		`policysearch_http_requests_total{method="OTHER",route="/api/search",status="405"} 1`,
		`policysearch_http_request_duration_seconds_count{method="GET",route="/api/search",status="200"} 1`,
		`policysearch_search_duration_seconds_count{mode="keyword"} 1`,
		`policysearch_search_duration_seconds_count{mode="semantic"} 0`,
		`policysearch_documents_indexed_total 1`,
		`policysearch_documents_deleted_total 0`,
		`policysearch_ingest_documents_total{format="ndjson",status="added"} 1`,
		`policysearch_ingest_documents_total{format="json",status="unchanged"} 0`,
		`policysearch_ingest_errors_total{format="ndjson"} 2`,
		`policysearch_documents 1`,
		`policysearch_index_documents 1`,
		`policysearch_index_size_bytes `,
		`policysearch_store_size_bytes `,
		`policysearch_embedding_enabled 0`,
		`policysearch_embedding_requests_total 0`,
		`policysearch_embedding_inputs_total 0`,
		`policysearch_embedding_failures_total 0`,
		`policysearch_embedding_query_cache_hits_total 0`,
		`policysearch_embedding_breaker_state 0`,
		`policysearch_embedding_documents{status="pending"} 0`,
		`policysearch_embedding_request_duration_seconds_count{result="error"} 1`,
		`policysearch_feed_polls_total 0`,
		`policysearch_feed_errors_total 0`,
		`policysearch_build_info{version="test"} 1`,
		`process_resident_memory_bytes `,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New("a", nil, nil), New("b", nil, nil)
	a.Feeds.Polls.Inc()
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "policysearch_feed_polls_total 0") {
		t.Errorf("b sees a's poll:\n%s", rec.Body.String())
	}
}

func TestBreakerState(t *testing.T) {
	for in, want := range map[string]float64{"closed": 0, "half-open": 1, "open": 2, "": 0} {
		if got := breakerState(in); got != want {
			t.Errorf("breakerState(%q) = %v, want %v", in, got, want)
		}
	}
}
