package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"policysearch/index"
)

// tree writes files under a new temporary folder and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type walked struct {
	path string
	rec  Record
}

func walk(t *testing.T, paths ...string) ([]walked, error) {
	t.Helper()
	var out []walked
	err := Walk(context.Background(), paths, func(p string, r Record) error {
		out = append(out, walked{p, r})
		return nil
	})
	return out, err
}

func TestWalkSkips(t *testing.T) {
	dir := tree(t, map[string]string{
		"a.txt":                "Alpha.",
		"b.md":                 "# Bravo\n\nText.",
		"sub/c.json":           `[{"title":"C1"},{"title":"C2"}]`,
		"sub/deeper/d.html":    "<title>Delta</title><p>Text.</p>",
		"data.meta.json":       `{"title":"Not a sidecar"}`,
		".hidden.txt":          "hidden",
		".git/e.txt":           "in a hidden folder",
		"notes.txt~":           "backup",
		".notes.txt.swp":       "vim",
		"notes.txt.swx":        "vim",
		"draft.tmp":            "tmp",
		"#f.txt#":              "emacs",
		"g.html.part":          "partial download",
		"h.html.crdownload":    "partial download",
		"~$report.txt":         "office lock",
		"image.png":            "\x89PNG",
		"a.txt.meta.yaml":      "tags: [x]",
		"sub/c.json.meta.json": `{"source":"S"}`,
	})
	got, err := walk(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	var titles, paths []string
	for _, w := range got {
		if w.rec.Err != nil {
			t.Errorf("%s: unexpected error %v", w.path, w.rec.Err)
			continue
		}
		titles = append(titles, w.rec.Doc.Title)
		rel, _ := filepath.Rel(dir, w.path)
		paths = append(paths, filepath.ToSlash(rel))
	}
	wantTitles := []string{"Alpha", "Bravo", "Not a sidecar", "C1", "C2", "Delta"}
	if !slices.Equal(titles, wantTitles) {
		t.Errorf("titles: got %q, want %q", titles, wantTitles)
	}
	wantPaths := []string{"a.txt", "b.md", "data.meta.json", "sub/c.json", "sub/c.json", "sub/deeper/d.html"}
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("paths: got %q, want %q", paths, wantPaths)
	}
}

func TestWalkSidecars(t *testing.T) {
	dir := tree(t, map[string]string{
		"brief.txt": "---\ntitle: In the file\nsource: File source\ntags: [file]\n---\nText.",
		"brief.txt.meta.yaml": "title: From the sidecar\npublished: 2022-01-02\n" +
			"author: [S. Writer]\nsource_type: think tank\nprogramme: Energy\n",
		"page.html":            "<title>Page</title><p>Text.</p>",
		"page.html.meta.json":  `{"url":"https://ex.org/page","country":"FR"}`,
		"bad.txt":              "Text.",
		"bad.txt.meta.yaml":    "title: [unclosed",
		"feed.jsonl":           "{\"title\":\"a\"}\n{\"title\":\"b\"}\n",
		"feed.jsonl.meta.yaml": "source: Feed source",
		"multi.json":           `[{"title":"a"}]`,
		"multi.json.meta.yaml": "id: one-id",
		"quiet.md":             "Text.",
		"quiet.md.meta.yml":    "language: de-AT",
	})
	got, err := walk(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]Record{}
	for _, w := range got {
		by[filepath.Base(w.path)] = append(by[filepath.Base(w.path)], w.rec)
	}
	t.Run("yaml sidecar overrides and fills in", func(t *testing.T) {
		d := by["brief.txt"][0].Doc
		checks := []struct{ field, got, want string }{
			{"title", d.Title, "From the sidecar"},
			{"source (kept from file)", d.Source, "File source"},
			{"tags (kept from file)", strings.Join(d.Tags, "|"), "file"},
			{"published", d.Published.String(), "2022-01-02"},
			{"author", strings.Join(d.Authors, "|"), "S. Writer"},
			{"source_type", d.SourceType, "think_tank"},
			{"extra", str(d.Extra["programme"]), "Energy"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
			}
		}
	})
	t.Run("json sidecar sets the url and so the id", func(t *testing.T) {
		d := by["page.html"][0].Doc
		if d.URL != "https://ex.org/page" || d.Country != "FR" || d.ID != index.DeriveID("https://ex.org/page") {
			t.Errorf("got url %q country %q id %q", d.URL, d.Country, d.ID)
		}
	})
	t.Run("yml sidecar", func(t *testing.T) {
		if d := by["quiet.md"][0].Doc; d.Language != "de-at" {
			t.Errorf("language: got %q, want %q", d.Language, "de-at")
		}
	})
	t.Run("sidecar applies to every record of a feed", func(t *testing.T) {
		recs := by["feed.jsonl"]
		if len(recs) != 2 || recs[0].Doc.Source != "Feed source" || recs[1].Doc.Source != "Feed source" {
			t.Errorf("got %+v", recs)
		}
	})
	t.Run("bad sidecar is an error record naming it", func(t *testing.T) {
		recs := by["bad.txt"]
		if len(recs) != 1 || recs[0].Err == nil || !strings.Contains(recs[0].Err.Error(), "bad.txt.meta.yaml") {
			t.Errorf("got %+v, want one error naming the sidecar", recs)
		}
	})
	t.Run("sidecar id for a many-document file is refused", func(t *testing.T) {
		recs := by["multi.json"]
		if len(recs) != 1 || recs[0].Err == nil || !strings.Contains(recs[0].Err.Error(), "cannot set id") {
			t.Errorf("got %+v, want one error", recs)
		}
	})
	for _, name := range []string{"brief.txt.meta.yaml", "page.html.meta.json", "quiet.md.meta.yml"} {
		if _, ok := by[name]; ok {
			t.Errorf("sidecar %s was loaded as a document", name)
		}
	}
}

func TestWalkExplicitPaths(t *testing.T) {
	dir := tree(t, map[string]string{
		"slides.pptx":      "x",
		".hidden.txt":      "Named on purpose.",
		"a.txt":            "Alpha.",
		"a.txt.meta.yaml":  "title: A",
		"README":           "Plain words here. More.",
		"folder/inner.txt": "Inner.",
	})
	p := func(rel string) string { return filepath.Join(dir, rel) }
	tests := []struct {
		name  string
		paths []string
		want  []string // "title" for documents, "!message" for errors
	}{
		{"unsupported file named explicitly", []string{p("slides.pptx")}, []string{"!unsupported file type .pptx"}},
		{"missing path", []string{p("nope.txt")}, []string{"!does not exist"}},
		{"hidden file named explicitly loads", []string{p(".hidden.txt")}, []string{"Named on purpose"}},
		{"sidecar named explicitly", []string{p("a.txt.meta.yaml")}, []string{"!sidecar metadata"}},
		{"file without extension is sniffed", []string{p("README")}, []string{"Plain words here"}},
		{"same file twice loads once", []string{p("a.txt"), dir + "/./a.txt", p("folder"), p("folder/inner.txt")}, []string{"A", "Inner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := walk(t, tt.paths...)
			if err != nil {
				t.Fatal(err)
			}
			var summary []string
			for _, w := range got {
				if w.rec.Err != nil {
					summary = append(summary, "!"+w.rec.Err.Error())
					if w.rec.Doc.Origin == "" {
						t.Errorf("error record without origin: %v", w.rec.Err)
					}
				} else {
					summary = append(summary, w.rec.Doc.Title)
				}
			}
			ok := len(summary) == len(tt.want)
			for i := 0; ok && i < len(summary); i++ {
				if strings.HasPrefix(tt.want[i], "!") {
					ok = strings.HasPrefix(summary[i], "!") && strings.Contains(summary[i], tt.want[i][1:])
				} else {
					ok = summary[i] == tt.want[i]
				}
			}
			if !ok {
				t.Errorf("got %q, want %q", summary, tt.want)
			}
		})
	}
}

func TestWalkStops(t *testing.T) {
	dir := tree(t, map[string]string{"a.txt": "A.", "b.txt": "B.", "c.txt": "C."})
	stop := errors.New("stop")
	n := 0
	err := Walk(context.Background(), []string{dir}, func(string, Record) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("got %v after %d records, want %v after 1", err, n, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = Walk(ctx, []string{dir}, func(string, Record) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("got %v after %d records, want context.Canceled after 1", err, n)
	}
}

func TestWalkSymlinks(t *testing.T) {
	dir := tree(t, map[string]string{"docs/a.txt": "A.", "other/b.txt": "B."})
	if err := os.Symlink(filepath.Join(dir, "other"), filepath.Join(dir, "docs", "linked-folder")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink(filepath.Join(dir, "other", "b.txt"), filepath.Join(dir, "docs", "linked.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "docs"), filepath.Join(dir, "root-link")); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{filepath.Join(dir, "docs"), filepath.Join(dir, "root-link")} {
		got, err := walk(t, root)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, w := range got {
			titles = append(titles, w.rec.Doc.Title)
		}
		// The linked file loads; the linked folder is not followed.
		if want := []string{"A", "B"}; !slices.Equal(titles, want) {
			t.Errorf("walking %s: got %q, want %q", root, titles, want)
		}
	}
}
