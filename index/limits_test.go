package index

import (
	"errors"
	"strings"
	"testing"
)

func TestCountWords(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"word", 1},
		{"  two words ", 2},
		{"don't-stop 3.5%", 5},
		{"Économie générale", 2},
		{"人工智能", 4},
		{"AI 政策 plan", 4},
	}
	for _, tt := range tests {
		if got := countWords(tt.in); got != tt.want {
			t.Errorf("countWords(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestBudget(t *testing.T) {
	many := func(n int, s string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = s + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
		}
		return out
	}
	tests := []struct {
		name  string
		doc   Document
		field string // "" means accepted
	}{
		{"small", Document{ID: "a", Text: "fine"}, ""},
		{"words at the limit", Document{ID: "a", Text: strings.Repeat("w ", MaxTextWords)}, ""},
		{"one word too many", Document{ID: "a", Title: "t", Text: strings.Repeat("w ", MaxTextWords)}, "text"},
		{"text bytes", Document{ID: "a", Text: strings.Repeat("x", MaxTextBytes+1)}, "text"},
		{"title", Document{ID: "a", Title: strings.Repeat("x", MaxTitleBytes+1)}, "title"},
		{"url", Document{ID: "a", Text: "x", URL: "https://x/" + strings.Repeat("x", MaxFieldBytes)}, "url"},
		{"tags at the limit", Document{ID: "a", Text: "x", Tags: many(MaxListItems, "t")}, ""},
		{"too many tags", Document{ID: "a", Text: "x", Tags: many(MaxListItems+1, "t")}, "tags"},
		{"too many authors", Document{ID: "a", Text: "x", Authors: many(100_000, "a")}, "author"},
		{"long tag", Document{ID: "a", Text: "x", Tags: []string{strings.Repeat("t", MaxItemBytes+1)}}, "tags"},
		{"extra", Document{ID: "a", Text: "x", Extra: map[string]any{"k": strings.Repeat("e", MaxExtraBytes)}}, "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.doc.Normalize()
			var e *Error
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field == "":
			case !errors.As(err, &e) || e.Kind != TooLarge || e.Field != tt.field:
				t.Fatalf("got %v, want TooLarge naming %q", err, tt.field)
			}
		})
	}
}

// TestBatchWords checks that batches are cut by analysed words as well as
// bytes, and that a document over the batch budget goes alone.
func TestBatchWords(t *testing.T) {
	small := &Document{ID: "s", Text: "a few words"}
	wordy := &Document{ID: "w", Text: strings.Repeat("w ", batchWords/2+1)} // 1 MB: under batchBytes
	huge := &Document{ID: "h", Text: strings.Repeat("w ", batchWords+1)}
	docs := []*Document{small, wordy, wordy, small, huge, small}
	var got []int
	for start := 0; start < len(docs); {
		end := batchEnd(docs, start)
		got = append(got, end-start)
		start = end
	}
	want := []int{2, 2, 1, 1}
	if len(got) != len(want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("batches %v, want %v", got, want)
		}
	}
}
