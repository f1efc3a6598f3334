package embedding

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// Passage sizes, in words. A few hundred words keeps one topic per vector
// (a whole speech averaged into one vector means nothing in particular)
// and stays well under the 512-token limit of common open models.
const (
	targetWords = 180
	maxWords    = 260
	maxChars    = 2000
)

// Passage is one piece of a document's text, as offsets into the text so
// the matched part can be shown without storing the text twice.
type Passage struct {
	Start, End int
}

// Split cuts text into passages on paragraph and sentence boundaries, each
// starting with the previous passage's last sentence so a statement that
// straddles a cut is still whole in one of them.
func Split(text string) []Passage {
	sents := sentences(text)
	if len(sents) == 0 {
		return nil
	}
	var out []Passage
	start, words, last := sents[0].Start, 0, 0
	for i, s := range sents {
		w := wordCount(text[s.Start:s.End])
		if words > 0 && (words+w > maxWords || s.End-start > maxChars || (words >= targetWords && s.paraStart)) {
			out = append(out, Passage{start, sents[i-1].End})
			// overlap: begin again with the previous sentence, unless it is
			// itself most of a passage
			prev := sents[i-1]
			if i-1 > last && wordCount(text[prev.Start:prev.End]) < targetWords/3 {
				start, words = prev.Start, wordCount(text[prev.Start:prev.End])
			} else {
				start, words = s.Start, 0
			}
			last = i
		}
		words += w
	}
	out = append(out, Passage{start, sents[len(sents)-1].End})
	return out
}

type sentence struct {
	Start, End int
	paraStart  bool
}

// sentences finds sentence spans; a sentence longer than maxWords or
// maxChars is cut into word runs, so no passage outgrows the model's limit.
func sentences(text string) []sentence {
	var out []sentence
	add := func(start, end int, para bool) {
		for start < end && unicode.IsSpace(rune(text[start])) {
			start++
		}
		for end > start && unicode.IsSpace(rune(text[end-1])) {
			end--
		}
		if start >= end {
			return
		}
		for _, piece := range cutLong(text, start, end) {
			out = append(out, sentence{piece.Start, piece.End, para})
			para = false
		}
	}
	start, para := 0, true
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\n' && i+1 < len(text) && text[i+1] == '\n':
			add(start, i, para)
			start, para = i+1, true
		case (c == '.' || c == '?' || c == '!') && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n') && !abbreviation(text[start:i]):
			add(start, i+1, para)
			start, para = i+1, false
		}
	}
	add(start, len(text), para)
	return out
}

var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "no": true, "jr": true, "sr": true,
	"gen": true, "gov": true, "sen": true, "rep": true, "vs": true, "e.g": true, "i.e": true, "etc": true,
	"u.s": true, "u.k": true, "u.n": true, "e.u": true, "art": true, "sec": true, "fig": true,
}

// abbreviation reports whether the text before a period ends in a token
// such as "Mr" or "U.S" or a lone initial, which rarely ends a sentence.
func abbreviation(before string) bool {
	i := strings.LastIndexAny(before, " \n(")
	tok := before[i+1:]
	return abbreviations[strings.ToLower(tok)] || (len(tok) == 1 && unicode.IsUpper(rune(tok[0])))
}

func cutLong(text string, start, end int) []Passage {
	if end-start <= maxChars && wordCount(text[start:end]) <= maxWords {
		return []Passage{{start, end}}
	}
	var out []Passage
	pieceStart, words := start, 0
	for i := start; i < end; i++ {
		if text[i] == ' ' || text[i] == '\n' {
			words++
			if words >= targetWords || i-pieceStart >= maxChars-50 {
				out = append(out, Passage{pieceStart, i})
				pieceStart, words = i+1, 0
			}
		}
	}
	if pieceStart < end {
		out = append(out, Passage{pieceStart, end})
	}
	return out
}

func wordCount(s string) int { return len(strings.Fields(s)) }

// Input is the exact text sent to the model for a passage: the title gives
// every passage its document's context.
func Input(prefix, title, text string, p Passage) string {
	body := text[p.Start:p.End]
	if title != "" {
		body = title + "\n\n" + body
	}
	return prefix + body
}

// Hash keys a vector by the exact text that produced it.
func Hash(input string) string {
	sum := sha256.Sum256([]byte(input))
	return hex.EncodeToString(sum[:])
}
