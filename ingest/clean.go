package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDerivedTitle bounds titles we make up from the text; a title the
// data states is kept whole and left to Normalize to judge.
const maxDerivedTitle = 200

// cleanText makes s valid UTF-8, turns CRLF and lone CR into LF and drops
// control characters other than newline and tab: stray NULs and escape
// codes from PDFs-turned-text or JSON escapes break highlighting and
// terminals, and carry no meaning.
func cleanText(s string) string {
	if isClean(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r) || r == '\uFEFF':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unicode.IsControl(r) || r == '\uFEFF' {
			return false
		}
		i += size
	}
	return true
}

// abbreviations end in a period without ending a sentence, so "Mr. Smith
// spoke." is not cut to "Mr".
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true,
	"jr": true, "sr": true, "no": true, "vs": true, "etc": true, "gen": true,
	"gov": true, "sen": true, "rep": true, "rev": true, "hon": true, "inc": true,
	"ltd": true, "co": true, "corp": true, "jan": true, "feb": true, "mar": true,
	"apr": true, "jun": true, "jul": true, "aug": true, "sep": true, "sept": true,
	"oct": true, "nov": true, "dec": true, "art": true, "sec": true, "para": true,
}

// firstSentence makes a title from a text that has none: the first
// sentence of its first paragraph, at most maxDerivedTitle characters and
// without a trailing period.
func firstSentence(text string) string {
	var para []string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			if len(para) > 0 {
				break
			}
			continue
		}
		para = append(para, line)
		if len(strings.Join(para, " ")) > 8*maxDerivedTitle {
			break // enough to find a sentence in; keeps huge paragraphs cheap
		}
	}
	p := strings.Join(strings.Fields(strings.Join(para, " ")), " ")
	if end := sentenceEnd(p); end > 0 {
		p = p[:end]
	}
	return trimEnd(clip(p, maxDerivedTitle))
}

// sentenceEnd returns the index just past the first sentence's final
// punctuation, or -1 when the paragraph is one unfinished sentence.
func sentenceEnd(p string) int {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1 // past closing quotes, so `said "stop." Then` keeps its quote
		for j < len(p) && (p[j] == '"' || p[j] == '\'' || p[j] == ')') {
			j++
		}
		if j < len(p) && p[j] != ' ' {
			continue
		}
		if c == '.' {
			word := p[strings.LastIndexByte(p[:i], ' ')+1 : i]
			word = strings.TrimLeft(word, `"'(`)
			// "U.S." and initials such as "J." do not end a sentence.
			if len(word) <= 1 || strings.Contains(word, ".") || abbreviations[strings.ToLower(word)] {
				continue
			}
		}
		return j
	}
	return -1
}

// clip shortens s to at most max characters on a word boundary, dropping
// punctuation left dangling at the cut.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			s = s[:i]
			break
		}
		n++
	}
	if sp := strings.LastIndexByte(s, ' '); sp > len(s)/2 {
		s = s[:sp]
	}
	return trimEnd(s)
}

func trimEnd(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '.' || r == ',' || r == ';' || r == ':' || r == '-' || r == '—'
	})
}
