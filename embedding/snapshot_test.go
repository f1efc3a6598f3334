package embedding

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"policysearch/index"
)

// TestSnapshotSurvivesRestart closes a service (which saves the vector
// graph), changes the documents behind its back, and restarts it: the
// unchanged documents keep their nodes without relinking, the changed one
// is relinked, the deleted one is swept, and searches answer as before. A
// damaged snapshot is ignored and every vector relinked.
func TestSnapshotSurvivesRestart(t *testing.T) {
	srv := startEndpoint(t, 64)
	dir := t.TempDir()
	r := newRig(t, srv, dir, Config{})
	ctx := context.Background()
	docs := docsN(30, 300)
	if _, err := r.ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "embedding", func() bool { return r.settled() && r.svc.Summary().Done == 30 })
	queries := []string{"steel tariffs", "energy grid", "welfare algorithms audit"}
	search := func(r *rig) [][]index.SemanticMatch {
		var out [][]index.SemanticMatch
		for _, q := range queries {
			ms, err := r.svc.Nearest(ctx, q, 5, func(id string) bool { return id != "doc-005" && id != "doc-006" })
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ms)
		}
		return out
	}
	before := search(r)
	passages := r.svc.Summary().Passages - r.svc.DocStatus("doc-005").Passages - r.svc.DocStatus("doc-006").Passages
	r.close()
	snap := filepath.Join(dir, "embeddings.vectors")
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("no snapshot after Close: %v", err)
	}

	// While the service is down: one document deleted, one changed.
	ix, err := index.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(ctx, "doc-005"); err != nil {
		t.Fatal(err)
	}
	changed := docs[6]
	changed.Text = "An entirely new text on semiconductor export controls. It has two sentences."
	if _, err := ix.Put(ctx, []index.Document{changed}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	r = newRig(t, srv, dir, Config{})
	waitFor(t, "restart", func() bool {
		s := r.svc.Summary()
		return s.Pending == 0 && s.Done == 29 && restoredLeft(r.svc.vecs) == 0
	})
	if got, want := r.svc.vecs.linked.Load(), int64(r.svc.DocStatus("doc-006").Passages); got != want {
		t.Errorf("restart linked %d passages, want %d (the changed document's)", got, want)
	}
	if got := r.svc.vecs.docVectors("doc-005"); got != nil {
		t.Errorf("the deleted document still has %d vectors", len(got))
	}
	if got, want := r.svc.Summary().Passages, passages+r.svc.DocStatus("doc-006").Passages; got != want {
		t.Errorf("%d passages after restart, want %d", got, want)
	}
	if after := search(r); !reflect.DeepEqual(after, before) {
		t.Errorf("searches changed across the restart:\n got %v\nwant %v", after, before)
	}

	r.close()
	if err := os.WriteFile(snap, []byte("policysearch-vectors-1\ngarbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = newRig(t, srv, dir, Config{})
	waitFor(t, "restart with a damaged snapshot", func() bool {
		s := r.svc.Summary()
		return s.Pending == 0 && s.Done == 29
	})
	if got, want := r.svc.vecs.linked.Load(), int64(r.svc.Summary().Passages); got != want {
		t.Errorf("with a damaged snapshot %d passages were linked, want all %d", got, want)
	}
	if after := search(r); !reflect.DeepEqual(after, before) {
		t.Errorf("searches changed after relinking:\n got %v\nwant %v", after, before)
	}
}

// restoredLeft counts snapshot documents not yet confirmed or swept.
func restoredLeft(v *vectors) int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.restored)
}
