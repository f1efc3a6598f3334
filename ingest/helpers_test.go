package ingest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"policysearch/index"
)

// loaded is what one Load or LoadFile call yielded and returned.
type loaded struct {
	t    *testing.T
	recs []Record
	err  error
}

// loadString runs Load over content and collects what it yields.
func loadString(t *testing.T, name, content, contentType string) loaded {
	t.Helper()
	l := loaded{t: t}
	l.err = Load(context.Background(), name, strings.NewReader(content), contentType, func(r Record) error {
		l.recs = append(l.recs, r)
		return nil
	})
	return l
}

// loadPath runs LoadFile and collects what it yields.
func loadPath(t *testing.T, path string) loaded {
	t.Helper()
	l := loaded{t: t}
	l.err = LoadFile(context.Background(), path, func(r Record) error {
		l.recs = append(l.recs, r)
		return nil
	})
	return l
}

// one insists on exactly one good record and returns its document.
func (l loaded) one() index.Document {
	t, recs, err := l.t, l.recs, l.err
	t.Helper()
	if err != nil {
		t.Fatalf("load error: %v", err)
	}
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1: %+v", len(recs), recs)
	}
	if recs[0].Err != nil {
		t.Fatalf("record error: %v", recs[0].Err)
	}
	return recs[0].Doc
}

// oneErr insists on exactly one failed record and returns its error.
func (l loaded) oneErr() error {
	t, recs, err := l.t, l.recs, l.err
	t.Helper()
	if err != nil {
		t.Fatalf("load error: %v (want an error record)", err)
	}
	if len(recs) != 1 || recs[0].Err == nil {
		t.Fatalf("got %+v, want one error record", recs)
	}
	return recs[0].Err
}

func abs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func date(s string) index.Date { return index.MustDate(s) }

func sameDate(a, b index.Date) bool {
	return a.Precision == b.Precision && a.Time.Equal(b.Time)
}

func sameList(a, b []string) bool {
	return strings.Join(a, "|") == strings.Join(b, "|")
}
