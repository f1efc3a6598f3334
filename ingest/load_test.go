package ingest

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"policysearch/index"
)

func TestFormatChoice(t *testing.T) {
	const html = "<!DOCTYPE html><html><head><title>Page title</title></head><body><p>Hello.</p></body></html>"
	tests := []struct {
		name, file, ct, content string
		wantTitle               string
		wantRecords             int
	}{
		{"extension beats content type", "a.md", "text/html", "# MD title\n\nBody.", "MD title", 1},
		{"extension is case-insensitive", "A.HTML", "", html, "Page title", 1},
		{"URL path extension", "https://ex.org/a.html?page=2", "", html, "Page title", 1},
		{"content type without extension", "https://ex.org/story", "text/html; charset=utf-8", html, "Page title", 1},
		{"content type for an upload", "upload", "application/x-ndjson", "{\"title\":\"a\"}\n{\"title\":\"b\"}\n", "a", 2},
		{"sniffed HTML", "upload", "", html, "Page title", 1},
		{"sniffed JSON lines", "upload", "", "{\"title\":\"a\"}\n{\"title\":\"b\"}\n", "a", 2},
		{"sniffed pretty JSON object", "upload", "", "{\n  \"title\": \"pretty\"\n}\n", "pretty", 1},
		{"sniffed JSON array", "upload", "", "[{\"title\":\"a\"},{\"title\":\"b\"}]", "a", 2},
		{"sniffed front matter", "upload", "", "---\ntitle: FM\n---\nBody.", "FM", 1},
		{"sniffed plain text", "upload", "", "Just some words. More.", "Just some words", 1},
		{"URL with unknown extension is sniffed", "https://ex.org/page.php", "", html, "Page title", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loadString(t, tt.file, tt.content, tt.ct)
			if l.err != nil {
				t.Fatal(l.err)
			}
			if len(l.recs) != tt.wantRecords || l.recs[0].Err != nil {
				t.Fatalf("got %+v, want %d good records", l.recs, tt.wantRecords)
			}
			if got := l.recs[0].Doc.Title; got != tt.wantTitle {
				t.Errorf("title: got %q, want %q", got, tt.wantTitle)
			}
		})
	}
}

func TestWholeFileFailures(t *testing.T) {
	tests := []struct {
		name, file, content string
		kind                index.Kind
		msg                 string
	}{
		{"unsupported extension", "slides.xyz", "whatever", index.Invalid, "unsupported file type .xyz (supported: .htm, .html, .json"},
		{"binary content", "upload", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", index.Invalid, "image/png"},
		{"no name", "", "text", index.Invalid, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loadString(t, tt.file, tt.content, "")
			if l.err == nil || index.KindOf(l.err) != tt.kind || !strings.Contains(l.err.Error(), tt.msg) {
				t.Errorf("got %v (kind %v), want kind %v containing %q", l.err, index.KindOf(l.err), tt.kind, tt.msg)
			}
			if len(l.recs) != 0 {
				t.Errorf("got %d records, want none", len(l.recs))
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		r := io.LimitReader(repeatReader('a'), MaxFileSize+1)
		err := Load(context.Background(), "big.txt", r, "", func(Record) error { t.Error("yielded"); return nil })
		if index.KindOf(err) != index.TooLarge {
			t.Errorf("got %v, want a TooLarge error", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		err := Load(context.Background(), "a.txt", io.MultiReader(strings.NewReader("x"), errReader{}), "", func(Record) error { return nil })
		if index.KindOf(err) != index.Invalid || !strings.Contains(err.Error(), "cannot read") {
			t.Errorf("got %v, want an Invalid read error", err)
		}
	})
}

func TestLoadStops(t *testing.T) {
	content := `[{"title":"a"},{"title":"b"}]`
	t.Run("yield error returned as is", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := Load(context.Background(), "a.json", strings.NewReader(content), "", func(Record) error { n++; return stop })
		if err != stop || n != 1 {
			t.Errorf("got %v after %d records, want %v after 1", err, n, stop)
		}
	})
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := Load(ctx, "a.json", strings.NewReader(content), "", func(Record) error { t.Error("yielded"); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled between records", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := Load(ctx, "a.json", strings.NewReader(content), "", func(Record) error { n++; cancel(); return nil })
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Errorf("got %v after %d records, want context.Canceled after 1", err, n)
		}
	})
}

func TestOriginsAndIDs(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a/brief.txt", "Same text.")
	b := write("b/brief.txt", "Same text.")
	first := loadPath(t, a).one()
	again := loadPath(t, a).one()
	viaDots := loadPath(t, filepath.Join(dir, "a", "..", "a", "brief.txt")).one()
	other := loadPath(t, b).one()
	if first.ID != again.ID || first.ID != viaDots.ID {
		t.Errorf("same file gave ids %q, %q, %q; want one id", first.ID, again.ID, viaDots.ID)
	}
	if first.ID == other.ID {
		t.Errorf("different paths gave the same id %q", first.ID)
	}
	if !strings.HasPrefix(first.ID, "brief-") {
		t.Errorf("id %q should start with the file's slug", first.ID)
	}
	if first.Origin != a || viaDots.Origin != a {
		t.Errorf("origin: got %q and %q, want the clean absolute path %q", first.Origin, viaDots.Origin, a)
	}

	t.Run("relative path becomes absolute", func(t *testing.T) {
		t.Chdir(dir)
		d := loadPath(t, "a/brief.txt").one()
		if d.Origin != a {
			t.Errorf("origin: got %q, want %q", d.Origin, a)
		}
	})
	t.Run("stream origin is the name as given", func(t *testing.T) {
		d := loadString(t, "https://ex.org/feed/item-1", "Hello there.", "text/plain").one()
		if d.Origin != "https://ex.org/feed/item-1" || d.ID != index.DeriveID("https://ex.org/feed/item-1") {
			t.Errorf("got origin %q id %q", d.Origin, d.ID)
		}
	})
	t.Run("url names the document wherever it was found", func(t *testing.T) {
		page := `<html><head><link rel="canonical" href="https://ex.org/p"></head><body><p>Text.</p></body></html>`
		x := loadString(t, "one/p.html", page, "").one()
		y := loadString(t, "two/p.html", page, "").one()
		if x.ID != y.ID || x.Origin == y.Origin {
			t.Errorf("got ids %q %q origins %q %q; want one id, two origins", x.ID, y.ID, x.Origin, y.Origin)
		}
	})
}

func TestSupported(t *testing.T) {
	tests := map[string]bool{
		"a.txt": true, "a.TXT": true, "a.md": true, "a.markdown": true, "a.html": true, "a.htm": true,
		"a.json": true, "a.jsonl": true, "a.ndjson": true, "dir/a.b.txt": true,
		"a.pdf": true, "a.txt~": false, "a": false, "a.yaml": false, ".txt": true,
	}
	for name, want := range tests {
		if got := Supported(name); got != want {
			t.Errorf("Supported(%q): got %v, want %v", name, got, want)
		}
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
