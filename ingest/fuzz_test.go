package ingest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"policysearch/index"
)

// checkRecords holds every loader to the package's promise: no panic,
// and each record either failed with an index error or is a document
// that is finished (origin, id) and passes Normalize.
func checkRecords(t *testing.T, origin string, recs []Record, err error) {
	t.Helper()
	if err != nil && index.KindOf(err) == index.Internal {
		t.Fatalf("whole-file error without a kind: %v", err)
	}
	for _, r := range recs {
		if r.Err != nil {
			if index.KindOf(r.Err) == index.Internal {
				t.Fatalf("record error without a kind: %v", r.Err)
			}
			continue
		}
		d := r.Doc
		if d.ID == "" || !strings.HasPrefix(d.Origin, origin) {
			t.Fatalf("unfinished document: id %q origin %q", d.ID, d.Origin)
		}
		again := d
		if err := again.Normalize(); err != nil {
			t.Fatalf("yielded document fails Normalize: %v", err)
		}
		for _, s := range append([]string{d.Title, d.Text, d.Source, d.URL}, append(d.Authors, d.Tags...)...) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
			for _, c := range s {
				if c != '\n' && c != '\t' && unicode.IsControl(c) {
					t.Fatalf("control character %U in %q", c, s)
				}
			}
		}
	}
}

func fuzzLoad(t *testing.T, name string, data []byte) {
	var recs []Record
	err := Load(context.Background(), name, bytes.NewReader(data), "", func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	checkRecords(t, name, recs, err)
}

func FuzzHTML(f *testing.F) {
	for _, s := range []string{
		"<html><head><title>T</title></head><body><p>Hi.</p></body></html>",
		`<meta property="og:title" content="x"><link rel=canonical href="/a"><p>t</p>`,
		`<script type="application/ld+json">{"@graph":[{"@type":["NewsArticle"],"author":[{"name":"A"},"B"],"publisher":["P"]}]}</script><p>x</p>`,
		`<meta name="date" content="2024-13-45"><html lang="x-klingon"><pre>  a</pre>`,
		"<p>\x00\xff\r\n</p>",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, "f.html", data)
	})
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{
		"---\ntitle: T\ntags: [a, b]\npublished: 2024-01-02\n---\n# H\n\nBody.",
		"---\nauthor: {name: x}\n---\nx",
		"---\n&a [*a, *a]\n---\n",
		"---\ndate: 0000-01-01\n---\nx",
		"Setext\n===\n",
		"```\n# x\n```",
		"---\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzLoad(t, "f.md", []byte(s))
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{"title":"a","year":1790,"authors":"x; y","extra":{"k":1}}`,
		`[{"id":"a","title":"b"}, 1, null, {"url":"https://x.org"}]`,
		`{"id":"bad id","text":"x"}`,
		`[`,
		`{"published":"2024-02-30"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, "f.json", data)
	})
}

func FuzzJSONLines(f *testing.F) {
	for _, s := range []string{
		"{\"title\":\"a\"}\n\n{bad}\n{\"id\":\"b\",\"text\":\"t\"}",
		"{\"title\":\"" + strings.Repeat("x", 300) + "\"}\r\n{\"title\":\"y\"}",
		"\ufeff{\"title\":\"bom\"}\n[]\n\"s\"\n",
	} {
		f.Add([]byte(s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, data []byte, maxLine uint16) {
		var recs []Record
		err := JSONLines(context.Background(), "f.jsonl", bytes.NewReader(data), int(maxLine), func(r Record) error {
			recs = append(recs, r)
			return nil
		})
		checkRecords(t, "f.jsonl", recs, err)
		for i := 1; i < len(recs); i++ {
			if recs[i].Line <= recs[i-1].Line {
				t.Fatalf("line numbers out of order: %d after %d", recs[i].Line, recs[i-1].Line)
			}
		}
		if n := bytes.Count(data, []byte("\n")) + 1; len(recs) > 0 && recs[len(recs)-1].Line > n {
			t.Fatalf("line %d beyond the %d lines of the input", recs[len(recs)-1].Line, n)
		}
	})
}
