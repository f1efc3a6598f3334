package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"policysearch/index"
	"policysearch/ingest"
)

func TestUploadFiles(t *testing.T) {
	ts := newTestServer(t)
	pdf, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "pdf", "brief.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	upload := func(target, ctype, disposition string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", target, strings.NewReader(string(body)))
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Content-Type", ctype)
		if disposition != "" {
			req.Header.Set("Content-Disposition", disposition)
		}
		rec := httptest.NewRecorder()
		ts.h.ServeHTTP(rec, req)
		return rec
	}

	rec := upload("/api/documents?name=brief.pdf&source=Policy+Lab&source_type=think_tank&published=2024-03&tag=chips", "application/pdf", "", pdf)
	if rec.Code != http.StatusCreated {
		t.Fatalf("PDF upload: %d %s", rec.Code, rec.Body)
	}
	var res postResponse
	json.Unmarshal(rec.Body.Bytes(), &res)
	if len(res.IDs) != 1 || res.Results[0].Status != index.Added {
		t.Fatalf("PDF upload answered %s", rec.Body)
	}
	doc, err := ts.ix.Get(context.Background(), res.IDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Semiconductor Export Controls and Allied Coordination" || doc.Source != "Policy Lab" || doc.SourceType != "think_tank" ||
		doc.Published.String() != "2024-03" || !slices.Contains(doc.Tags, "chips") || len(doc.Pages()) != 3 {
		t.Errorf("uploaded PDF = %+v", doc)
	}
	if _, inferred := doc.Extra[ingest.PublishedFromKey]; inferred {
		t.Errorf("the upload stated published=2024-03, yet the document says it was inferred: %v", doc.Extra)
	}
	sr, err := ts.ix.Search(context.Background(), index.Query{Text: "photolithography"})
	if err != nil || len(sr.Hits) != 1 || !slices.Equal(sr.Hits[0].SnippetPages, []int{3}) {
		t.Errorf("search in the PDF: %+v, %v; want one hit on page 3", sr, err)
	}
	if rec := upload("/api/documents?name=brief.pdf&source=Policy+Lab&source_type=think_tank&published=2024-03&tag=chips", "application/pdf", "", pdf); !strings.Contains(rec.Body.String(), `"unchanged"`) {
		t.Errorf("the same upload again: %s, want unchanged", rec.Body)
	}

	rec = upload("/api/documents", "text/markdown; charset=utf-8", `attachment; filename="notes/memo.md"`, []byte("# Memo\n\nA memo on grain corridors."))
	if rec.Code != http.StatusCreated {
		t.Fatalf("Markdown upload: %d %s", rec.Code, rec.Body)
	}
	json.Unmarshal(rec.Body.Bytes(), &res)
	if d, _ := ts.ix.Get(context.Background(), res.IDs[0]); d == nil || d.Title != "Memo" || d.Origin != "upload/memo.md" {
		t.Errorf("Markdown upload = %+v", d)
	}

	for _, tc := range []struct {
		target, ctype string
		body          []byte
		want          int
	}{
		{"/api/documents?name=scan.pdf", "application/pdf", []byte("%PDF-1.4 not really"), http.StatusBadRequest},
		{"/api/documents?name=x.md&published=someday", "text/markdown", []byte("# X\n\ny"), http.StatusBadRequest},
		{"/api/documents", "image/png", []byte("\x89PNG"), http.StatusUnsupportedMediaType},
	} {
		if rec := upload(tc.target, tc.ctype, "", tc.body); rec.Code != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.ctype, tc.target, rec.Code, rec.Body, tc.want)
		}
	}
}
