package watch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"policysearch/ingest"
)

// Stats counts what one Sync or one batch of events did.
type Stats struct {
	Files     int `json:"files"` // files looked at
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Deleted   int `json:"deleted"`
	Failed    int `json:"failed"` // files or records that could not be loaded
}

func (s *Stats) add(o Stats) {
	s.Files += o.Files
	s.Added += o.Added
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
	s.Deleted += o.Deleted
	s.Failed += o.Failed
}

// sidecarSuffixes must match ingest's: a sidecar change re-indexes its file.
var sidecarSuffixes = []string{".meta.yaml", ".meta.yml", ".meta.json"}

// Sync makes the index agree with the folders: files that are new or
// changed since they were indexed are loaded and put, documents of files
// that vanished are deleted. Only documents whose origin lies under a
// watched folder are touched. It is idempotent, so it is safe to run at
// every start, after an event queue overflow, or twice in a row.
func (w *Watcher) Sync(ctx context.Context) (Stats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var total Stats
	for _, root := range w.roots {
		st, err := w.syncRoot(ctx, root)
		total.add(st)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (w *Watcher) syncRoot(ctx context.Context, root string) (Stats, error) {
	prefix := root + string(filepath.Separator)
	origins, err := w.ix.Origins(ctx, prefix)
	if err != nil {
		return Stats{}, fmt.Errorf("list documents from %s: %w", root, err)
	}
	indexed := map[string][]string{} // file → ids the index holds from it
	for origin, ids := range origins {
		f := fileOf(origin)
		indexed[f] = append(indexed[f], ids...)
	}
	b := w.newBatch(ctx)
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			w.log.Warn("cannot read", "path", path, "err", err)
			if d != nil && d.IsDir() && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if path != root && ingest.Skipped(d.Name(), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !eligible(path) {
			return nil
		}
		seen[path] = true
		known := union(w.st.files[path].IDs, indexed[path])
		return b.examine(path, known, allPresent(w.st.files[path].IDs, indexed[path]))
	})
	if err != nil {
		return b.stats, err
	}
	// Files gone since the last run: in the watermark or in the index.
	var gone []string
	for p := range w.st.files {
		if strings.HasPrefix(p, prefix) && !seen[p] {
			gone = append(gone, p)
		}
	}
	for p := range indexed {
		if !seen[p] && !slices.Contains(gone, p) {
			gone = append(gone, p)
		}
	}
	slices.Sort(gone)
	for _, p := range gone {
		if err := b.remove(p, union(w.st.files[p].IDs, indexed[p])); err != nil {
			return b.stats, err
		}
	}
	return b.stats, b.flush()
}

// apply handles paths that events named: each is upserted if it is an
// eligible file, walked if it is a folder, and removed (with everything
// under it) if it no longer exists.
func (w *Watcher) apply(ctx context.Context, paths []string) (Stats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.newBatch(ctx)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return b.stats, err
		}
		if doc, ok := ingest.SidecarOf(filepath.Base(p)); ok {
			p = filepath.Join(filepath.Dir(p), doc) // metadata changed: redo its file
		}
		info, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := w.removeTree(b, p); err != nil {
				return b.stats, err
			}
		case err != nil:
			w.log.Warn("cannot read", "path", p, "err", err)
		case info.IsDir() && !w.inside(p):
			w.log.Warn("not followed: a link that leads outside the watched folder (--watch-follow-symlinks follows it)", "path", p)
		case info.IsDir():
			err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				if path != p && ingest.Skipped(d.Name(), d.IsDir()) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.IsDir() || !eligible(path) {
					return nil
				}
				return b.examine(path, w.st.files[path].IDs, true)
			})
			if err != nil {
				return b.stats, err
			}
		case info.Mode().IsRegular() && eligible(p):
			if err := b.examine(p, w.st.files[p].IDs, true); err != nil {
				return b.stats, err
			}
		}
	}
	return b.stats, b.flush()
}

// removeTree deletes the documents of path and, for a folder that went
// away, of every file that was under it.
func (w *Watcher) removeTree(b *batch, path string) error {
	under := path + string(filepath.Separator)
	var paths []string
	for p := range w.st.files {
		if p == path || strings.HasPrefix(p, under) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := b.remove(p, w.st.files[p].IDs); err != nil {
			return err
		}
	}
	return nil
}

// eligible reports whether a walk loads the file: a supported type, not
// hidden, not a temp file, not a sidecar.
func eligible(path string) bool {
	name := filepath.Base(path)
	if ingest.Skipped(name, false) || !ingest.Supported(name) {
		return false
	}
	_, side := ingest.SidecarOf(name)
	return !side
}

// fileOf maps a document origin to its file: records of a multi-record
// file have origins "path#n".
func fileOf(origin string) string {
	i := strings.LastIndexByte(origin, '#')
	if i < 0 {
		return origin
	}
	if _, err := strconv.Atoi(origin[i+1:]); err != nil || !ingest.Supported(origin[:i]) {
		return origin
	}
	return origin[:i]
}

// stamp is the cheap fingerprint of a file and its sidecar: sizes and
// modification times.
func stamp(path string, info fs.FileInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d", info.Size(), info.ModTime().UnixNano())
	for _, s := range sidecarSuffixes {
		if si, err := os.Stat(path + s); err == nil {
			fmt.Fprintf(&b, ";%s %d/%d", s, si.Size(), si.ModTime().UnixNano())
		}
	}
	return b.String()
}

// contentHash is the sha256 of a file and its sidecar.
func contentHash(path string) (string, error) {
	h := sha256.New()
	add := func(p string, must bool) error {
		f, err := os.Open(p)
		if err != nil {
			if !must && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "\x00%s\x00", filepath.Ext(p))
		_, err = io.Copy(h, f)
		return err
	}
	if err := add(path, true); err != nil {
		return "", err
	}
	for _, s := range sidecarSuffixes {
		if err := add(path+s, false); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// allPresent reports whether every id of the watermark is still in the
// index; one deleted through the API makes the file load again.
func allPresent(want, have []string) bool {
	for _, id := range want {
		if !slices.Contains(have, id) {
			return false
		}
	}
	return true
}
