package index

import (
	"context"
	"fmt"
	"testing"
)

// TestRankingOnly: eval's ranking-only pages hold the same ids and
// scores, page for page, as the full pages, and nothing else.
func TestRankingOnly(t *testing.T) {
	var docs []Document
	words := []string{"energy", "grid", "tariff", "export", "chips", "steel", "policy", "memo"}
	for i := range 600 {
		docs = append(docs, Document{ID: fmt.Sprintf("d%04d", i), Title: fmt.Sprintf("%s note %d", words[i%5], i),
			Text: fmt.Sprintf("A %s memo on %s and %s.", words[(i*3)%8], words[(i*7)%8], words[i%8]), Source: "Desk"})
	}
	ix := openTest(t, docs...)
	ctx := context.Background()
	for _, text := range []string{"energy policy", "chips", "steel export tariff", `"policy memo"`} {
		for page := 1; page <= 3; page++ {
			q := Query{Text: text, Page: page, Size: 100, Mode: ModeKeyword}
			full, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			q.RankingOnly = true
			got, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Hits) != len(full.Hits) || got.Total != full.Total {
				t.Fatalf("%q page %d: %d hits of %d, full %d of %d", text, page, len(got.Hits), got.Total, len(full.Hits), full.Total)
			}
			for i, h := range got.Hits {
				if h.ID != full.Hits[i].ID || h.Score != full.Hits[i].Score {
					t.Fatalf("%q page %d hit %d: %s %g, full %s %g", text, page, i, h.ID, h.Score, full.Hits[i].ID, full.Hits[i].Score)
				}
				if h.Title != "" || len(h.Snippets) != 0 {
					t.Fatalf("%q: ranking-only hit carries fields: %+v", text, h)
				}
			}
			if len(got.Hits) > 0 && len(full.Hits[0].Snippets) == 0 {
				t.Fatalf("%q: the full page lost its snippets", text)
			}
		}
	}
}
