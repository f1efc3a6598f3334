package eval

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A run written with --run and read back scores what the run scored, and
// a run that differs on one query shows up in the paired comparison.
func TestSavedRunRoundTrip(t *testing.T) {
	c, err := Read(FormatBEIR, filepath.Join("testdata", "beir"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), c, Config{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rep, err := b.Run(context.Background(), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteRun(&buf); err != nil {
		t.Fatal(err)
	}
	run, err := ReadRun(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	saved := b.ScoreRun(run, "saved")
	if saved.Summary() != rep.Summary() {
		t.Errorf("saved run scores %q, the run %q", saved.Summary(), rep.Summary())
	}
	cmp, err := Compare(rep, saved)
	if err != nil || cmp.Diff != 0 {
		t.Errorf("compare with itself = %+v, %v; want a zero difference", cmp, err)
	}

	// Drop the first query's hits: it scores 0 in the saved run.
	first := rep.PerQuery[0]
	delete(run, first.ID)
	worse := b.ScoreRun(run, "saved")
	cmp, err = Compare(rep, worse)
	if err != nil {
		t.Fatal(err)
	}
	want := first.NDCG10 / float64(len(rep.PerQuery))
	if first.NDCG10 == 0 || cmp.Diff < want-1e-9 || cmp.Diff > want+1e-9 {
		t.Errorf("diff = %v, want %v (query %s's nDCG@10 over %d queries)", cmp.Diff, want, first.ID, len(rep.PerQuery))
	}
}

func TestReadRunErrors(t *testing.T) {
	for _, in := range []string{"q1 Q0 d1 1 0.5", "q1 Q0 d1 x 0.5 tag", "q1 Q0 d1 1 nan? tag"} {
		if _, err := ReadRun(strings.NewReader(in)); err == nil {
			t.Errorf("ReadRun(%q) = nil error", in)
		}
	}
	run, err := ReadRun(strings.NewReader("q1 Q0 b 2 0.4 t\n\nq1 Q0 a 1 0.9 t\n"))
	if err != nil || len(run["q1"]) != 2 || run["q1"][0].ID != "a" {
		t.Errorf("ReadRun = %v, %v; want q1: a then b", run, err)
	}
}
