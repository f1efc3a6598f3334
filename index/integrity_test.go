package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestEmptyStoreIsRefused: an index that holds documents beside a lost
// store is not opened, and not emptied by a rebuild, unless asked to.
func TestEmptyStoreIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var docs []Document
	for i := range 20 {
		docs = append(docs, Document{ID: fmt.Sprintf("d%d", i), Title: "Lost", Text: "A document whose store is lost."})
	}
	if _, err := ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if err := os.Remove(filepath.Join(dir, storeFile)); err != nil {
		t.Fatal(err)
	}

	_, err = Open(ctx, dir, nil)
	if code := errorCode(err); code != "store_empty" {
		t.Fatalf("Open beside a missing store: %v (code %q), want store_empty", err, code)
	}
	ix, err = Open(ctx, dir, nil, AcceptEmptyStore())
	if err != nil {
		t.Fatalf("Open accepting the empty store: %v", err)
	}
	defer ix.Close()
	if _, err := ix.Rebuild(ctx); errorCode(err) != "rebuild_would_empty" {
		t.Fatalf("Rebuild from the empty store: %v, want rebuild_would_empty", err)
	}
	if st, _ := ix.Stats(ctx); st.Indexed != 20 {
		t.Fatalf("the refused rebuild left %d indexed documents, want 20", st.Indexed)
	}
	n, err := ix.ForceRebuild(ctx)
	if err != nil || n != 0 {
		t.Fatalf("ForceRebuild: %d, %v", n, err)
	}
	if st, _ := ix.Stats(ctx); st.Indexed != 0 {
		t.Fatalf("after ForceRebuild the index holds %d documents", st.Indexed)
	}
}

// TestDamagedSegmentIsDetected: a flipped byte anywhere in a segment
// fails its checksum.
func TestDamagedSegmentIsDetected(t *testing.T) {
	ctx := context.Background()
	ix, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Put(ctx, []Document{{ID: "a", Title: "Checksums", Text: "Every segment ends with a CRC."}}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(ix.dir, indexesDir, ix.liveName())
	ix.Close()
	names, err := liveSegments(dir)
	if err != nil || len(names) == 0 {
		t.Fatalf("live segments: %v %v", names, err)
	}
	if err := checkSegments(dir); err != nil {
		t.Fatalf("intact index: %v", err)
	}
	path := filepath.Join(dir, "store", names[0])
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkSegments(dir); err == nil {
		t.Fatal("a flipped byte passed the checksum")
	}
}

func errorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
