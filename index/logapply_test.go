package index

import (
	"context"
	"testing"
)

// logDoc is a document as a writer would log it: normalised and hashed.
func logDoc(t *testing.T, id, text string) *Document {
	t.Helper()
	d := &Document{ID: id, Title: "Log " + id, Text: text}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	d.ComputeHash()
	return d
}

func TestApplyLogOrderAndMark(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		seq     uint64
		ops     []LogOp
		want    map[string]string // id -> text; absent ids must be gone
		applied uint64
	}{
		{"puts", 3, []LogOp{{Put: logDoc(t, "a", "first tariff")}, {Put: logDoc(t, "b", "bee text")}},
			map[string]string{"a": "first tariff", "b": "bee text"}, 3},
		{"the last op on an id wins", 7, []LogOp{{Put: logDoc(t, "a", "second tariff")}, {Delete: "b"}, {Put: logDoc(t, "b", "bee again")}, {Delete: "b"}},
			map[string]string{"a": "second tariff", "b": ""}, 7},
		{"a redelivered entry is ignored", 5, []LogOp{{Put: logDoc(t, "a", "stale tariff")}},
			map[string]string{"a": "second tariff", "b": ""}, 7},
		{"a delete of a missing id still moves the mark", 9, []LogOp{{Delete: "never"}},
			map[string]string{"a": "second tariff"}, 9},
	}
	for _, s := range steps {
		if err := ix.ApplyLog(ctx, s.seq, s.ops); err != nil {
			t.Fatalf("%s: ApplyLog: %v", s.name, err)
		}
		for id, text := range s.want {
			d, _ := ix.Get(ctx, id)
			switch {
			case text == "" && d != nil:
				t.Errorf("%s: %s still stored: %q", s.name, id, d.Text)
			case text != "" && (d == nil || d.Text != text):
				t.Errorf("%s: Get(%s) = %+v, want text %q", s.name, id, d, text)
			}
		}
		if got := ix.AppliedSeq(); got != s.applied {
			t.Errorf("%s: AppliedSeq = %d, want %d", s.name, got, s.applied)
		}
	}
	ix.Close()

	// The mark lives in the store beside the documents: a reopened index
	// resumes from it, and search sees what was applied.
	ix, err = Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if got := ix.AppliedSeq(); got != 9 {
		t.Errorf("after reopen AppliedSeq = %d, want 9", got)
	}
	res, err := ix.Search(ctx, Query{Text: "tariff"})
	if err != nil || res.Total != 1 || res.Hits[0].ID != "a" {
		t.Fatalf("search after reopen: %+v, %v; want only a", res, err)
	}
}

func TestApplyLogWakesWaiters(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t)
	if err := ix.SetWriteLog(nil, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	go func() { done <- ix.WaitApplied(ctx, 4, 10e9) }()
	if err := ix.ApplyLog(ctx, 4, []LogOp{{Put: logDoc(t, "w", "waited for")}}); err != nil {
		t.Fatal(err)
	}
	if !<-done {
		t.Error("WaitApplied(4) returned false after ApplyLog(4)")
	}
	if ix.WaitApplied(ctx, 5, 1e6) {
		t.Error("WaitApplied(5) returned true with 4 applied")
	}
}
