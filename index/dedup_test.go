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

// TestMinhashIsStable pins a signature: signatures are stored with the
// documents, so a change to the hashing would stop new documents from
// matching older copies.
func TestMinhashIsStable(t *testing.T) {
	want := signature{0xc18b2bc, 0xe75b4a, 0x758eab, 0x1d8aa2, 0x3cc9f9c, 0x5514d56, 0xe42f63, 0x8959cb, 0x545d000, 0x34d188, 0x39a1580, 0x2d5b70a,
		0x296fd02, 0x78d513c, 0x212af36, 0x242653f, 0x41c52f, 0x2542217, 0xf7ef9, 0x10fee3b, 0x24d86b1, 0x82ecb5b, 0x402b3bc, 0x391bfd,
		0x126aecc, 0x3672570, 0xd5a257, 0x2f69776, 0x2bede67, 0x2800c, 0xaa827c, 0x2f144c, 0x687699, 0x2d300a, 0x37402cd, 0x6333cfb,
		0x45b219d, 0xb36201, 0x2299cba, 0x7a8a6ac, 0x5f284a8, 0x58b57a9, 0x17e24e, 0x104c14e, 0x6da1b0, 0x3b54cdf, 0x31c662f, 0x17be29c}
	if got := minhash(article); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("minhash(article) = %#v\nwant %#v", got, want)
	}
}

func BenchmarkMinhash(b *testing.B) {
	text := strings.Repeat(article+" ", 2)
	for b.Loop() {
		minhash(text)
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
