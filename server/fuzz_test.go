package server

import (
	"errors"
	"net/url"
	"slices"
	"testing"

	"policysearch/index"
)

// FuzzSearchParams feeds arbitrary query strings to the parser that
// /api/search and the page share. It must never panic; what it rejects
// must be a 4xx with a code and a message, never a 500; and what it
// accepts must be within every limit the index relies on.
func FuzzSearchParams(f *testing.F) {
	for _, s := range []string{
		"",
		"q=sovereign+AI",
		"q=tariffs&page=2&size=50&sort=newest&source=A&source=B&from=2020&to=2024-06",
		"q=x&mode=hybrid&semantic_ratio=0.3&fusion=score&strict=true&facet_size=100",
		"size=100&page=100",
		"size=100&page=101",
		"page=-1&size=0&facet_size=999",
		"semantic_ratio=NaN",
		"semantic_ratio=1e309&mode=SEMANTIC",
		"from=2025&to=2024",
		"from=2024-13-45",
		"source_type=think_tank&source_type=pirate",
		"strict=maybe",
		"q=%ff%fe&page=9223372036854775807&size=2",
		"page=99999999999999999999",
		";;&&==%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // what a malformed string still yields is parsed too
		q, err := parseSearch(v)
		if err != nil {
			var ae *apiError
			var ie *index.Error
			if !errors.As(err, &ae) && !errors.As(err, &ie) {
				t.Fatalf("parseSearch(%q): error %T is neither *apiError nor *index.Error: %v", raw, err, err)
			}
			status, body := errorResponse(err)
			if status < 400 || status > 499 || body.Error.Code == "" || body.Error.Message == "" {
				t.Fatalf("parseSearch(%q): error answers %d %+v, want a 4xx with code and message", raw, status, body.Error)
			}
			return
		}
		switch {
		case q.Page < 1, q.Size < 1, q.Size > index.MaxSize, q.Page > index.MaxWindow/q.Size:
			t.Fatalf("parseSearch(%q) accepted page %d, size %d", raw, q.Page, q.Size)
		case q.FacetSize < 1 || q.FacetSize > index.MaxFacetSize:
			t.Fatalf("parseSearch(%q) accepted facet_size %d", raw, q.FacetSize)
		case !slices.Contains([]string{index.SortRelevance, index.SortNewest, index.SortOldest}, q.Sort):
			t.Fatalf("parseSearch(%q) accepted sort %q", raw, q.Sort)
		case !slices.Contains([]string{"", index.ModeKeyword, index.ModeHybrid, index.ModeSemantic}, q.Mode):
			t.Fatalf("parseSearch(%q) accepted mode %q", raw, q.Mode)
		case !slices.Contains([]string{"", index.FusionRRF, index.FusionScore}, q.Fusion):
			t.Fatalf("parseSearch(%q) accepted fusion %q", raw, q.Fusion)
		case q.SemanticRatio != nil && !(*q.SemanticRatio >= 0 && *q.SemanticRatio <= 1):
			t.Fatalf("parseSearch(%q) accepted semantic_ratio %v", raw, *q.SemanticRatio)
		}
	})
}
