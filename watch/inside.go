package watch

import (
	"path/filepath"
)

// Watched folders stay inside their folders: a symbolic link in one that
// points outside it (to /etc/hostname, to a home directory) is not
// followed, so a writable folder cannot pull other files into a
// searchable index. Links that stay inside are followed; Options.
// FollowSymlinks follows every link.

// inside reports whether path, once its links are resolved, still lies in
// one of the watched folders (also resolved: a folder given through a
// link is watched where it points). A path that cannot be resolved is
// not inside.
func (w *Watcher) inside(path string) bool {
	if w.followLinks {
		return true
	}
	real, err := filepath.EvalSymlinks(path)
	return err == nil && w.underReal(real)
}

// underReal reports whether a resolved path lies in a resolved watched
// folder.
func (w *Watcher) underReal(real string) bool {
	for _, r := range w.realRoots {
		if within(real, r) {
			return true
		}
	}
	return false
}

// resolveRoots records where each watched folder really is.
func (w *Watcher) resolveRoots() {
	w.realRoots = w.realRoots[:0]
	for _, r := range w.roots {
		if real, err := filepath.EvalSymlinks(r); err == nil {
			w.realRoots = append(w.realRoots, real)
		}
	}
}
