package server

import (
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMetricsShowTheService drives searches and writes through the real
// router and reads them back from /metrics.
func TestMetricsShowTheService(t *testing.T) {
	ts, _, _ := semanticServer(t, semanticDocs)
	local := "127.0.0.1:9"
	for _, r := range []request{
		{method: "GET", target: "/api/search?q=export+controls"},
		{method: "GET", target: "/api/search?q=grid+electricity&mode=semantic"},
		{method: "GET", target: "/api/search?q=tariffs&mode=keyword"},
		{method: "GET", target: "/api/documents/chips"},
		{method: "GET", target: "/api/documents/nope"},
		{method: "PUT", target: "/api/documents/m1", body: `{"title":"Metrics","text":"Counted."}`, remote: local},
		{method: "DELETE", target: "/api/documents/m1", remote: local},
	} {
		send(ts.h, r)
	}
	req := request{method: "POST", target: "/api/documents", remote: local}
	rec := sendNDJSON(ts, req, `{"id":"m2","title":"Two"}`+"\n"+`{"id":`+"\n"+`{"id":"m3","title":"Three"}`+"\n")
	if rec.Code != 200 {
		t.Fatalf("ndjson: %d", rec.Code)
	}
	body := send(ts.h, request{method: "GET", target: "/metrics"}).Body.String()
	for _, want := range []string{
		`policysearch_http_requests_total{method="GET",route="/api/search",status="200"} 3`,
		`policysearch_http_requests_total{method="GET",route="/api/documents/:id",status="404"} 1`,
		`policysearch_http_request_duration_seconds_count{method="PUT",route="/api/documents/:id",status="201"} 1`,
		`policysearch_search_duration_seconds_count{mode="hybrid"} 1`,
		`policysearch_search_duration_seconds_count{mode="semantic"} 1`,
		`policysearch_search_duration_seconds_count{mode="keyword"} 1`,
		`policysearch_documents_indexed_total 3`,
		`policysearch_documents_deleted_total 1`,
		`policysearch_ingest_documents_total{format="json",status="added"} 1`,
		`policysearch_ingest_documents_total{format="ndjson",status="added"} 2`,
		`policysearch_ingest_errors_total{format="ndjson"} 1`,
		`policysearch_documents 7`,
		`policysearch_embedding_enabled 1`,
		`policysearch_embedding_breaker_state 0`,
		`policysearch_embedding_request_duration_seconds_count{result="ok"}`,
		`policysearch_feed_polls_total 0`,
		`policysearch_feed_errors_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, name := range []string{"policysearch_embedding_requests_total", "policysearch_embedding_inputs_total", "policysearch_index_size_bytes"} {
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("/metrics lacks %s", name)
			continue
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v <= 0 {
			t.Errorf("%s = %s, want > 0", name, m[1])
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func sendNDJSON(ts *testServer, r request, body string) *httptest.ResponseRecorder {
	r.body = body
	r.header = map[string]string{"Content-Type": "application/x-ndjson"}
	return send(ts.h, r)
}
