package index

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestCopiesAcrossCleanRestart: after a clean Close, the next Open
// answers with the recorded set of documents that have copies while it
// loads the fingerprints in the background; a search hides the copy and
// lists it as published by; a write right after Open waits for the load
// and links a new copy; and a start after a crash (no record) loads
// before serving, with the same answers.
func TestCopiesAcrossCleanRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	body := strings.Repeat("Sovereign compute capacity is being built by many governments that want control over their AI supply chains. ", 6)
	docs := []Document{
		{ID: "own", Title: "Sovereign AI", Text: body, URL: "https://example.org/own", Source: "Desk"},
		{ID: "feed", Title: "Sovereign AI", Text: body + " Reposted.", Origin: "https://feeds.example.org/rss"},
		{ID: "other", Title: "Steel tariffs", Text: strings.Repeat("Tariffs on steel imports were raised again this spring. ", 8)},
	}
	open := func() *Index {
		t.Helper()
		ix, err := Open(ctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	hits := func(ix *Index, q string) []Hit {
		t.Helper()
		res, err := ix.Search(ctx, Query{Text: q, Mode: ModeKeyword})
		if err != nil {
			t.Fatal(err)
		}
		return res.Hits
	}
	ix := open()
	if _, err := ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	want := ix.dups.linkedIDs()
	if !slices.Equal(want, []string{"feed", "own"}) {
		t.Fatalf("linked = %v, want feed and own", want)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	ix = open()
	if ix.dups.early == nil {
		t.Fatal("a clean Close recorded no linked set")
	}
	if got := ix.dups.linkedIDs(); !slices.Equal(got, want) {
		t.Fatalf("linked after restart = %v, want %v", got, want)
	}
	hs := hits(ix, "sovereign compute")
	if len(hs) != 1 || hs[0].ID != "own" || len(hs[0].AlsoPublishedBy) != 1 {
		t.Fatalf("after a clean restart: %+v", hs)
	}
	third := Document{ID: "third", Title: "Sovereign AI again", Text: body + " Third copy.", Origin: "https://other.example.org/rss"}
	if _, err := ix.Put(ctx, []Document{third}); err != nil {
		t.Fatal(err)
	}
	if got := ix.dups.linkedIDs(); !slices.Equal(got, []string{"feed", "own", "third"}) {
		t.Fatalf("linked after a write = %v", got)
	}
	// A crash: the record was taken at Open and Close never ran, so the
	// store holds none. Closing only the store leaves it so.
	ix.waitFingerprints()
	ix.stopStoreCheck()
	ix.live.Close()
	ix.store.close()
	ix = open()
	defer ix.Close()
	if ix.dups.early != nil {
		t.Fatal("a start after a crash used a recorded linked set")
	}
	hs = hits(ix, "sovereign compute")
	if len(hs) != 1 || hs[0].ID != "own" || len(hs[0].AlsoPublishedBy) != 2 {
		t.Fatalf("after a crash: %+v", hs)
	}
}
