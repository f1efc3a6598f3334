package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

const article = `The government announced on Tuesday a new programme to build sovereign compute capacity for public
research institutes. The plan funds two data centres, sets rules for where citizens' data may be processed, and asks
universities to share facilities with start-ups. Officials said the first centre would open next year, subject to
grid connections, and that procurement would favour open standards so that agencies can switch suppliers. Critics
argued that the budget was too small to matter and that the energy needs of the centres had not been assessed.`

func TestMinhashSeparatesCopiesFromOtherTexts(t *testing.T) {
	edited := strings.Replace(article, "on Tuesday", "on Wednesday", 1) + " (Reuters)"
	cases := []struct {
		name string
		a, b string
		dup  bool
	}{
		{"identical", article, article, true},
		{"small edit and a credit line", article, edited, true},
		{"different article", article, strings.Repeat("Tariffs on steel imports strain relations with allies and partners across the region. ", 6), false},
		{"first half only", article, article[:len(article)/2], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDupIndex()
			d.set("a", minhash(c.a))
			d.set("b", minhash(c.b))
			if got := d.has("a"); got != c.dup {
				t.Errorf("near-duplicate = %v, want %v", got, c.dup)
			}
		})
	}
	if minhash("too short to judge") != nil {
		t.Error("a short text got a fingerprint")
	}
}

func TestSearchGroupsSyndicatedCopies(t *testing.T) {
	ctx := context.Background()
	docs := []Document{
		{ID: "wire", Title: "Sovereign compute plan", Text: article, Source: "Wire Service", URL: "https://wire.example/a", Published: MustDate("2025-03-04")},
		{ID: "paper", Title: "Government unveils compute plan", Text: strings.Replace(article, "Critics", "Opponents", 1), Source: "Daily Paper", URL: "https://paper.example/b", Published: MustDate("2025-03-05")},
		{ID: "blog", Title: "Sovereign compute plan", Text: article + " Reposted.", Source: "Blog", Published: MustDate("2025-03-06")},
		{ID: "other", Title: "Compute and energy", Text: "Data centres need sovereign compute and energy. " + strings.Repeat("Grid capacity is scarce. ", 20), Source: "Think Tank"},
	}
	ix := openTest(t, docs...)
	res, err := ix.Search(ctx, Query{Text: "sovereign compute"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res); len(got) != 2 {
		t.Fatalf("hits %v, want the article once and the other document", got)
	}
	var grouped *Hit
	for i := range res.Hits {
		if res.Hits[i].ID != "other" {
			grouped = &res.Hits[i]
		}
	}
	var copies []string
	for _, c := range grouped.AlsoPublishedBy {
		copies = append(copies, c.ID+"@"+c.Published)
	}
	if len(copies) != 2 {
		t.Fatalf("%s also published by %v, want the two other copies", grouped.ID, copies)
	}
	cs, err := ix.Copies(ctx, "blog")
	if err != nil || fmt.Sprint(copyIDs(cs)) != "[wire paper]" {
		t.Errorf("Copies(blog) = %v %v, want [wire paper] earliest first", copyIDs(cs), err)
	}
	if err := ix.Delete(ctx, "paper"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(ctx, "blog"); err != nil {
		t.Fatal(err)
	}
	res, _ = ix.Search(ctx, Query{Text: "sovereign compute"})
	for _, h := range res.Hits {
		if len(h.AlsoPublishedBy) != 0 {
			t.Errorf("%s still lists copies after they were deleted: %v", h.ID, h.AlsoPublishedBy)
		}
	}
}

func TestCollapsingKeepsPagesConsistent(t *testing.T) {
	var docs []Document
	vocab := strings.Fields(article)
	for g := range 6 { // six different articles, three copies each
		rng := rand.New(rand.NewPCG(uint64(g), 7))
		words := make([]string, 120)
		for i := range words {
			words[i] = vocab[rng.IntN(len(vocab))]
		}
		text := strings.Join(words, " ") + " sovereign compute."
		for c := range 3 {
			docs = append(docs, Document{ID: fmt.Sprintf("g%d-c%d", g, c), Title: "Compute plan", Text: text + strings.Repeat(" Copy.", c)})
		}
	}
	ix := openTest(t, docs...)
	seen := map[string]bool{}
	for page := 1; page <= 3; page++ {
		res, err := ix.Search(context.Background(), Query{Text: "sovereign compute", Page: page, Size: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			group := h.ID[:2]
			if seen[group] {
				t.Errorf("page %d shows %s, a copy of an article already shown", page, h.ID)
			}
			seen[group] = true
		}
	}
	if len(seen) != 6 {
		t.Errorf("three pages of two showed %d articles, want 6", len(seen))
	}
}

func copyIDs(cs []Copy) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
