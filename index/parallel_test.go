package index

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestPutNamesTheFirstBadDocument: a batch is prepared on every core,
// and a batch with bad documents is refused whole, naming the first bad
// one as a loop would, whichever worker met which.
func TestPutNamesTheFirstBadDocument(t *testing.T) {
	ix := openTest(t)
	for _, bad := range [][]int{{57}, {3, 200}, {130, 131, 250}} {
		var docs []Document
		for i := range 256 {
			d := Document{ID: fmt.Sprintf("p%03d", i), Title: "Brief", Text: "A note on tariffs."}
			for _, b := range bad {
				if i == b {
					d.SourceType = "gazette"
				}
			}
			docs = append(docs, d)
		}
		_, err := ix.Put(context.Background(), docs)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || !strings.HasPrefix(e.Message, fmt.Sprintf("document %d: ", bad[0]+1)) {
			t.Fatalf("bad documents %v: error %v, want one naming document %d", bad, err, bad[0]+1)
		}
		if st, _ := ix.Stats(context.Background()); st.Documents != 0 {
			t.Fatalf("a refused batch stored %d documents", st.Documents)
		}
	}
}

// TestParallelTurnsPanicsIntoErrors: a panic in one item fails the call,
// and the lowest failing index is reported.
func TestParallelTurnsPanicsIntoErrors(t *testing.T) {
	i, err := parallel(500, 8, func(i int) error {
		switch {
		case i == 333:
			panic("boom")
		case i == 400:
			return errors.New("late")
		}
		return nil
	})
	if i != 333 || err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("parallel = %d, %v; want 333 and the panic", i, err)
	}
}
