package index

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStoreDamageFoundAfterStart: a leaf page in the middle of the
// documents bucket, which Open no longer reads, is found by the walk that
// follows it: the error names the file and /api/stats' Stats answers
// store_damaged.
func TestStoreDamageFoundAfterStart(t *testing.T) {
	ctx := context.Background()
	var docs []Document
	for i := range 3000 {
		docs = append(docs, Document{ID: fmt.Sprintf("doc-%05d", i), Title: "Pages", Text: fmt.Sprintf("Document %d of a store with many pages.", i)})
	}
	dir := closedIndex(t, docs...)
	path := filepath.Join(dir, storeFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := middleDocumentsLeaf(t, b)
	binary.LittleEndian.PutUint64(b[page:], 0xdeadbeef) // the page no longer names itself
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	ix, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatalf("Open reads the damaged middle page: %v", err)
	}
	defer ix.Close()
	deadline := time.Now().Add(30 * time.Second)
	for ix.storeDamage.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	_, err = ix.Stats(ctx)
	if code := errorCode(err); code != "store_damaged" || !strings.Contains(err.Error(), path) {
		t.Fatalf("Stats after the walk: %v (code %q), want store_damaged naming %s", err, code, path)
	}
}

// TestStoreWalkPassesEveryDocument: on an intact store the walk passes
// each document once, across its transaction chunks, and finds nothing.
func TestStoreWalkPassesEveryDocument(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, storeWalkChunk, storeWalkChunk + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ix, err := Open(ctx, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			var docs []Document
			for i := range n {
				docs = append(docs, Document{ID: fmt.Sprintf("w%d", i), Title: "Walk", Text: "A page to pass."})
			}
			if n > 0 {
				if _, err := ix.Put(ctx, docs); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ix.store.walk(make(chan struct{}))
			if err != nil || got != n {
				t.Fatalf("walk: %d documents, %v; want %d, nil", got, err, n)
			}
		})
	}
}

// middleDocumentsLeaf returns the file offset of a leaf page of the
// documents bucket that is neither its first nor its last (so not on a
// spine survey reads), found by parsing bbolt's page layout: a 16-byte
// header (id, flags, count, overflow), then 16-byte leaf elements (flags,
// pos, ksize, vsize) whose key lies pos bytes after the element. Document
// values are JSON; the fingerprint bucket's, under the same ids, are not.
func middleDocumentsLeaf(t *testing.T, b []byte) int {
	t.Helper()
	const pageSize, leafFlag = 4096, 0x02
	type leaf struct {
		first string
		off   int
	}
	var leaves []leaf
	for off := 2 * pageSize; off+pageSize <= len(b); off += pageSize {
		p := b[off:]
		if binary.LittleEndian.Uint64(p) != uint64(off/pageSize) || binary.LittleEndian.Uint16(p[8:]) != leafFlag || binary.LittleEndian.Uint16(p[10:]) == 0 {
			continue
		}
		e := p[16:]
		pos, ksize := binary.LittleEndian.Uint32(e[4:]), binary.LittleEndian.Uint32(e[8:])
		k := e[pos : pos+ksize]
		v := e[pos+ksize:]
		if strings.HasPrefix(string(k), "doc-") && len(v) > 0 && v[0] == '{' {
			leaves = append(leaves, leaf{string(k), off})
		}
	}
	slices.SortFunc(leaves, func(a, b leaf) int { return strings.Compare(a.first, b.first) })
	if len(leaves) < 3 {
		t.Fatalf("the documents bucket has %d leaf pages, want 3 or more", len(leaves))
	}
	return leaves[len(leaves)/2].off
}

// TestLengthsMeasuredAfterOpen: BM25's average lengths are measured after
// Open, before any search asks for them.
func TestLengthsMeasuredAfterOpen(t *testing.T) {
	dir := closedIndex(t, Document{ID: "a", Title: "Two words", Text: "Budgets fund public schools."})
	ix, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	measured := func() map[string]float64 {
		ix.lengths.mu.Lock()
		defer ix.lengths.mu.Unlock()
		return ix.lengths.avg
	}
	deadline := time.Now().Add(30 * time.Second)
	for measured() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if avg := measured(); avg["title"] != 2 || avg["text"] != 4 {
		t.Fatalf("average lengths after Open: %v, want title 2, text 4", avg)
	}
}

// closedIndex is a data directory holding docs, its index closed.
func closedIndex(t *testing.T, docs ...Document) string {
	t.Helper()
	dir := t.TempDir()
	ix, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Put(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}
