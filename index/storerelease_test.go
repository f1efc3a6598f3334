package index

import (
	"context"
	"fmt"
	"testing"
)

// TestStoreReadsAfterRelease releases the store's mapped pages between
// writes and reads, as the walk after Open does, and wants every
// document back as written.
func TestStoreReadsAfterRelease(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t)
	var want []Document
	for round := range 3 {
		var batch []Document
		for i := range 400 {
			batch = append(batch, Document{ID: fmt.Sprintf("r%d-%03d", round, i), Title: "Brief", Text: fmt.Sprintf("Round %d, note %d on tariffs.", round, i)})
		}
		if _, err := ix.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
		want = append(want, batch...)
		if err := ix.store.release(); err != nil {
			t.Fatalf("release: %v", err)
		}
		for _, w := range want {
			d, err := ix.store.get(w.ID)
			if err != nil || d == nil || d.Text != w.Text {
				t.Fatalf("after release, %s reads back as %+v (%v)", w.ID, d, err)
			}
		}
	}
}
