package langdetect

import (
	"cmp"
	"slices"
	"unicode"
	"unicode/utf8"
	_ "unsafe" // go:linkname, below

	"github.com/abadojack/whatlanggo"
)

// whatlanggo scores a text against a script's language profiles (300
// trigrams each, 48 for Latin) by looking every profile trigram up in the
// text's trigrams: 14,400 map reads a document whatever its length, half
// the CPU of an API ingest (profiled: 9.8 of 18.4 s for 20k passages).
// Here the same distances are summed from the other side: an index from
// trigram to the profiles holding it, read once per text trigram. The
// answer, confidence included, is whatlanggo's (TestSameAsWhatlanggo
// compares them on every corpus passage and on several scripts); only
// exact ties between two languages, which whatlanggo breaks in map order,
// are broken here in a fixed order.

// The profiles are whatlanggo's own, unexported; linked by name so that
// they are not copied (a whatlanggo upgrade that renames them fails the
// build, one that changes them keeps working).
//
//go:linkname latinProfiles github.com/abadojack/whatlanggo.latinLangs
var latinProfiles map[whatlanggo.Lang][]string

//go:linkname cyrillicProfiles github.com/abadojack/whatlanggo.cyrillicLangs
var cyrillicProfiles map[whatlanggo.Lang][]string

//go:linkname arabicProfiles github.com/abadojack/whatlanggo.arabicLangs
var arabicProfiles map[whatlanggo.Lang][]string

//go:linkname devanagariProfiles github.com/abadojack/whatlanggo.devanagariLangs
var devanagariProfiles map[whatlanggo.Lang][]string

//go:linkname ethiopicProfiles github.com/abadojack/whatlanggo.ethiopicLangs
var ethiopicProfiles map[whatlanggo.Lang][]string

//go:linkname hebrewProfiles github.com/abadojack/whatlanggo.hebrewLangs
var hebrewProfiles map[whatlanggo.Lang][]string

// whatlanggo's constants (constants.go).
const (
	maxTrigramDistance = 300
	maxTotalDistance   = 90000
)

// profileIndex is one script's profiles, inverted.
type profileIndex struct {
	langs []whatlanggo.Lang      // in Lang order
	base  []int                  // each language's distance from a text sharing none of its trigrams
	at    map[trigram][]langRank // trigram → the profiles holding it, and where
}

// trigram is three runes packed 21 bits each, so that counting a text's
// trigrams allocates no strings, and packed order is the strings' byte
// order (UTF-8 keeps code point order).
type trigram uint64

func pack(r1, r2, r3 rune) trigram {
	return trigram(uint64(r1)<<42 | uint64(r2)<<21 | uint64(r3))
}

// packString packs a profile's trigram; ok is false unless it is three runes.
func packString(s string) (trigram, bool) {
	r := []rune(s)
	if len(r) != 3 {
		return 0, false
	}
	return pack(r[0], r[1], r[2]), true
}

type langRank struct {
	lang uint16 // index into langs
	rank uint16 // position in that profile
}

func invert(profiles map[whatlanggo.Lang][]string) *profileIndex {
	p := &profileIndex{at: map[trigram][]langRank{}}
	for l := range profiles {
		p.langs = append(p.langs, l)
	}
	slices.Sort(p.langs)
	for i, l := range p.langs {
		p.base = append(p.base, len(profiles[l])*maxTrigramDistance)
		for rank, s := range profiles[l] {
			if tg, ok := packString(s); ok { // a text's trigrams are all three runes
				p.at[tg] = append(p.at[tg], langRank{uint16(i), uint16(rank)})
			}
		}
	}
	return p
}

var scripts = map[*unicode.RangeTable]*profileIndex{
	unicode.Latin:      invert(latinProfiles),
	unicode.Cyrillic:   invert(cyrillicProfiles),
	unicode.Arabic:     invert(arabicProfiles),
	unicode.Devanagari: invert(devanagariProfiles),
	unicode.Ethiopic:   invert(ethiopicProfiles),
	unicode.Hebrew:     invert(hebrewProfiles),
}

// detect is whatlanggo.Detect(s).
func detect(s string) whatlanggo.Info {
	script := detectScript(s)
	p := scripts[script]
	if p == nil { // a script with one language, or none: no profiles to score
		return whatlanggo.Detect(s)
	}
	lang, conf := p.score(trigramRanks(s))
	return whatlanggo.Info{Lang: lang, Script: script, Confidence: conf}
}

// score is whatlanggo's detectLangInProfiles: the distance of each
// profile from the text's ranks, then its confidence rule.
func (p *profileIndex) score(ranks []rankedTrigram) (whatlanggo.Lang, float64) {
	if len(p.langs) == 1 {
		return p.langs[0], 1
	}
	dist := slices.Clone(p.base)
	for _, t := range ranks {
		for _, lr := range p.at[t.tg] {
			d := t.rank - int(lr.rank)
			if d < 0 {
				d = -d
			}
			dist[lr.lang] += d - maxTrigramDistance
		}
	}
	order := make([]int, len(dist))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dist[a], dist[b]) })
	score1 := maxTotalDistance - dist[order[0]]
	score2 := maxTotalDistance - dist[order[1]]
	lang := p.langs[order[0]]
	switch {
	case score1 == 0:
		return -1, 0
	case score2 == 0:
		return lang, min(float64(score1)/500.0, 1)
	}
	rate := float64(score1-score2) / float64(score2)
	confidentRate := 12.0/float64(len(ranks)) + 0.05
	if rate > confidentRate {
		return lang, 1
	}
	return lang, rate / confidentRate
}

// rankedTrigram is one of a text's trigrams and its rank.
type rankedTrigram struct {
	tg   trigram
	rank int
}

// trigramRanks is whatlanggo's getTrigramsWithPositions: each trigram of
// the lower-cased text (punctuation, digits, symbols and spaces as one
// space) ranked by count, most frequent first, ties in reverse byte order.
// They come in packed order. Sorting the packed trigrams and ranking by a
// counting sort, where whatlanggo counts in a map and sorts with a
// comparison, was a third of detection's time.
func trigramRanks(text string) []rankedTrigram {
	txt := make([]rune, 0, len(text)+1)
	for _, r := range text {
		if r < utf8.RuneSelf {
			r = asciiFolded[r]
		} else if isStop(r) {
			r = ' '
		} else {
			r = unicode.ToLower(r)
		}
		txt = append(txt, r)
	}
	txt = append(txt, ' ')
	all := make([]trigram, 0, len(txt))
	r1, r2 := ' ', txt[0]
	for _, r3 := range txt[1:] {
		if !(r2 == ' ' && (r1 == ' ' || r3 == ' ')) {
			all = append(all, pack(r1, r2, r3))
		}
		r1, r2 = r2, r3
	}
	slices.Sort(all)
	out := make([]rankedTrigram, 0, len(all))
	var counts []int // counts[i] is out[i]'s count, then how many rank above it
	most := 0
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j] == all[i] {
			j++
		}
		out = append(out, rankedTrigram{tg: all[i]})
		counts = append(counts, j-i)
		most = max(most, j-i)
		i = j
	}
	// next[n] is the rank the next trigram counted n times takes: after
	// every more frequent one, and after the larger ones counted n times.
	next := make([]int, most+2)
	for _, n := range counts {
		next[n-1]++
	}
	for n := most - 1; n >= 0; n-- {
		next[n] += next[n+1]
	}
	for i := len(out) - 1; i >= 0; i-- {
		n := counts[i]
		out[i].rank = next[n]
		next[n]++
	}
	return out
}

// isStop is whatlanggo's isStopChar: characters that count as no script
// and read as a space.
func isStop(r rune) bool {
	return unicode.IsSymbol(r) || unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsDigit(r)
}

// asciiFolded maps each ASCII character as trigramRanks reads it: a stop
// character to a space, a letter to lower case.
var asciiFolded = func() (t [utf8.RuneSelf]rune) {
	for r := range rune(utf8.RuneSelf) {
		t[r] = unicode.ToLower(r)
		if isStop(r) {
			t[r] = ' '
		}
	}
	return t
}()

// detectScript is whatlanggo.DetectScript(s). A text whose every counted
// character is an ASCII letter is Latin, which is most texts here;
// whatlanggo tries each of its 23 scripts on every character, a quarter
// of detection's time.
func detectScript(s string) *unicode.RangeTable {
	latin := false
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if c := r | 0x20; 'a' <= c && c <= 'z' {
				latin = true
			}
		case isStop(r): // no script's
		default:
			return whatlanggo.DetectScript(s)
		}
	}
	if latin {
		return unicode.Latin
	}
	return nil
}
