package embedding

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// Passage is one piece of a document's text, as offsets into the text so
// the matched part can be shown without storing the text twice.
type Passage struct {
	Start, End int
}

// Split cuts text into passages whose inputs fit the model: size(body)
// is the token count of the whole input (prefix, title and body) as the
// model counts it, and every passage's is at most limit, so no text is
// invisible to the model. Cuts fall on paragraph and sentence boundaries
// (a sentence too long on its own is cut between words), and a passage
// starts with the previous one's last sentence when that is short, so a
// statement that straddles a cut is still whole in one of them.
func Split(text string, size func(body string) int, limit int) []Passage {
	fits := func(start, end int) bool { return size(text[start:end]) <= limit }
	var sents []sentence
	var cost []int // each sentence's tokens beyond the title's
	base := size("")
	for _, s := range sentences(text) {
		for i, p := range cutLong(text, s.Start, s.End, fits) {
			sents = append(sents, sentence{p.Start, p.End, s.paraStart && i == 0})
			cost = append(cost, max(size(text[p.Start:p.End])-base, 0))
		}
	}
	if len(sents) == 0 {
		return nil
	}
	// Subword counts of sentences joined by a space add up (or nearly), so
	// passages are grown on the sum and only each finished one is counted
	// whole, shrinking it if the sum was short: about two counts of the
	// text instead of one per sentence per passage.
	var out []Passage
	for first := 0; ; {
		est, last := base+cost[first], first
		for last+1 < len(sents) && est+cost[last+1] <= limit {
			// a paragraph is a good place to cut once the passage is 2/3 full
			if sents[last+1].paraStart && est >= limit*2/3 {
				break
			}
			last++
			est += cost[last]
		}
		for last > first && !fits(sents[first].Start, sents[last].End) {
			last--
		}
		out = append(out, Passage{sents[first].Start, sents[last].End})
		if last == len(sents)-1 {
			return out
		}
		// overlap: begin again with the passage's last sentence when it is
		// short and fits with the next one
		if last > first && cost[last] <= limit/4 && base+cost[last]+cost[last+1] <= limit {
			first = last
		} else {
			first = last + 1
		}
	}
}

type sentence struct {
	Start, End int
	paraStart  bool
}

// sentences finds sentence spans, trimmed of surrounding space.
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
		out = append(out, sentence{start, end, para})
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

// cutLong returns [start,end) whole when it fits, else cut between words
// into the longest runs that fit. Runs grow by doubling, then bisect, so a
// huge unpunctuated text costs O(n log n) counts, not O(n²).
func cutLong(text string, start, end int, fits func(start, end int) bool) []Passage {
	if fits(start, end) {
		return []Passage{{start, end}}
	}
	var bounds []int // word ends within [start,end)
	for i := start; i < end; i++ {
		if unicode.IsSpace(rune(text[i])) && i > start && !unicode.IsSpace(rune(text[i-1])) {
			bounds = append(bounds, i)
		}
	}
	bounds = append(bounds, end)
	var out []Passage
	from, b := start, 0 // b: first bound after from
	for b < len(bounds) {
		// find the largest k in [b, len) with fits(from, bounds[k]); at
		// least one word goes in each run, even one too long to fit
		lo, step := b, 1
		for lo+step < len(bounds) && fits(from, bounds[lo+step]) {
			lo += step
			step *= 2
		}
		hi := min(lo+step, len(bounds)) // fits(from, bounds[hi]) is false or hi is past the end
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if fits(from, bounds[mid]) {
				lo = mid
			} else {
				hi = mid
			}
		}
		out = append(out, Passage{from, bounds[lo]})
		b = lo + 1
		if b < len(bounds) {
			from = bounds[lo]
			for from < end && unicode.IsSpace(rune(text[from])) {
				from++
			}
		}
	}
	return out
}

// Normalize collapses every run of white space to one space and trims
// the ends: models see "a b", never a newline (one tokenizer reads it as
// an unknown piece), and equal text hashes equally.
func Normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// Counter is what passage cutting needs of a model: its input limit and
// its way of counting (every Embedder is one).
type Counter interface {
	MaxTokens() int
	CountTokens(text string) int
}

// Inputs cuts a document into passages that fit m and returns them with
// the exact inputs to embed, and how many of those are still over the
// limit (only a single word longer than the whole limit can be). A
// title-only document is one passage.
func Inputs(m Counter, prefix, title, text string) (spans []Passage, inputs []string, over int) {
	limit, count := m.MaxTokens(), m.CountTokens
	title = FitTitle(prefix, title, count, limit)
	spans = Split(text, func(body string) int { return count(JoinInput(prefix, title, body)) }, limit)
	if len(spans) == 0 && title != "" {
		spans = []Passage{{0, 0}}
	}
	inputs = make([]string, len(spans))
	for i, sp := range spans {
		inputs[i] = Input(prefix, title, text, sp)
		if count(inputs[i]) > limit {
			over++
		}
	}
	return spans, inputs, over
}

// Input is the exact text sent to the model for a passage: the title
// gives every passage its document's context.
func Input(prefix, title, text string, p Passage) string {
	return JoinInput(prefix, title, text[p.Start:p.End])
}

// JoinInput joins prefix, title and body into one normalised input; the
// title ends as a sentence (". ") unless it already has a stop.
func JoinInput(prefix, title, body string) string {
	title, body = Normalize(title), Normalize(body)
	switch {
	case title == "":
		return prefix + body
	case body == "":
		return prefix + title
	case strings.ContainsAny(title[len(title)-1:], ".?!:;"):
		return prefix + title + " " + body
	}
	return prefix + title + ". " + body
}

// FitTitle shortens a title, between words, to at most half the limit
// (with the prefix), so that every passage still has room; most titles
// are returned unchanged.
func FitTitle(prefix, title string, count func(string) int, limit int) string {
	if count(JoinInput(prefix, title, "")) <= limit/2 {
		return title
	}
	words := strings.Fields(title)
	lo, hi := 0, len(words) // words[:lo] fits, words[:hi] does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if count(JoinInput(prefix, strings.Join(words[:mid], " "), "")) <= limit/2 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return strings.Join(words[:lo], " ")
}

// Hash keys a vector by the exact text that produced it.
func Hash(input string) string {
	sum := sha256.Sum256([]byte(input))
	return hex.EncodeToString(sum[:])
}
