package index

import (
	"context"
	"encoding/json"
	"math"
	"testing"
)

// TestScoresAreFinite: every kind of query the language has scores its
// hits with finite numbers, so a result always encodes as JSON (a NaN
// score once made fuzzy and acronym searches answer an empty body).
func TestScoresAreFinite(t *testing.T) {
	ix := openTest(t,
		Document{ID: "a", Title: "Inflation report", Text: "Inflation rose again this year, and inflation worries grew. The WHO warned."},
		Document{ID: "b", Title: "Tariffs", Text: "Tariffs on steel, the US trade deficit and IT spending."},
	)
	queries := []string{
		"inflaton~1", "inflation~1", "tarifs~2", "inflaton~", "WHO", "US", "IT",
		"infla*", `"inflation rose"`, `"inflation worries"~3`, "inflation tariffs",
		"+tarifs~1 -inflation", "inflaton~1 OR WHO",
	}
	for _, q := range queries {
		r, err := ix.Search(context.Background(), Query{Text: q, Size: 10})
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if len(r.Hits) == 0 {
			t.Errorf("%s: no hits, want at least one", q)
		}
		for _, h := range r.Hits {
			if math.IsNaN(h.Score) || math.IsInf(h.Score, 0) {
				t.Errorf("%s: hit %s scores %v", q, h.ID, h.Score)
			}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Errorf("%s: the result does not encode: %v", q, err)
		}
	}
}
