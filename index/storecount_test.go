package index

import (
	"context"
	"errors"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestStoreCountFollowsWrites checks the stored document count against a
// walk of the bucket after adds, replacements, repeated ids in a batch,
// deletes of present and absent ids, a reopen, and on a store written
// before the count existed.
func TestStoreCountFollowsWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	walked := func(ix *Index) int {
		t.Helper()
		n := 0
		if err := ix.store.db.View(func(tx *bolt.Tx) error {
			n = tx.Bucket(bucketDocs).Stats().KeyN
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	check := func(ix *Index, step string, want int) {
		t.Helper()
		st, err := ix.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Documents != want || walked(ix) != want {
			t.Fatalf("%s: stats say %d documents, the bucket holds %d, want %d", step, st.Documents, walked(ix), want)
		}
	}
	check(ix, "empty", 0)
	doc := func(i int, text string) Document {
		return Document{ID: fmt.Sprintf("d%03d", i), Title: "Brief", Text: text}
	}
	var batch []Document
	for i := range 30 {
		batch = append(batch, doc(i, fmt.Sprintf("A note on tariffs, number %d.", i)))
	}
	batch = append(batch, doc(3, "The same id twice in one batch."))
	if _, err := ix.Put(ctx, batch); err != nil {
		t.Fatal(err)
	}
	check(ix, "30 added", 30)
	if _, err := ix.Put(ctx, []Document{doc(1, "Replaced."), doc(40, "New.")}); err != nil {
		t.Fatal(err)
	}
	check(ix, "one replaced, one added", 31)
	for _, id := range []string{"d002", "d002", "d999"} {
		var e *Error
		if err := ix.Delete(ctx, id); err != nil && !(errors.As(err, &e) && e.Kind == NotFound) {
			t.Fatal(err)
		}
	}
	check(ix, "one deleted", 30)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if ix, err = Open(ctx, dir, nil); err != nil {
		t.Fatal(err)
	}
	check(ix, "reopened", 30)
	// A store from before the count: counted on the first ask, then kept.
	if err := ix.store.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyDocCount) }); err != nil {
		t.Fatal(err)
	}
	check(ix, "no stored count", 30)
	if _, err := ix.Put(ctx, []Document{doc(50, "Later.")}); err != nil {
		t.Fatal(err)
	}
	check(ix, "added after counting", 31)
	ix.Close()
}
