package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// openTest opens a fresh index in a temp dir, closed when the test ends.
func openTest(t *testing.T, docs ...Document) *Index {
	t.Helper()
	ix, err := Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	if len(docs) > 0 {
		if _, err := ix.Put(context.Background(), docs); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	return ix
}

func TestPutStatuses(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t)
	doc := Document{ID: "a", Title: "Tariffs", Text: "Tariffs on steel."}
	steps := []struct {
		name string
		docs []Document
		want []Status
	}{
		{"new", []Document{doc}, []Status{Added}},
		{"identical", []Document{doc}, []Status{Unchanged}},
		{"changed text", []Document{{ID: "a", Title: "Tariffs", Text: "Tariffs on aluminium."}}, []Status{Updated}},
		{"same id twice in one batch applies in order", []Document{{ID: "b", Text: "one"}, {ID: "b", Text: "two"}}, []Status{Added, Updated}},
	}
	for _, s := range steps {
		res, err := ix.Put(ctx, s.docs)
		if err != nil {
			t.Fatalf("%s: Put: %v", s.name, err)
		}
		var got []Status
		for _, r := range res {
			got = append(got, r.Status)
		}
		if !slices.Equal(got, s.want) {
			t.Errorf("%s: statuses = %v, want %v", s.name, got, s.want)
		}
	}
	d, err := ix.Get(ctx, "b")
	if err != nil || d.Text != "two" {
		t.Errorf("Get(b) = %+v, %v; want text two", d, err)
	}
	st, _ := ix.Stats(ctx)
	if st.Documents != 2 || st.Indexed != 2 {
		t.Errorf("stats documents=%d indexed=%d, want 2 and 2", st.Documents, st.Indexed)
	}
}

func TestPutRejectsInvalidBatchWhole(t *testing.T) {
	ix := openTest(t)
	_, err := ix.Put(context.Background(), []Document{{ID: "ok", Text: "fine"}, {ID: "bad id with spaces", Text: "x"}})
	var e *Error
	if !errors.As(err, &e) || e.Kind != Invalid || e.Field != "id" {
		t.Fatalf("err = %v, want Invalid on field id", err)
	}
	if _, err := ix.Get(context.Background(), "ok"); KindOf(err) != NotFound {
		t.Errorf("the valid document of a rejected batch was stored: %v", err)
	}
}

func TestDeleteAndNotFound(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t, Document{ID: "a", Text: "sovereign compute"})
	if err := ix.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := ix.Delete(ctx, "a"); KindOf(err) != NotFound {
		t.Errorf("second Delete = %v, want NotFound", err)
	}
	res, err := ix.Search(ctx, Query{Text: "sovereign"})
	if err != nil || res.Total != 0 {
		t.Errorf("search after delete: total=%v err=%v, want 0", res.Total, err)
	}
}

// TestRecoverPending simulates a crash after the store committed but before
// bleve had the document: the next Open must index it.
func TestRecoverPending(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &Document{ID: "lost", Title: "Interrupted write", Text: "acknowledged durable text"}
	d.ComputeHash()
	enc, err := encodeAll([]*Document{d})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.store.put(enc, d.IndexedAt); err != nil {
		t.Fatal(err)
	}
	ix.Close()

	ix, err = Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	res, err := ix.Search(ctx, Query{Text: "durable"})
	if err != nil || res.Total != 1 {
		t.Fatalf("after recovery: total=%v err=%v, want 1", res.Total, err)
	}
	if p, _ := ix.store.pending(); len(p) != 0 {
		t.Errorf("pending after recovery = %v, want none", p)
	}
}

func TestReopenKeepsIndexAndRepairsCorruption(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var docs []Document
	for i := range 30 {
		docs = append(docs, Document{ID: fmt.Sprintf("d%02d", i), Text: fmt.Sprintf("document number %d about trade", i)})
	}
	if _, err := ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	name := ix.liveName()
	ix.Close()

	ix, err = Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ix.liveName() != name {
		t.Errorf("reopen rebuilt the index (%s -> %s); want the same one", name, ix.liveName())
	}
	ix.Close()

	// Destroy the bleve index: Open must rebuild it from the store.
	if err := os.RemoveAll(filepath.Join(dir, indexesDir, name)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, indexesDir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, indexesDir, name, "index_meta.json"), []byte("{broken"), 0o644)
	ix, err = Open(ctx, dir, nil)
	if err != nil {
		t.Fatalf("Open after corruption: %v", err)
	}
	defer ix.Close()
	res, err := ix.Search(ctx, Query{Text: "trade", Size: 100})
	if err != nil || res.Total != 30 {
		t.Fatalf("after repair total=%v err=%v, want 30", res.Total, err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	_, err = Open(context.Background(), dir, nil)
	if KindOf(err) != Unavailable {
		t.Fatalf("second Open err = %v, want Unavailable (data locked)", err)
	}
}

func TestRebuildKeepsResultsAndWrites(t *testing.T) {
	ctx := context.Background()
	var docs []Document
	for i := range 1200 {
		docs = append(docs, Document{ID: fmt.Sprintf("d%04d", i), Title: fmt.Sprintf("Brief %d", i), Text: fmt.Sprintf("tariffs and allies, part %d", i)})
	}
	ix := openTest(t, docs...)
	before, err := ix.Search(ctx, Query{Text: "tariffs", Size: 20})
	if err != nil {
		t.Fatal(err)
	}
	old := ix.liveName()
	n, err := ix.Rebuild(ctx)
	if err != nil || n != 1200 {
		t.Fatalf("Rebuild = %d, %v; want 1200", n, err)
	}
	if ix.liveName() == old {
		t.Error("rebuild did not switch to a new index")
	}
	after, err := ix.Search(ctx, Query{Text: "tariffs", Size: 20})
	if err != nil {
		t.Fatal(err)
	}
	if before.Total != after.Total || len(before.Hits) != len(after.Hits) {
		t.Fatalf("totals differ: %d vs %d", before.Total, after.Total)
	}
	for i := range before.Hits {
		if before.Hits[i].ID != after.Hits[i].ID {
			t.Errorf("hit %d: %s before, %s after", i, before.Hits[i].ID, after.Hits[i].ID)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(ix.dir, indexesDir))
	if len(entries) != 1 {
		t.Errorf("index dirs after rebuild = %d, want 1 (old one removed)", len(entries))
	}
}
