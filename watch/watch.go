// Package watch keeps the index in step with folders on disk. At start it
// syncs each folder against what the index holds from it (by content hash,
// with a saved watermark so unchanged files are not even read), then it
// follows fsnotify events: a file created or changed is loaded and put, a
// file deleted or renamed away has its documents deleted. Events are
// debounced per path and applied in batches, so an editor's save burst or
// an atomic rename is one update, and a new file is searchable well under
// a second after it lands.
//
// It stands apart from ingest (which parses files) and index (which
// stores documents) because it owns time: watches, debouncing, and the
// watermark of what each file looked like when it was last indexed.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"policysearch/index"
	"policysearch/ingest"
)

// Index is what the watcher needs from the index.
type Index interface {
	Put(ctx context.Context, docs []index.Document) ([]index.PutResult, error)
	Delete(ctx context.Context, id string) error
	Origins(ctx context.Context, prefix string) (map[string][]string, error)
}

var _ Index = (*index.Index)(nil)

// DefaultDebounce is how long a path must be quiet before its events are
// applied: longer than an editor's write-rename-chmod burst, short enough
// that a new file is searchable at once.
const DefaultDebounce = 200 * time.Millisecond

// Options configure a Watcher; the zero value works.
type Options struct {
	// StatePath is the bbolt file holding each file's watermark; "" keeps
	// it in memory, so every start reads every file again.
	StatePath string
	// Debounce is how long a path must be quiet; 0 means DefaultDebounce.
	Debounce time.Duration
	Log      *slog.Logger
	// OnApply, when set, is called after every Sync and every batch of
	// events with what it did (tests and logs use it).
	OnApply func(Stats)
	// FollowSymlinks follows links that lead outside the watched folders;
	// by default they are not followed (inside.go).
	FollowSymlinks bool
}

// Watcher syncs and follows one or more folders.
type Watcher struct {
	ix       Index
	roots    []string
	st       *state
	log      *slog.Logger
	debounce time.Duration
	onApply  func(Stats)
	// realRoots are roots with links resolved; followLinks turns the
	// containment check off (inside.go).
	realRoots   []string
	followLinks bool

	mu sync.Mutex // one Sync or batch at a time
}

// New checks the folders and opens the watermark store. Folders are made
// absolute (document origins are absolute paths); one inside another is
// watched once, through the outer one.
func New(ix Index, dirs []string, opt Options) (*Watcher, error) {
	w := &Watcher{ix: ix, log: opt.Log, debounce: opt.Debounce, onApply: opt.OnApply, followLinks: opt.FollowSymlinks}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.debounce <= 0 {
		w.debounce = DefaultDebounce
	}
	var roots []string
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", d, err)
		}
		info, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", d, err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("watch %s: not a folder", d)
		}
		roots = append(roots, filepath.Clean(abs))
	}
	slices.Sort(roots)
	for _, r := range slices.Compact(roots) {
		if n := len(w.roots); n == 0 || !within(r, w.roots[n-1]) {
			w.roots = append(w.roots, r)
		}
	}
	w.resolveRoots()
	st, err := openState(opt.StatePath)
	if err != nil {
		return nil, err
	}
	w.st = st
	return w, nil
}

// Roots are the folders watched, absolute.
func (w *Watcher) Roots() []string { return slices.Clone(w.roots) }

// Close releases the watermark store; call it after Run has returned.
func (w *Watcher) Close() error { return w.st.close() }

// Run watches the folders, syncs them, then applies changes as they
// happen until ctx is done; then it returns nil. Watches are set before
// the sync so that nothing changed during it is missed. An event queue
// overflow (the kernel dropped events) triggers a full sync.
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewBufferedWatcher(1024)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer fw.Close()
	for _, r := range w.roots {
		w.addTree(fw, r)
	}
	w.sync(ctx)

	dirty := map[string]time.Time{} // path → its last event
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed, resync := false, false
	arm := func(d time.Duration) {
		if !armed {
			timer.Reset(d)
			armed = true
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod || ingest.Skipped(filepath.Base(ev.Name), false) && !isDir(ev.Name) {
				continue
			}
			if ev.Has(fsnotify.Create) && isDir(ev.Name) {
				w.addTree(fw, ev.Name) // files made in it before the watch are found by the walk in apply
			}
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				_ = fw.Remove(ev.Name) // a folder moved away must not report under its old name
			}
			dirty[ev.Name] = time.Now()
			arm(w.debounce)
		case err, ok := <-fw.Errors:
			if !ok {
				return nil
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.log.Warn("file events were lost; syncing the folders again", "err", err)
				resync = true
				arm(w.debounce)
				continue
			}
			w.log.Warn("watch error", "err", err)
		case <-timer.C:
			armed = false
			if resync {
				resync = false
				clear(dirty)
				w.sync(ctx)
				continue
			}
			now := time.Now()
			var ready []string
			next := time.Duration(0)
			for p, t := range dirty {
				if wait := w.debounce - now.Sub(t); wait > 0 {
					if next == 0 || wait < next {
						next = wait
					}
					continue
				}
				ready = append(ready, p)
				delete(dirty, p)
			}
			if next > 0 {
				arm(next)
			}
			if len(ready) == 0 {
				continue
			}
			slices.Sort(ready)
			st, err := w.apply(ctx, ready)
			if err != nil && ctx.Err() == nil {
				w.log.Error("apply file changes", "err", err, "paths", len(ready))
			}
			w.report("file changes", st)
		}
	}
}

// sync runs Sync and reports; a failed sync is logged, and watching goes on.
func (w *Watcher) sync(ctx context.Context) {
	start := time.Now()
	st, err := w.Sync(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("sync folders", "err", err)
		}
		return
	}
	w.log.Info("folders synced", "folders", len(w.roots), "files", st.Files, "added", st.Added, "updated", st.Updated,
		"deleted", st.Deleted, "failed", st.Failed, "took", time.Since(start).Round(time.Millisecond))
	if w.onApply != nil {
		w.onApply(st)
	}
}

func (w *Watcher) report(what string, st Stats) {
	if st.Added+st.Updated+st.Deleted+st.Failed > 0 {
		w.log.Info(what, "added", st.Added, "updated", st.Updated, "deleted", st.Deleted, "failed", st.Failed)
	}
	if w.onApply != nil {
		w.onApply(st)
	}
}

// addTree watches dir and every folder under it that a walk would enter.
func (w *Watcher) addTree(fw *fsnotify.Watcher, dir string) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if path != dir && ingest.Skipped(d.Name(), true) {
			return filepath.SkipDir
		}
		if err := fw.Add(path); err != nil {
			w.log.Warn("cannot watch folder", "path", path, "err", err)
		}
		return nil
	})
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// within reports whether path is root or lies under it.
func within(path, root string) bool {
	return path == root || strings.HasPrefix(path, root+string(filepath.Separator))
}
