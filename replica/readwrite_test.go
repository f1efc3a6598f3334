package replica

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"policysearch/index"
	"policysearch/replica/natstest"
)

// openIdle joins a node that does not apply the log (its Run is not
// started): a node as far behind as a node can be.
func openIdle(t *testing.T, urls []string, name string) *member {
	t.Helper()
	ctx := context.Background()
	ix, err := index.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	node, err := Open(ctx, Config{URLs: urls, Node: name, ApplyWait: 200 * time.Millisecond, StartTimeout: 20 * time.Second}, ix, slog.New(slog.DiscardHandler))
	if err != nil {
		ix.Close()
		t.Fatal(err)
	}
	m := &member{ix: ix, node: node, stop: func() { node.Close(); ix.Close() }}
	t.Cleanup(m.stop)
	return m
}

// TestWritesThroughALaggingNode: a node's local copy may be behind the
// log, so it must not decide a write against it. A delete of a document
// it has not applied yet is logged, not answered 404; a put of content it
// holds but the log has since deleted is logged, not passed off as
// unchanged.
func TestWritesThroughALaggingNode(t *testing.T) {
	nats := natstest.Start(t, 1)
	ctx := context.Background()
	a := join(t, nats.URLs(), "a", t.TempDir())
	b := openIdle(t, nats.URLs(), "b")

	put := func(m *member, id, text string) index.PutResult {
		t.Helper()
		res, err := m.ix.Put(ctx, []index.Document{{ID: id, Title: "Lag " + id, Text: text}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	put(a, "x", "tariff schedule")
	// b applies nothing, so the delete is acknowledged as accepted (202).
	if _, ok := errors.AsType[*index.Accepted](b.ix.Delete(ctx, "x")); !ok {
		t.Fatalf("delete through a node that has not applied the put: not accepted, want it logged")
	}
	waitSeq(t, a, a.node.Status().Sequence)
	if d, _ := a.ix.Get(ctx, "x"); d != nil {
		t.Fatalf("x still on a after the delete through b")
	}
	if err := b.ix.Delete(ctx, "x"); index.KindOf(err) != index.NotFound {
		t.Errorf("second delete: %v, want NotFound (the log's latest entry is a tombstone)", err)
	}
	if err := b.ix.Delete(ctx, "never-was"); index.KindOf(err) != index.NotFound {
		t.Errorf("delete of an id the log never had: %v, want NotFound", err)
	}

	// b applies the put of y, then stops applying; y is deleted through
	// a; the same content put again through b must reach the log.
	put(a, "y", "levy notice")
	if err := b.ix.ApplyLog(ctx, a.ix.AppliedSeq(), []index.LogOp{{Put: a.get(t, "y")}}); err != nil {
		t.Fatal(err)
	}
	if err := a.ix.Delete(ctx, "y"); err != nil {
		t.Fatal(err)
	}
	r := put(b, "y", "levy notice")
	if r.Status == index.Unchanged || r.Sequence == 0 {
		t.Fatalf("put through b of what b holds but the log deleted: %+v, want it logged", r)
	}
	waitSeq(t, a, r.Sequence)
	if d, _ := a.ix.Get(ctx, "y"); d == nil {
		t.Errorf("y missing on a after its put through b was acknowledged")
	}

	// A node that has caught up still skips what it holds unchanged.
	if r := put(a, "y", "levy notice"); r.Status != index.Unchanged || r.Sequence != 0 {
		t.Errorf("put of unchanged content through an up-to-date node: %+v, want unchanged, not logged", r)
	}
}

func (m *member) get(t *testing.T, id string) *index.Document {
	t.Helper()
	d, err := m.ix.Get(context.Background(), id)
	if err != nil || d == nil {
		t.Fatalf("get %s: %v %v", id, d, err)
	}
	return d
}
