package index_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policysearch/embedding"
	"policysearch/embedding/embeddingtest"
	"policysearch/index"
)

// pagingArticle is long enough for the near-duplicate fingerprint; its
// copies differ by a word.
const pagingArticle = `The ministry published new tariffs on steel and aluminium imports on Monday, citing overcapacity abroad
and the need to protect jobs at home. Trade partners warned of retaliation and said they would bring the case to the
trade organisation. Economists expect prices for cars and appliances to rise, while unions welcomed the decision as
overdue. The tariffs take effect next month and will be reviewed after a year, officials said in a statement.`

// pagingCorpus is a fixture with groups of copies (feed, folder and
// upload origins, varied metadata and dates) among singletons whose
// scores tie often, so that paging meets both folding and ties.
func pagingCorpus() []index.Document {
	r := rand.New(rand.NewPCG(13, 1))
	words := strings.Fields("tariffs steel trade exports chips allies budget energy grid welfare tax inflation jobs ports")
	sources := []string{"Daily News", "Policy Lab", "Ministry", "Wire"}
	types := []string{"news", "think_tank", "government", "news"}
	var docs []index.Document
	for g := range 6 {
		base := strings.Replace(pagingArticle, "steel", words[g], 1) + fmt.Sprintf(" Group %d.", g)
		for c := range 1 + g%4 {
			d := index.Document{ID: fmt.Sprintf("g%d-c%d", g, c), Title: fmt.Sprintf("Tariffs on %s", words[g]),
				Text:   strings.Replace(base, "Monday", []string{"Monday", "Tuesday", "Friday", "Sunday"}[c], 1),
				Source: sources[(g+c)%4], SourceType: types[(g+c)%4]}
			switch c {
			case 1:
				d.Origin = "https://wire.example/feed.xml"
				d.Published = index.MustDate(fmt.Sprintf("2024-0%d", 1+g%9))
			case 2:
				d.Origin = "/srv/briefs/" + d.ID + ".pdf"
			case 3:
				d.Origin = "upload/" + d.ID + ".txt"
				d.Country = "GB"
			}
			docs = append(docs, d)
		}
	}
	for i := range 40 {
		var b []string
		for range 6 + r.IntN(10) {
			b = append(b, words[r.IntN(len(words))])
		}
		d := index.Document{ID: fmt.Sprintf("s%02d", i), Title: words[i%len(words)] + " note", Text: strings.Join(b, " ") + ".",
			Source: sources[i%4], SourceType: types[i%4]}
		if i%3 != 0 {
			d.Published = index.MustDate(fmt.Sprintf("20%02d", 10+i%7)) // many equal dates: ties in date sorts
		}
		docs = append(docs, d)
	}
	return docs
}

// TestPagesAddUp pages through many searches over a corpus with copies,
// in every mode, sort and facet state, and checks that no document (nor
// a copy of one) appears twice, that the total is the same on every page,
// and that it equals the number of distinct hits seen.
func TestPagesAddUp(t *testing.T) {
	ix, _ := semanticIndex(t, pagingCorpus())
	queries := []string{"tariffs", "tariffs steel", "trade", "jobs OR welfare", `"trade partners"`, "tax*", "grid -energy", ""}
	checkPaging(t, ix, queries, []string{index.ModeKeyword, index.ModeHybrid, index.ModeSemantic}, []int{3, 7})
}

// TestSOTUPagesAddUp is the case on the State of the Union
// corpus: `tariffs`, size 10, showed one speech last on page 2 and first
// on page 3, and counted 97 hits of which 96 were distinct.
func TestSOTUPagesAddUp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU paging run")
	}
	ix := sotuIndex(t)
	checkPaging(t, ix, []string{"tariffs", "tariff protection", "slavery", `"income tax"`, "war OR peace"}, []string{index.ModeKeyword}, []int{10})
}

// checkPaging runs the paging property over every combination.
func checkPaging(t *testing.T, ix *index.Index, queries, modes []string, sizes []int) {
	t.Helper()
	states := []struct {
		name string
		set  func(q *index.Query)
	}{
		{"no filter", func(*index.Query) {}},
		{"source filter", func(q *index.Query) { q.Filters.Source = []string{"Daily News", "Wire"} }},
		{"multi facets", func(q *index.Query) {
			q.Filters.SourceType = []string{"news"}
			q.FacetMode = index.FacetsMulti
		}},
	}
	checked := 0
	for _, text := range queries {
		for _, mode := range modes {
			for _, sort := range []string{index.SortRelevance, index.SortNewest, index.SortOldest} {
				for _, st := range states {
					for _, size := range sizes {
						q := index.Query{Text: text, Mode: mode, Sort: sort, Size: size}
						st.set(&q)
						name := fmt.Sprintf("%q mode=%s sort=%s %s size=%d", text, mode, sort, st.name, size)
						if total := checkOne(t, ix, q, name); st.name == "no filter" && sort == index.SortRelevance {
							t.Logf("%s: %d distinct hits", name, total)
						}
						checked++
					}
				}
			}
		}
	}
	t.Logf("paged through %d searches", checked)
}

func checkOne(t *testing.T, ix *index.Index, q index.Query, name string) uint64 {
	t.Helper()
	seen := map[string]int{}   // id → page
	copies := map[string]int{} // ids listed as copies of a shown hit → page
	var total uint64
	rows := 0
	for page := 1; ; page++ {
		q.Page = page
		res, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("%s page %d: %v", name, page, err)
		}
		if page == 1 {
			total = res.Total
		} else if res.Total != total {
			t.Errorf("%s: total %d on page %d, %d on page 1", name, res.Total, page, total)
		}
		for _, h := range res.Hits {
			if p, ok := seen[h.ID]; ok {
				t.Errorf("%s: %s on page %d and again on page %d", name, h.ID, p, page)
			}
			if p, ok := copies[h.ID]; ok {
				t.Errorf("%s: %s on page %d is a copy of a hit on page %d", name, h.ID, page, p)
			}
			seen[h.ID] = page
			for _, c := range h.AlsoPublishedBy {
				copies[c.ID] = page
			}
			rows++
		}
		if len(res.Hits) < q.Size || page > 200 {
			break
		}
	}
	if uint64(rows) != total || len(seen) != rows {
		t.Errorf("%s: total %d, %d rows seen, %d distinct", name, total, rows, len(seen))
	}
	return total
}

// semanticIndex opens an index over docs that ranks by meaning through a
// loopback embeddings endpoint (hashed words: a real HTTP model server,
// cheap and deterministic), once every document is embedded.
func semanticIndex(t *testing.T, docs []index.Document) (*index.Index, *embedding.Service) {
	t.Helper()
	ep, err := embeddingtest.Start(64)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ep.Close)
	dir := t.TempDir()
	ix, err := index.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := embedding.New(embedding.Config{URL: ep.URL(), Model: "hash-64"}, filepath.Join(dir, "emb.db"), slog.New(slog.DiscardHandler))
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
	deadline := time.Now().Add(30 * time.Second)
	for svc.Summary().Done < len(docs) {
		if time.Now().After(deadline) {
			t.Fatalf("embedding: %+v", svc.Summary())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ix, svc
}
