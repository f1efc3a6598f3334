package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"policysearch/index"
)

func openIndex(t *testing.T) *index.Index {
	t.Helper()
	ix, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hits returns the ids of documents matching q.
func hits(t *testing.T, ix *index.Index, q string) []string {
	t.Helper()
	res, err := ix.Search(context.Background(), index.Query{Text: q, Size: 100})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids
}

// idOf is the id ingest derives for a file without id or url.
func idOf(path string) string { return index.DeriveID(path) }

// eventually polls cond until it holds or the 2-second bound
// passes, returning how long it took.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within 2s", what)
	return 0
}

func newWatcher(t *testing.T, ix Index, state string, dirs ...string) *Watcher {
	t.Helper()
	w, err := New(ix, dirs, Options{StatePath: state, Log: nil})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestSyncAtStart(t *testing.T) {
	ctx := context.Background()
	ix := openIndex(t)
	dir, other := t.TempDir(), t.TempDir()
	state := filepath.Join(t.TempDir(), "watch.db")
	a, b, c := filepath.Join(dir, "a.md"), filepath.Join(dir, "b.txt"), filepath.Join(dir, "sub", "c.html")
	write(t, a, "# Alpha\n\nAlpha talks about zebrafish subsidies.")
	write(t, b, "Bravo covers quokka tariffs.")
	write(t, c, "<html><head><title>Charlie</title></head><body><p>Charlie on narwhal quotas.</p></body></html>")
	write(t, filepath.Join(dir, "x.jsonl"), "{\"title\":\"one\",\"text\":\"first okapi record\"}\n{\"title\":\"two\",\"text\":\"second okapi record\"}\n")
	write(t, filepath.Join(dir, ".hidden.md"), "hidden axolotl")
	write(t, filepath.Join(dir, "draft.md~"), "temp axolotl")
	write(t, filepath.Join(dir, "draft.md.swp"), "temp axolotl")
	write(t, filepath.Join(dir, ".git", "x.md"), "git axolotl")
	write(t, filepath.Join(dir, "notes.xyz"), "axolotl")
	// a document from elsewhere must survive every sync of dir
	write(t, filepath.Join(other, "o.md"), "Other folder capybara.")
	if _, err := ix.Put(ctx, []index.Document{{ID: "api-doc", Title: "API", Text: "posted capybara"}, {Title: "O", Text: "capybara file", Origin: filepath.Join(other, "o.md"), ID: "o"}}); err != nil {
		t.Fatal(err)
	}

	w := newWatcher(t, ix, state, dir)
	st, err := w.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 5 || st.Deleted != 0 || st.Failed != 0 {
		t.Errorf("first sync = %+v, want 5 added", st)
	}
	for q, want := range map[string][]string{
		"zebrafish": {idOf(a)}, "quokka": {idOf(b)}, "narwhal": {idOf(c)}, "axolotl": nil, "capybara": {"api-doc", "o"},
	} {
		if got := hits(t, ix, q); !slices.Equal(got, want) {
			t.Errorf("%s: hits %v, want %v", q, got, want)
		}
	}
	if got := hits(t, ix, "okapi"); len(got) != 2 {
		t.Errorf("okapi: %v, want the two JSONL records", got)
	}

	// Again at once: nothing to do, and no file is read (watermark).
	st, err = w.Sync(ctx)
	if err != nil || st.Added+st.Updated+st.Deleted != 0 || st.Unchanged != 5 {
		t.Errorf("second sync = %+v, %v; want 5 unchanged and nothing else", st, err)
	}
	w.Close()

	// While stopped: one file changes, one goes, one arrives, one record
	// of the JSONL goes, and an API delete removes a document of the folder.
	write(t, a, "# Alpha\n\nAlpha now talks about walrus subsidies.")
	os.Remove(b)
	d := filepath.Join(dir, "sub", "deeper", "d.md")
	write(t, d, "Delta on pangolin trade.")
	write(t, filepath.Join(dir, "x.jsonl"), "{\"title\":\"one\",\"text\":\"first okapi record\"}\n")
	if err := ix.Delete(ctx, idOf(c)); err != nil {
		t.Fatal(err)
	}

	w = newWatcher(t, ix, state, dir)
	st, err = w.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 2 || st.Updated != 1 || st.Deleted != 2 {
		t.Errorf("sync after restart = %+v, want 2 added (d, c again), 1 updated (a), 2 deleted (b, a record)", st)
	}
	for q, want := range map[string][]string{
		"zebrafish": nil, "walrus": {idOf(a)}, "quokka": nil, "pangolin": {idOf(d)}, "narwhal": {idOf(c)}, "capybara": {"api-doc", "o"},
	} {
		if got := hits(t, ix, q); !slices.Equal(got, want) {
			t.Errorf("after restart, %s: hits %v, want %v", q, got, want)
		}
	}
	if got := hits(t, ix, "okapi"); len(got) != 1 {
		t.Errorf("okapi: %v, want one record left", got)
	}

	// Without a saved watermark every file is read, but nothing changes.
	w2 := newWatcher(t, ix, "", dir)
	if st, err := w2.Sync(ctx); err != nil || st.Added+st.Updated+st.Deleted != 0 {
		t.Errorf("sync without state = %+v, %v; want no changes", st, err)
	}
}

func TestNestedRootsWatchedOnce(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	w := newWatcher(t, openIndex(t), "", filepath.Join(dir, "a", "b"), filepath.Join(dir, "a"), filepath.Join(dir, "a"))
	if got := w.Roots(); len(got) != 1 || got[0] != filepath.Join(dir, "a") {
		t.Errorf("roots = %v", got)
	}
	if _, err := New(openIndex(t), []string{filepath.Join(dir, "missing")}, Options{}); err == nil {
		t.Error("a missing folder must be an error")
	}
}

func TestFollowChanges(t *testing.T) {
	ix := openIndex(t)
	dir := t.TempDir()
	pre := filepath.Join(dir, "pre.md")
	write(t, pre, "Present before start: marmot.")
	synced := make(chan Stats, 100)
	w, err := New(ix, []string{dir}, Options{OnApply: func(s Stats) { synced <- s }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not stop with its context")
		}
		w.Close()
	})
	select {
	case <-synced:
	case <-time.After(5 * time.Second):
		t.Fatal("no start-up sync")
	}
	if got := hits(t, ix, "marmot"); len(got) != 1 {
		t.Fatalf("start-up sync: marmot hits %v", got)
	}
	found := func(q string, n int) func() bool {
		return func() bool { return len(hits(t, ix, q)) == n }
	}

	t.Run("create", func(t *testing.T) {
		p := filepath.Join(dir, "new.md")
		start := time.Now()
		write(t, p, "# New\n\nA brand new note on wombat levies.")
		eventually(t, "new file searchable", found("wombat", 1))
		t.Logf("create → searchable: %v", time.Since(start).Round(time.Millisecond))
	})
	t.Run("modify", func(t *testing.T) {
		p := filepath.Join(dir, "new.md")
		// an editor's burst: truncate, write in pieces
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("# New\n\nNow about ")
		f.Sync()
		f.WriteString("koala levies instead.")
		f.Close()
		eventually(t, "modified file", func() bool { return found("koala", 1)() && found("wombat", 0)() })
	})
	t.Run("atomic rename", func(t *testing.T) {
		p := filepath.Join(dir, "new.md")
		tmp := filepath.Join(dir, "new.md.tmp")
		write(t, tmp, "# New\n\nSaved atomically: dingo duties.")
		if err := os.Rename(tmp, p); err != nil {
			t.Fatal(err)
		}
		eventually(t, "atomically replaced file", func() bool { return found("dingo", 1)() && found("koala", 0)() })
		if got := hits(t, ix, "dingo"); got[0] != idOf(p) {
			t.Errorf("replaced file has id %v, want %s (the temp file's name must not count)", got, idOf(p))
		}
	})
	t.Run("rename", func(t *testing.T) {
		from, to := filepath.Join(dir, "new.md"), filepath.Join(dir, "renamed.md")
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
		eventually(t, "renamed file", func() bool { got := hits(t, ix, "dingo"); return len(got) == 1 && got[0] == idOf(to) })
	})
	t.Run("delete", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "renamed.md"))
		eventually(t, "deleted file", found("dingo", 0))
	})
	t.Run("ignored", func(t *testing.T) {
		write(t, filepath.Join(dir, ".secret.md"), "hidden gecko")
		write(t, filepath.Join(dir, "x.md~"), "backup gecko")
		write(t, filepath.Join(dir, "dl.pdf.crdownload"), "partial gecko")
		write(t, filepath.Join(dir, "flag.md"), "visible flamingo")
		eventually(t, "visible file", found("flamingo", 1))
		if got := hits(t, ix, "gecko"); len(got) != 0 {
			t.Errorf("hidden or temp files indexed: %v", got)
		}
	})
	t.Run("new folder, then removed", func(t *testing.T) {
		sub := filepath.Join(dir, "inbox", "2024")
		write(t, filepath.Join(sub, "one.txt"), "Folder file one: ibex.")
		write(t, filepath.Join(sub, "two.txt"), "Folder file two: ibex.")
		eventually(t, "files in a new folder", found("ibex", 2))
		write(t, filepath.Join(sub, "three.txt"), "Folder file three: ibex.")
		eventually(t, "file in the new folder's watch", found("ibex", 3))
		os.RemoveAll(filepath.Join(dir, "inbox"))
		eventually(t, "removed folder", found("ibex", 0))
	})
	t.Run("sidecar", func(t *testing.T) {
		p := filepath.Join(dir, "flag.md")
		write(t, p+".meta.yaml", "source: Flag Institute\n")
		eventually(t, "sidecar applied", func() bool {
			d, err := ix.Get(context.Background(), idOf(p))
			return err == nil && d.Source == "Flag Institute"
		})
	})
	t.Run("pdf", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "pdf", "brief.pdf"))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "brief.pdf")
		start := time.Now()
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		eventually(t, "pdf searchable", found("photolithography", 1))
		t.Logf("pdf create → searchable: %v", time.Since(start).Round(time.Millisecond))
	})
	t.Run("jsonl records go with their file", func(t *testing.T) {
		p := filepath.Join(dir, "batch.jsonl")
		write(t, p, "{\"title\":\"r1\",\"text\":\"tapir one\"}\n{\"title\":\"r2\",\"text\":\"tapir two\"}\n{\"id\":\"own-id\",\"title\":\"r3\",\"text\":\"tapir three\"}\n")
		eventually(t, "jsonl records", found("tapir", 3))
		os.Remove(p)
		eventually(t, "jsonl removed", found("tapir", 0))
	})
}
