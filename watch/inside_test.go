package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLinksStayInside: links in a watched folder that lead outside it
// (to a file, to a folder) are not indexed, at the start-up sync or when
// they appear later; links that stay inside are; and FollowSymlinks
// follows them all.
func TestLinksStayInside(t *testing.T) {
	for _, follow := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "FollowSymlinks"}[follow], func(t *testing.T) {
			ctx := context.Background()
			dir, outside := t.TempDir(), t.TempDir()
			write(t, filepath.Join(dir, "brief.txt"), "Tariffs on inside steel.")
			write(t, filepath.Join(outside, "secret.txt"), "Outsidesecret password file.")
			write(t, filepath.Join(outside, "folder", "more.txt"), "Outsidesecret folder file.")
			link := func(target, name string) {
				t.Helper()
				if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
					t.Skipf("no symlinks here: %v", err)
				}
			}
			link(filepath.Join(outside, "secret.txt"), "secret.txt")
			link(filepath.Join(outside, "folder"), "folder")
			link(filepath.Join(dir, "brief.txt"), "alias.txt") // stays inside
			ix := openIndex(t)
			w, err := New(ix, []string{dir}, Options{FollowSymlinks: follow})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if _, err := w.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if got := hits(t, ix, "inside"); !slices.Contains(got, idOf(filepath.Join(dir, "alias.txt"))) {
				t.Errorf("the inside link was not indexed: %v", got)
			}
			// A link that appears later, as an event names it.
			link(filepath.Join(outside, "secret.txt"), "late.txt")
			if _, err := w.apply(ctx, []string{filepath.Join(dir, "late.txt"), filepath.Join(dir, "folder")}); err != nil {
				t.Fatal(err)
			}
			got := hits(t, ix, "outsidesecret")
			if follow {
				// Linked files are followed; linked folders are not
				// walked either way (that keeps walks free of cycles).
				if len(got) != 2 {
					t.Errorf("with FollowSymlinks: %v, want the two linked files", got)
				}
				return
			}
			if len(got) != 0 {
				t.Errorf("links outside the folder were indexed: %v", got)
			}
		})
	}
}
