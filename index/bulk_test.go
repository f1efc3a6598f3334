package index

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestBulk feeds streams through a real index and checks what report saw:
// every input once, in input order, in batches no larger than Put's, with
// the outcome of each.
func TestBulk(t *testing.T) {
	good := func(i int) Document {
		return Document{ID: fmt.Sprintf("d%04d", i), Title: "Passage", Text: fmt.Sprintf("text number %d about tariffs", i)}
	}
	third := strings.Repeat("tariff ", batchBytes/21) // a third of batchBytes
	cases := []struct {
		name       string
		inputs     int
		bad        func(i int) bool // inputs that failed before Add
		doc        func(i int) Document
		wantBatch  []int // sizes of the reported batches
		wantStored int
	}{
		{"empty", 0, nil, good, nil, 0},
		{"one", 1, nil, good, []int{1}, 1},
		{"batches of 512", 1100, nil, good, []int{512, 512, 76}, 1100},
		{"failures keep their place", 600, func(i int) bool { return i%7 == 3 }, good, []int{512, 88}, 600 - 86},
		{"all failed", 5, func(int) bool { return true }, good, []int{5}, 0},
		{"batches end before the document that would pass batchBytes", 5, nil, func(i int) Document {
			d := good(i)
			d.Text += third
			return d
		}, []int{2, 2, 1}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ix := openTest(t)
			gen := ix.Generation()
			var seen []int
			var sizes []int
			b := NewBulk(ctx, ix, func(items []BulkItem[int]) error {
				sizes = append(sizes, len(items))
				for _, it := range items {
					seen = append(seen, it.Tag)
					failed := tc.bad != nil && tc.bad(it.Tag)
					switch {
					case failed && (it.Err == nil || it.Doc != nil):
						t.Errorf("input %d: failed upstream but reported %+v", it.Tag, it)
					case !failed && (it.Err != nil || it.Status != Added || it.Doc == nil || it.Doc.ID != tc.doc(it.Tag).ID):
						t.Errorf("input %d: reported %+v, want added", it.Tag, it)
					}
				}
				return nil
			})
			for i := range tc.inputs {
				var err error
				if tc.bad != nil && tc.bad(i) {
					err = b.Fail(i, errors.New("bad line"))
				} else {
					err = b.Add(i, tc.doc(i))
				}
				if err != nil {
					t.Fatalf("input %d: %v", i, err)
				}
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			for i, tag := range seen {
				if tag != i {
					t.Fatalf("report saw input %d at position %d", tag, i)
				}
			}
			if len(seen) != tc.inputs || fmt.Sprint(sizes) != fmt.Sprint(tc.wantBatch) {
				t.Errorf("reported %d inputs in batches %v, want %d in %v", len(seen), sizes, tc.inputs, tc.wantBatch)
			}
			if st, _ := ix.Stats(ctx); st.Documents != tc.wantStored {
				t.Errorf("stored %d documents, want %d", st.Documents, tc.wantStored)
			}
			// each reported batch with documents was one Put transaction
			writes := 0
			for _, n := range sizes {
				if n > 0 && tc.wantStored > 0 {
					writes++
				}
			}
			if got := int(ix.Generation() - gen); got != writes {
				t.Errorf("%d index writes for %d batches", got, writes)
			}
		})
	}
}

// TestBulkStops checks that an error from report stops the load: Add
// soon returns it, Close returns it, and nothing after it is reported.
func TestBulkStops(t *testing.T) {
	ix := openTest(t)
	stop := errors.New("client went away")
	reports := 0
	b := NewBulk(context.Background(), ix, func(items []BulkItem[int]) error {
		reports++
		return stop
	})
	var addErr error
	for i := 0; i < 10*batchSize && addErr == nil; i++ {
		addErr = b.Add(i, Document{ID: fmt.Sprint(i), Title: "t", Text: "some words"})
	}
	if !errors.Is(addErr, stop) {
		t.Errorf("Add kept accepting input after report failed: %v", addErr)
	}
	if err := b.Close(); !errors.Is(err, stop) {
		t.Errorf("Close = %v, want %v", err, stop)
	}
	if reports != 1 {
		t.Errorf("report called %d times, want 1", reports)
	}
}

// TestBulkReportsWriteErrors: a document that fails validation is
// reported failed on its own, in its place, and the rest of its batch is
// written; when the index refuses a whole batch, every document of it is
// reported with that error.
func TestBulkReportsWriteErrors(t *testing.T) {
	ix := openTest(t)
	type outcome struct {
		failed, written int
		codes           map[string]int
	}
	load := func(n int, bad func(i int, d *Document)) outcome {
		o := outcome{codes: map[string]int{}}
		b := NewBulk(context.Background(), ix, func(items []BulkItem[int]) error {
			for _, it := range items {
				if it.Err == nil {
					o.written++
					continue
				}
				o.failed++
				var e *Error
				if errors.As(it.Err, &e) {
					o.codes[e.Code]++
				} else {
					o.codes["other"]++
				}
			}
			return nil
		})
		for i := range n {
			d := Document{ID: fmt.Sprint(i), Title: "t", Text: "words"}
			bad(i, &d)
			if err := b.Add(i, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		return o
	}
	// An unknown source type fails validation: that document only.
	o := load(batchSize+3, func(i int, d *Document) {
		if i == 10 {
			d.SourceType = "rumour"
		}
	})
	if o.failed != 1 || o.written != batchSize+2 || o.codes["invalid_source_type"]+o.codes["invalid_document"] != 1 {
		t.Errorf("one invalid document: %d failed %v and %d written, want 1 and %d", o.failed, o.codes, o.written, batchSize+2)
	}
	// A closed index refuses every batch.
	ix.Close()
	o = load(batchSize+3, func(int, *Document) {})
	if o.failed != batchSize+3 || o.written != 0 {
		t.Errorf("closed index: %d failed and %d written, want %d and 0", o.failed, o.written, batchSize+3)
	}
}

// TestBulkMisuseAndPanics: a document added after Close is an error, and
// a panic in report stops the load with an error instead of the process.
func TestBulkMisuseAndPanics(t *testing.T) {
	ix := openTest(t)
	b := NewBulk(context.Background(), ix, func([]BulkItem[int]) error { return nil })
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(1, Document{ID: "late", Text: "words"}); !errors.Is(err, errBulkClosed) {
		t.Errorf("Add after Close = %v, want errBulkClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}

	b = NewBulk(context.Background(), ix, func([]BulkItem[int]) error { panic("report bug") })
	if err := b.Add(1, Document{ID: "one", Text: "words"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err == nil || !strings.Contains(err.Error(), "report bug") {
		t.Errorf("Close after a panicking report = %v", err)
	}
}
