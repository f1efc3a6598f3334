package index

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
)

// The average lengths follow writes and deletes exactly: after them they
// equal those an index freshly built from the same documents measures,
// whether or not a search came in between, and also after an update that
// keeps the document count.
func TestAveragesFollowChanges(t *testing.T) {
	ctx := context.Background()
	doc := func(id string, words int) Document {
		text := ""
		for i := range words {
			text += fmt.Sprintf(" tariffs%d", i)
		}
		return Document{ID: id, Title: "Report " + id, Text: text}
	}
	ix := openTest(t, doc("a", 4), doc("b", 2), doc("c", 6))
	if avg := ix.averages(ctx); avg["text"] != 4 {
		t.Fatalf("measured text average %v, want 4", avg["text"])
	}
	steps := []struct {
		name  string
		write func() error
		docs  []Document // the documents after the step
	}{
		{"add", func() error { _, err := ix.Put(ctx, []Document{doc("d", 20)}); return err },
			[]Document{doc("a", 4), doc("b", 2), doc("c", 6), doc("d", 20)}},
		{"update", func() error { _, err := ix.Put(ctx, []Document{doc("a", 1)}); return err },
			[]Document{doc("a", 1), doc("b", 2), doc("c", 6), doc("d", 20)}},
		{"delete", func() error { return ix.Delete(ctx, "c") },
			[]Document{doc("a", 1), doc("b", 2), doc("d", 20)}},
		{"update and delete without a search between", func() error {
			if _, err := ix.Put(ctx, []Document{doc("b", 9), doc("e", 3)}); err != nil {
				return err
			}
			return ix.Delete(ctx, "d")
		}, []Document{doc("a", 1), doc("b", 9), doc("e", 3)}},
	}
	for _, s := range steps {
		if err := s.write(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := ix.averages(ctx)
		want := openTest(t, s.docs...).averages(ctx)
		if got["text"] != want["text"] || got["title"] != want["title"] {
			t.Errorf("after %s: averages %v, a fresh index measures %v", s.name, got, want)
		}
	}
}

// TestLengthsPastTheSample: once the store holds twice lengthSample
// documents, only sampled ones record their lengths (the second analysis
// is skipped for the rest), and the averages are still those of the
// sampled documents the measure reads, counted here from the texts.
func TestLengthsPastTheSample(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t)
	var docs []Document
	for i := range 2*lengthSample + 1500 {
		words := 3 + (i*7919)%40
		d := Document{ID: fmt.Sprintf("d%05d", i), Title: fmt.Sprintf("Report %d on trade", i),
			Text: strings.Repeat("tariffs and quotas ", words/3) + fmt.Sprintf("item%d", i)}
		docs = append(docs, d)
	}
	for start := 0; start < len(docs); start += 500 {
		if _, err := ix.Put(ctx, docs[start:start+500]); err != nil {
			t.Fatal(err)
		}
	}
	// The measure reads the first lengthSample sampled documents by id.
	a := lengthAnalyzer()
	var title, text, n float64
	recorded, unsampledRecorded := 0, 0
	for _, d := range docs {
		res, err := ix.alias.Search(&bleve.SearchRequest{Query: bleve.NewDocIDQuery([]string{d.ID}), Size: 1, Fields: []string{lengthsField}})
		if err != nil || len(res.Hits) != 1 {
			t.Fatalf("%s: %v", d.ID, err)
		}
		if _, ok := res.Hits[0].Fields[lengthsField]; ok {
			recorded++
			if !inSample(d.ID) {
				unsampledRecorded++
			}
		} else if inSample(d.ID) {
			t.Fatalf("%s is sampled but has no lengths", d.ID)
		}
		if inSample(d.ID) && n < lengthSample {
			title += float64(len(a.Analyze([]byte(d.Title))))
			text += float64(len(a.Analyze([]byte(d.Text))))
			n++
		}
	}
	if unsampledRecorded == 0 || unsampledRecorded == recorded || recorded == len(docs) {
		t.Fatalf("%d of %d documents recorded lengths, %d of them unsampled: want every early one and only sampled later ones", recorded, len(docs), unsampledRecorded)
	}
	avg := ix.averages(ctx)
	if avg["title"] != title/n || avg["text"] != text/n {
		t.Errorf("averages %v, the sampled documents' are title %v text %v", avg, title/n, text/n)
	}
}
