package embedding

import (
	"strings"
	"testing"
)

func TestSplitFitsTheLimit(t *testing.T) {
	var long strings.Builder
	for i := range 120 {
		long.WriteString("Sentence number " + string(rune('a'+i%26)) + " talks about compute and energy policy for a while. ")
		if i%10 == 9 {
			long.WriteString("\n\n")
		}
	}
	hugeWord := strings.Repeat("x", 3000)
	cases := []struct {
		name     string
		title    string
		text     string
		limit    int
		min, max int // passages
		overOK   int // inputs allowed over the limit
	}{
		{"empty", "", "", 128, 0, 0, 0},
		{"short", "A title", "One sentence only.", 128, 1, 1, 0},
		{"long text, small model", "Energy policy", long.String(), 128, 12, 30, 0},
		{"long text, large model", "Energy policy", long.String(), 512, 3, 8, 0},
		{"no punctuation", "", strings.Repeat("word ", 1000), 128, 10, 20, 0},
		{"one sentence longer than the limit", "T", "Start " + strings.Repeat("and more ", 300) + "end.", 100, 6, 12, 0},
		{"newlines and tabs", "Title\nwith\tbreaks", "Line one\nline two.\n\n\tIndented para.", 64, 1, 1, 0},
		{"a word longer than the limit", "", "Before it. " + hugeWord + " After it.", 64, 3, 3, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			title := FitTitle("p: ", c.title, ApproxTokens, c.limit)
			size := func(body string) int { return ApproxTokens(JoinInput("p: ", title, body)) }
			ps := Split(c.text, size, c.limit)
			if len(ps) < c.min || len(ps) > c.max {
				t.Fatalf("%d passages, want %d..%d", len(ps), c.min, c.max)
			}
			over, covered := 0, 0
			for i, p := range ps {
				in := Input("p: ", title, c.text, p)
				if n := ApproxTokens(in); n > c.limit {
					over++
				}
				if strings.ContainsAny(in, "\n\t") || strings.Contains(in, "  ") {
					t.Errorf("input %d is not normalised: %q", i, in)
				}
				if i > 0 && p.Start < ps[i-1].Start {
					t.Errorf("passage %d starts before the previous one", i)
				}
				if i > 0 && p.Start > ps[i-1].End {
					if gap := strings.TrimSpace(c.text[ps[i-1].End:p.Start]); gap != "" {
						t.Errorf("text between passages %d and %d is in neither: %q", i-1, i, gap)
					}
				}
				covered = max(covered, p.End)
			}
			if over > c.overOK {
				t.Errorf("%d inputs over the limit %d, want at most %d", over, c.limit, c.overOK)
			}
			if len(ps) > 0 && covered < len(strings.TrimRight(c.text, " \n")) {
				t.Errorf("passages end at %d of %d: text lost", covered, len(strings.TrimRight(c.text, " \n")))
			}
		})
	}
}

func TestSplitOverlapsShortSentences(t *testing.T) {
	text := strings.Repeat("Short sentence here. ", 40)
	ps := Split(text, ApproxTokens, 40)
	if len(ps) < 2 {
		t.Fatalf("%d passages, want several", len(ps))
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Start >= ps[i-1].End {
			t.Errorf("passage %d starts at %d, after the previous one ends (%d): no overlap", i, ps[i].Start, ps[i-1].End)
		}
	}
}

func TestJoinInput(t *testing.T) {
	cases := []struct{ prefix, title, body, want string }{
		{"", "Energy policy", "Coal is  out.\n\nGas is in.", "Energy policy. Coal is out. Gas is in."},
		{"q: ", "Why coal?", "Because.", "q: Why coal? Because."},
		{"", "", "  body\n", "body"},
		{"", "Title only", "", "Title only"},
	}
	for _, c := range cases {
		if got := JoinInput(c.prefix, c.title, c.body); got != c.want {
			t.Errorf("JoinInput(%q, %q, %q) = %q, want %q", c.prefix, c.title, c.body, got, c.want)
		}
	}
}

func TestFitTitleLeavesRoom(t *testing.T) {
	long := strings.Repeat("very long title words ", 100)
	got := FitTitle("", long, ApproxTokens, 128)
	if n := ApproxTokens(got); n > 64 || n < 50 {
		t.Errorf("fitted title counts %d tokens, want about half of 128", n)
	}
	if got := FitTitle("", "Short title", ApproxTokens, 128); got != "Short title" {
		t.Errorf("short title changed to %q", got)
	}
}
