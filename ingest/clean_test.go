package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"clean text unchanged", "a\n\tb é", "a\n\tb é"},
		{"CRLF and lone CR", "a\r\nb\rc", "a\nb\nc"},
		{"NUL and escapes dropped", "a\x00b\x1b[1mc\x7f", "ab[1mc"},
		{"C1 controls and BOM dropped", "\ufeffa\u0085b", "ab"},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFirstSentence(t *testing.T) {
	long := strings.Repeat("word ", 100)
	tests := []struct{ name, in, want string }{
		{"first sentence without period", "One two. Three four.", "One two"},
		{"question mark kept", "Why now? Because.", "Why now?"},
		{"abbreviations do not end it", "Dr. Who met Mr. X of the U.S. Senate today. Later.", "Dr. Who met Mr. X of the U.S. Senate today"},
		{"initials do not end it", "J. Smith wrote this. Then.", "J. Smith wrote this"},
		{"first paragraph only", "Heading line\n\nBody text. More.", "Heading line"},
		{"wrapped lines joined", "A sentence that\nwraps. Next.", "A sentence that wraps"},
		{"leading blank lines", "\n\n  Hello world.", "Hello world"},
		{"empty", "  \n ", ""},
		{"quote after period", `He said "stop." Then left.`, `He said "stop."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstSentence(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("long sentence clipped on a word", func(t *testing.T) {
		got := firstSentence(long)
		if n := utf8.RuneCountInString(got); n > maxDerivedTitle || n < maxDerivedTitle-10 {
			t.Errorf("got %d characters, want at most %d and close to it", n, maxDerivedTitle)
		}
		if strings.HasSuffix(got, " ") || !strings.HasSuffix(got, "word") {
			t.Errorf("got %q, want it cut after a whole word", got[len(got)-10:])
		}
	})
	t.Run("multibyte clip stays valid", func(t *testing.T) {
		got := firstSentence(strings.Repeat("é", 500))
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) != maxDerivedTitle {
			t.Errorf("got %d runes, valid %v", utf8.RuneCountInString(got), utf8.ValidString(got))
		}
	})
}
