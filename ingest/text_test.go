package ingest

import (
	"errors"
	"strings"
	"testing"

	"policysearch/index"
)

func TestTextFiles(t *testing.T) {
	t.Run("front matter", func(t *testing.T) {
		path := "testdata/text/brief.txt"
		d := loadPath(t, path).one()
		checks := []struct{ field, got, want string }{
			{"title", d.Title, "Energy security after 2022"},
			{"text", d.Text, "Europe's gas supply was rebuilt within a year.\n\nStorage targets were met early."},
			{"source", d.Source, "Example Think Tank"},
			{"source_type", d.SourceType, "think_tank"},
			{"country", d.Country, "DE"},
			{"origin", d.Origin, abs(t, path)},
			{"id", d.ID, index.DeriveID(abs(t, path))},
			{"published", d.Published.String(), "2023-06-14"},
			{"authors", strings.Join(d.Authors, "|"), "Ann Lee|Bo Chen"},
			{"tags", strings.Join(d.Tags, "|"), "energy|security"},
			{"extra.program", str(d.Extra["program"]), "Energy Transition"},
			{"extra.reviewed", str(d.Extra["reviewed"]), "2023-06-01T10:30:00Z"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
			}
		}
		if d.Published.Precision != index.Day {
			t.Errorf("published precision: got %v, want Day", d.Published.Precision)
		}
	})
	t.Run("first sentence title", func(t *testing.T) {
		d := loadPath(t, "testdata/text/plain.txt").one()
		if want := "Mr. Smith told the committee that U.S. tariffs had risen sharply"; d.Title != want {
			t.Errorf("title: got %q, want %q", d.Title, want)
		}
		if !strings.HasPrefix(d.Text, "Mr. Smith") || !strings.HasSuffix(d.Text, "Second paragraph.") {
			t.Errorf("text: got %q", d.Text)
		}
	})
	t.Run("bad front matter names the file", func(t *testing.T) {
		path := "testdata/text/bad-front.txt"
		l := loadPath(t, path)
		rerr := l.oneErr()
		if !strings.Contains(rerr.Error(), abs(t, path)) || !strings.Contains(rerr.Error(), "front matter") {
			t.Errorf("error %q should name the file and the front matter", rerr)
		}
		if index.KindOf(rerr) != index.Invalid {
			t.Errorf("kind: got %v, want Invalid", index.KindOf(rerr))
		}
		if l.recs[0].Doc.Origin != abs(t, path) {
			t.Errorf("failed record origin: got %q", l.recs[0].Doc.Origin)
		}
	})
	t.Run("messy bytes are cleaned", func(t *testing.T) {
		d := loadPath(t, "testdata/text/messy.txt").one()
		if want := "Windows\nline ends[0m.\n\nInvalid \uFFFD byte."; d.Text != want {
			t.Errorf("text: got %q, want %q", d.Text, want)
		}
	})
}

func TestFrontMatterTypes(t *testing.T) {
	tests := []struct {
		name, meta string
		check      func(index.Document) (got, want any)
	}{
		{"unquoted date is a day", "published: 2024-03-05", func(d index.Document) (any, any) { return d.Published, date("2024-03-05") }},
		{"quoted month", `published: "2024-03"`, func(d index.Document) (any, any) { return d.Published, date("2024-03") }},
		{"bare year", "year: 1999", func(d index.Document) (any, any) { return d.Published, date("1999") }},
		{"timestamp keeps time", "date: 2024-03-05T10:20:30+02:00", func(d index.Document) (any, any) { return d.Published, date("2024-03-05T08:20:30Z") }},
		{"tag list", "tags: [a, b, a]", func(d index.Document) (any, any) { return strings.Join(d.Tags, "|"), "a|b" }},
		{"tags string with semicolons", `tags: "a; b"`, func(d index.Document) (any, any) { return strings.Join(d.Tags, "|"), "a|b" }},
		{"author with comma stays whole", "author: Smith, John", func(d index.Document) (any, any) { return strings.Join(d.Authors, "|"), "Smith, John" }},
		{"numeric title", "title: 2024", func(d index.Document) (any, any) { return d.Title, "2024" }},
		{"quoted title", `title: "Yes: a title"`, func(d index.Document) (any, any) { return d.Title, "Yes: a title" }},
		{"unknown field to extra", "committee: [ECON, BUDG]", func(d index.Document) (any, any) { return len(d.Extra["committee"].([]any)), 2 }},
		{"nested map with int keys", "scores: {1: a, 2: b}", func(d index.Document) (any, any) { return d.Extra["scores"].(map[string]any)["1"], "a" }},
		{"infinity is text", "weight: .inf", func(d index.Document) (any, any) { return d.Extra["weight"], "+Inf" }},
		{"id given", "id: my-doc.1", func(d index.Document) (any, any) { return d.ID, "my-doc.1" }},
		{"url gives the id", "url: https://example.org/a", func(d index.Document) (any, any) {
			return d.ID, index.DeriveID(index.CanonicalURL("https://example.org/a"))
		}},
		{"empty block", "", func(d index.Document) (any, any) { return d.Title, "Body" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadString(t, "doc.txt", "---\n"+tt.meta+"\n---\nBody.\n", "").one()
			got, want := tt.check(d)
			if gd, ok := got.(index.Date); ok {
				if !sameDate(gd, want.(index.Date)) {
					t.Errorf("got %v (precision %d), want %v", gd, gd.Precision, want)
				}
				return
			}
			if got != want {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

func TestFrontMatterErrors(t *testing.T) {
	tests := []struct{ name, content, wantMsg string }{
		{"not closed", "---\ntitle: x\nBody.\n", "not closed"},
		{"only an opening line", "---", "not closed"},
		{"a list, not a mapping", "---\n- a\n- b\n---\nBody.\n", "mapping"},
		{"bad yaml", "---\ntitle: [x\n---\nBody.\n", "not valid YAML"},
		{"bad date names the field", "---\npublished: someday\n---\nBody.\n", "published"},
		{"bad source type names the field", "---\nsource_type: blog\n---\nBody.\n", "source_type"},
		{"bad title type names the field", "---\ntitle: true\n---\nBody.\n", "title"},
		{"empty document", "---\ntitle: \"\"\n---\n  \n", "needs a title or a text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rerr := loadString(t, "notes/doc.txt", tt.content, "").oneErr()
			if !strings.Contains(rerr.Error(), tt.wantMsg) || !strings.Contains(rerr.Error(), "notes/doc.txt") {
				t.Errorf("got %q, want it to contain %q and the file name", rerr, tt.wantMsg)
			}
			var ie *index.Error
			if !errors.As(rerr, &ie) {
				t.Errorf("got %T, want an *index.Error in the chain", rerr)
			}
		})
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
