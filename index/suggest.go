package index

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"policysearch/index/querylang"
)

// Typo help (issue 13): when a word of the query is unknown to the index
// or far rarer than a word one or two edits away, the response suggests
// the query with that word corrected, from the index's own vocabulary of
// words as written (the "words" field, words.go): `tarrifs` → tariffs,
// `goverment` → government, `inflaton` → inflation. It is offered only
// when the search found little (suggestBelow hits or fewer), so a query
// that works is left alone.
const (
	suggestBelow = 5
	// A correction must be this many times as common as the word typed:
	// a corpus has its own typos ("goverment" in one document), and the
	// word typed may be a rare real word.
	suggestRatio = 10
	// The vocabulary is read from the words that share the typed word's
	// first two letters (a typo rarely hits them), at most this many.
	suggestScan = 200_000
)

// suggest returns text with its misspelt words corrected, or "". Only
// words the index does not know are corrected, and, when the search found
// few hits, rare ones.
func (ix *Index) suggest(ctx context.Context, text string, few bool) string {
	expr, err := querylang.Parse(text, QueryFields)
	if err != nil {
		expr = querylang.Words(text)
	}
	runes := []rune(text)
	var out []rune
	last, changed := 0, false
	words := plainWords(expr)
	for _, t := range words[:min(len(words), ShortQueryWords)] {
		fix := ix.correct(ctx, t.Value, few)
		start := indexRunes(runes, []rune(t.Value), max(last, t.Pos-1))
		if fix == "" || start < 0 {
			continue
		}
		end := start + utf8.RuneCountInString(t.Value)
		out = append(append(out, runes[last:start]...), []rune(matchCase(fix, t.Value))...)
		last, changed = end, true
	}
	if !changed {
		return ""
	}
	return string(append(out, runes[last:]...))
}

// plainWords lists the words of e that a correction may replace: plain
// words of letters in the title and text, longer than three letters
// (shorter ones have too many neighbours) and not acronyms.
func plainWords(e querylang.Expr) []*querylang.Term {
	var out []*querylang.Term
	querylang.EachWantedTerm(e, func(t *querylang.Term) {
		if t.Kind == querylang.Word && (t.Field == "" || t.Field == "title" || t.Field == "text") &&
			utf8.RuneCountInString(t.Value) > 3 && !isAcronym(t.Value) && allLetters(t.Value) {
			out = append(out, t)
		}
	})
	return out
}

func allLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// correct returns the most common word within one edit of w (two for
// words of six letters or more) that is suggestRatio times as common as
// w, preferring fewer edits; or "".
func (ix *Index) correct(ctx context.Context, w string, few bool) string {
	w = strings.ToLower(w)
	own := ix.wordCount(w)
	if own > 0 && !few {
		return ""
	}
	maxEdits := 1
	if utf8.RuneCountInString(w) >= 6 {
		maxEdits = 2
	}
	prefix := string([]rune(w)[:2])
	dict, err := ix.alias.FieldDictPrefix(wordsField, []byte(prefix))
	if err != nil {
		return ""
	}
	defer dict.Close()
	// The dictionary only names the neighbours: its counts can fall short
	// of the documents that hold a word standing in several segments
	// (bleve's merged cursor; 7 of 21 for "tariffs" on SOTU), so each
	// candidate is counted exactly, as the word itself was. A rare
	// neighbour, such as the corpus's own "tarrif", must not hide a common
	// one further off.
	type cand struct {
		term  string
		edits int
		count uint64
	}
	var cands []cand
	for i := 0; i < suggestScan && ctx.Err() == nil; i++ {
		e, err := dict.Next()
		if err != nil || e == nil {
			break
		}
		if e.Term == w {
			continue
		}
		if d := editDistance(w, e.Term, maxEdits); d <= maxEdits {
			cands = append(cands, cand{term: e.Term, edits: d})
		}
	}
	for i := range cands {
		cands[i].count = ix.wordCount(cands[i].term)
	}
	var best *cand
	for i, c := range cands {
		if c.count < suggestRatio*max(own, 1) {
			continue
		}
		if best == nil || better(c.edits, lenGap(c.term, w), c.count, best.edits, lenGap(best.term, w), best.count) {
			best = &cands[i]
		}
	}
	if best == nil {
		return ""
	}
	return best.term
}

// better orders corrections: fewer edits, then a length closer to the
// word typed (a typo rarely adds or drops a letter and changes another:
// "tarrifs" is "tariffs" more likely than "tariff", both two edits away),
// then the more common word.
func better(edits, gap int, count uint64, bestEdits, bestGap int, bestCount uint64) bool {
	if edits != bestEdits {
		return edits < bestEdits
	}
	if gap != bestGap {
		return gap < bestGap
	}
	return count > bestCount
}

func lenGap(a, b string) int {
	d := utf8.RuneCountInString(a) - utf8.RuneCountInString(b)
	return max(d, -d)
}

// editDistance is the Levenshtein distance of a and b, or limit+1 once it
// is sure to exceed limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// matchCase writes fix as typed was written: Capitalised or UPPER.
func matchCase(fix, typed string) string {
	switch {
	case typed == strings.ToUpper(typed):
		return strings.ToUpper(fix)
	case strings.ToUpper(typed[:1]) == typed[:1]:
		r, n := utf8.DecodeRuneInString(fix)
		return string(unicode.ToUpper(r)) + fix[n:]
	}
	return fix
}

// wordCount is how many documents have w in the title or text.
func (ix *Index) wordCount(w string) uint64 { return ix.termCount(wordsField, w) }

// indexRunes is the index of the first sub in s at or after from, or -1.
func indexRunes(s, sub []rune, from int) int {
	for i := max(from, 0); i+len(sub) <= len(s); i++ {
		if string(s[i:i+len(sub)]) == string(sub) {
			return i
		}
	}
	return -1
}
