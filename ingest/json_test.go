package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"policysearch/index"
)

func TestJSONObject(t *testing.T) {
	path := "testdata/json/one.json"
	d := loadPath(t, path).one()
	checks := []struct{ field, got, want string }{
		{"title", d.Title, "Single document"},
		{"text (alias body)", d.Text, "The text."},
		{"published (alias year)", d.Published.String(), "2019"},
		{"authors (alias)", strings.Join(d.Authors, "|"), "A. Author"},
		{"extra.region", str(d.Extra["region"]), "EU"},
		{"origin is the file", d.Origin, abs(t, path)},
		{"id from origin", d.ID, index.DeriveID(abs(t, path))},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
		}
	}
}

func TestJSONArray(t *testing.T) {
	path := "testdata/json/array.json"
	l := loadPath(t, path)
	if l.err != nil {
		t.Fatal(l.err)
	}
	p := abs(t, path)
	want := []struct {
		line       int
		id, origin string
		errHas     string
	}{
		{1, "doc-1", p, ""},
		{2, "", p + "#2", "element 2 is not a document object"},
		{3, index.DeriveID(p + "#3"), p + "#3", ""},
		{4, "", p, "id:"},
		{5, index.DeriveID(index.CanonicalURL("https://example.org/four")), p, ""},
	}
	if len(l.recs) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(l.recs), len(want), l.recs)
	}
	for i, w := range want {
		r := l.recs[i]
		t.Run(fmt.Sprint("element ", w.line), func(t *testing.T) {
			if r.Line != w.line {
				t.Errorf("line: got %d, want %d", r.Line, w.line)
			}
			if r.Doc.Origin != w.origin {
				t.Errorf("origin: got %q, want %q", r.Doc.Origin, w.origin)
			}
			if w.errHas != "" {
				if r.Err == nil || !strings.Contains(r.Err.Error(), w.errHas) || !strings.Contains(r.Err.Error(), p) {
					t.Errorf("err: got %v, want one naming %q and the file", r.Err, w.errHas)
				}
				return
			}
			if r.Err != nil {
				t.Fatalf("err: %v", r.Err)
			}
			if r.Doc.ID != w.id {
				t.Errorf("id: got %q, want %q", r.Doc.ID, w.id)
			}
		})
	}
}

func TestJSONFileErrors(t *testing.T) {
	tests := []struct {
		name, content string
		good          int
		errHas        string
	}{
		{"empty", "  \n", 0, "empty"},
		{"scalar", "42", 0, "document object or an array"},
		{"syntax error in object", `{"title": "x",}`, 0, "not valid JSON"},
		{"syntax error mid array stops there", `[{"title":"a"}, {"title": }, {"title":"c"}]`, 1, "element 2"},
		{"data after the array", `[{"title":"a"}] {"title":"b"}`, 1, "after the closing"},
		{"unclosed array", `[{"title":"a"}`, 1, "not valid JSON"},
		{"author of wrong type names the field", `{"title":"a","author":5}`, 0, "author"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loadString(t, "in.json", tt.content, "")
			if l.err != nil {
				t.Fatalf("load error: %v (want records)", l.err)
			}
			good, bad := 0, []error{}
			for _, r := range l.recs {
				if r.Err != nil {
					bad = append(bad, r.Err)
				} else {
					good++
				}
			}
			if good != tt.good || len(bad) != 1 || !strings.Contains(bad[0].Error(), tt.errHas) {
				t.Errorf("got %d good and errors %v, want %d good and one error containing %q", good, bad, tt.good, tt.errHas)
			}
		})
	}
}

// jsonl collects everything JSONLines yields.
func jsonl(t *testing.T, content string, maxLine int) ([]Record, error) {
	t.Helper()
	var recs []Record
	err := JSONLines(context.Background(), "feed.jsonl", strings.NewReader(content), maxLine, func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

func TestJSONLinesBadLineInMiddle(t *testing.T) {
	content := strings.Join([]string{
		`{"id":"a","title":"A","text":"one"}`,
		``,
		`{"title": broken`,
		`{"title":"B","text":"two"}`,
		`[1,2]`,
		`{"id":"c"}`,
		"\t ",
		`{"id":"d","title":"D"}`,
	}, "\r\n")
	recs, err := jsonl(t, content, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line            int
		id, origin, err string
	}{
		{1, "a", "feed.jsonl", ""},
		{3, "", "feed.jsonl#3", "not valid JSON"},
		{4, index.DeriveID("feed.jsonl#4"), "feed.jsonl#4", ""},
		{5, "", "feed.jsonl#5", "one document object"},
		{6, "", "feed.jsonl", "text: a document needs a title or a text"},
		{8, "d", "feed.jsonl", ""},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		r := recs[i]
		if r.Line != w.line || r.Doc.Origin != w.origin {
			t.Errorf("record %d: got line %d origin %q, want line %d origin %q", i, r.Line, r.Doc.Origin, w.line, w.origin)
		}
		switch {
		case w.err == "" && r.Err != nil:
			t.Errorf("line %d: unexpected error %v", w.line, r.Err)
		case w.err != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), w.err)):
			t.Errorf("line %d: got error %v, want one containing %q", w.line, r.Err, w.err)
		case w.err != "" && !strings.Contains(r.Err.Error(), fmt.Sprintf("feed.jsonl line %d", w.line)):
			t.Errorf("line %d: error %q should name the line", w.line, r.Err)
		case w.err == "" && r.Doc.ID != w.id:
			t.Errorf("line %d: got id %q, want %q", w.line, r.Doc.ID, w.id)
		}
	}
}

func TestJSONLinesLongLines(t *testing.T) {
	good := func(id string) string { return `{"id":"` + id + `","title":"t"}` }
	long := func(n int) string { return `{"id":"x","text":"` + strings.Repeat("a", n) + `"}` }
	tests := []struct {
		name     string
		content  string
		maxLine  int
		wantIDs  string // good records, in order
		tooLarge []int  // lines that must fail as TooLarge
	}{
		{"long line in the middle", good("a") + "\n" + long(1000) + "\n" + good("b") + "\n", 100, "a|b", []int{2}},
		{"long line beyond the read buffer", good("a") + "\n" + long(300_000) + "\n" + good("b"), 70_000, "a|b", []int{2}},
		{"long line at the end without newline", good("a") + "\n" + long(500), 100, "a", []int{2}},
		{"two long lines in a row", long(200) + "\n" + long(200) + "\n" + good("c"), 100, "c", []int{1, 2}},
		{"line longer than the buffer but within the limit", long(200_000) + "\n" + good("b"), 1 << 20, "x|b", nil},
		{"line of exactly maxLine with CRLF", good("abcd") + "\r\n", len(good("abcd")), "abcd", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := jsonl(t, tt.content, tt.maxLine)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			var tooLarge []int
			for _, r := range recs {
				switch {
				case r.Err == nil:
					ids = append(ids, r.Doc.ID)
				case index.KindOf(r.Err) == index.TooLarge:
					tooLarge = append(tooLarge, r.Line)
				default:
					t.Errorf("line %d: unexpected error %v", r.Line, r.Err)
				}
			}
			if got := strings.Join(ids, "|"); got != tt.wantIDs {
				t.Errorf("good ids: got %q, want %q", got, tt.wantIDs)
			}
			if fmt.Sprint(tooLarge) != fmt.Sprint(tt.tooLarge) && len(tooLarge)+len(tt.tooLarge) > 0 {
				t.Errorf("too-large lines: got %v, want %v", tooLarge, tt.tooLarge)
			}
		})
	}
}

func TestJSONLinesStops(t *testing.T) {
	content := `{"id":"a","title":"A"}` + "\n" + `{"id":"b","title":"B"}` + "\n"
	t.Run("yield error is returned as is", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := JSONLines(context.Background(), "f", strings.NewReader(content), 0, func(Record) error { n++; return stop })
		if err != stop || n != 1 {
			t.Errorf("got err %v after %d records, want %v after 1", err, n, stop)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := JSONLines(ctx, "f", strings.NewReader(content), 0, func(Record) error { n++; cancel(); return nil })
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Errorf("got err %v after %d records, want context.Canceled after 1", err, n)
		}
	})
}
