package index

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSegmentRotFoundAfterStart: a segment verified at one start is taken
// on trust at the next (its size and time unchanged), checked again after
// Open, and, when a byte of it has rotted, the record is dropped and the
// index rebuilt from the store, every document kept.
func TestSegmentRotFoundAfterStart(t *testing.T) {
	ctx := context.Background()
	var docs []Document
	for i := range 50 {
		docs = append(docs, Document{ID: fmt.Sprintf("r%d", i), Title: "Rot", Text: fmt.Sprintf("Segment %d, checked once.", i)})
	}
	dir := closedIndex(t, docs...)
	old := filepath.Join(dir, indexesDir, readCurrent(t, dir))
	ix, err := Open(ctx, dir, nil) // checks and records every segment
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	names, err := liveSegments(old)
	if err != nil || len(names) == 0 {
		t.Fatalf("live segments: %v %v", names, err)
	}
	if skipped, err := checkNewSegments(old); err != nil || len(skipped) != len(names) {
		t.Fatalf("a recorded, unchanged index: skipped %v of %v, %v", skipped, names, err)
	}

	path := filepath.Join(old, "store", names[0])
	fi, _ := os.Stat(path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil { // rot leaves the time alone
		t.Fatal(err)
	}

	ix, err = Open(ctx, dir, nil)
	if err != nil {
		t.Fatalf("Open with a rotted segment it trusts: %v", err)
	}
	defer ix.Close()
	deadline := time.Now().Add(30 * time.Second)
	for ix.liveName() == filepath.Base(old) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if ix.liveName() == filepath.Base(old) {
		t.Fatal("the rotted index was not rebuilt")
	}
	if _, err := os.Stat(filepath.Join(old, verifiedFile)); err == nil {
		t.Error("the record of the rotted index survived")
	}
	if st, err := ix.Stats(ctx); err != nil || st.Indexed != 50 {
		t.Fatalf("after the rebuild: %d indexed, %v; want 50", st.Indexed, err)
	}
}

// TestChangedSegmentIsCheckedAtOpen: a segment whose time changed is
// checked before Open returns, as every segment was before the record.
func TestChangedSegmentIsCheckedAtOpen(t *testing.T) {
	dir := closedIndex(t, Document{ID: "a", Title: "Changed", Text: "A segment edited in place."})
	idx := filepath.Join(dir, indexesDir, readCurrent(t, dir))
	if _, err := checkNewSegments(idx); err != nil {
		t.Fatal(err)
	}
	names, _ := liveSegments(idx)
	path := filepath.Join(idx, "store", names[0])
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour) // a distinct time, however coarse the clock
	os.Chtimes(path, future, future)
	if _, err := checkNewSegments(idx); err == nil {
		t.Fatal("a changed segment was taken on trust")
	}
}

func readCurrent(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:len(b)-1])
}
