package index

import (
	"context"
	"fmt"
	"testing"
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
