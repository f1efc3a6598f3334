package ingest

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fixPages repairs what every extractor leaves in a PDF's page texts
// before they are searched: typographic ligatures, words hyphenated at a
// line end, and the running headers and footers a printer adds to every
// page (a browser's date, title, address and "1/3"). breaksWords is false
// when the producer is known never to hyphenate (a browser): then every
// line-end hyphen is the text's own.
func fixPages(pages []string, breaksWords bool) []string {
	out := make([]string, len(pages))
	for i, p := range pages {
		out[i] = ligatures.Replace(p)
	}
	out = dropRunningLines(out)
	words := vocabulary(out)
	for i, p := range out {
		out[i] = joinHyphenated(p, words, breaksWords)
	}
	return out
}

// ligatures spells out the Latin ligature code points (U+FB00–FB06) that
// fonts draw for "fi", "fl" and the like: "ﬁnance" must match "finance".
var ligatures = strings.NewReplacer("ﬀ", "ff", "ﬁ", "fi", "ﬂ", "fl", "ﬃ", "ffi", "ﬄ", "ffl", "ﬅ", "st", "ﬆ", "st")

// edgeLines is how many lines at the top and bottom of a page can be a
// running header or footer.
const edgeLines = 3

var (
	digitRun = regexp.MustCompile(`\d+`)
	// pageMark is a line that only numbers the page: "3", "3/12",
	// "Page 3 of 12", "- 3 -".
	pageMark = regexp.MustCompile(`(?i)^[-–—\s]*(page\s+|p\.\s*)?\d+(\s*(/|of)\s*\d+)?[-–—\s]*$`)
	// printStamp is a browser's print header or footer: a date and time
	// (then usually the title), or an address (then usually "N/M").
	printStamp = regexp.MustCompile(`^(\d{1,2}/\d{1,2}/\d{2,4},? \d{1,2}:\d{2}(\s?[AP]M)?\b|(https?|file)://\S+(\s+\d+/\d+)?$)`)
)

// dropRunningLines removes, from the edges of each page, lines that recur
// at the edges of at least half the pages (digits ignored, so "Page 3"
// matches "Page 4") and lines that are only a page number or a print
// stamp. A recurring line is removed once per page, nearest the edge, so a
// title that also heads the first page's text stays.
func dropRunningLines(pages []string) []string {
	split := make([][]string, len(pages))
	counts := map[string]int{}
	for i, p := range pages {
		split[i] = strings.Split(p, "\n")
		seen := map[string]bool{}
		for _, j := range edgeIndexes(len(split[i])) {
			k := runningKey(split[i][j])
			if k != "" && !seen[k] {
				seen[k] = true
				counts[k]++
			}
		}
	}
	out := make([]string, len(pages))
	for i, lines := range split {
		drop := map[int]bool{}
		removed := map[string]bool{}
		for _, j := range edgeIndexes(len(lines)) {
			line := strings.TrimSpace(lines[j])
			k := runningKey(line)
			switch {
			case k == "":
			case pageMark.MatchString(line), printStamp.MatchString(line):
				drop[j] = true
			case counts[k] >= 2 && counts[k]*2 >= len(pages) && !removed[k]:
				drop[j], removed[k] = true, true
			}
		}
		kept := lines[:0]
		for j, l := range lines {
			if !drop[j] {
				kept = append(kept, l)
			}
		}
		out[i] = tidyLines(strings.Join(kept, "\n"))
	}
	return out
}

// edgeIndexes lists the line numbers of a page's edges, outermost first.
func edgeIndexes(n int) []int {
	var idx []int
	for d := 0; d < edgeLines && d < n; d++ {
		idx = append(idx, d)
		if n-1-d > d {
			idx = append(idx, n-1-d)
		}
	}
	return idx
}

func runningKey(line string) string {
	return digitRun.ReplaceAllString(strings.ToLower(strings.TrimSpace(line)), "#")
}

// vocabulary counts the document's words (lower-cased letter runs) and
// its hyphenated compounds, to judge line-end hyphens by.
func vocabulary(pages []string) map[string]int {
	v := map[string]int{}
	for _, p := range pages {
		for _, w := range strings.FieldsFunc(strings.ToLower(p), func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }) {
			w = strings.Trim(w, "-")
			v[w]++
			if strings.Contains(w, "-") {
				for _, part := range strings.Split(w, "-") {
					v[part]++
				}
			}
		}
	}
	return v
}

// joinHyphenated mends words split at a line end. "regu-" + "lation" is one
// word; "open-" + "weight" is a compound that keeps its hyphen. The
// document's own words decide: the joined word used elsewhere joins; the
// compound used elsewhere, an acronym before the hyphen ("US-based"),
// or either part used as a word of its own (four
// letters or more, so syllables like "con" do not count), keeps the hyphen;
// with no evidence the hyphen is a typesetter's and goes. A soft hyphen
// always goes.
func joinHyphenated(page string, words map[string]int, breaksWords bool) string {
	lines := strings.Split(page, "\n")
	for i := 0; i < len(lines)-1; i++ {
		line, next := lines[i], lines[i+1]
		soft := strings.HasSuffix(line, "\u00ad")
		if !soft && !strings.HasSuffix(line, "-") {
			continue
		}
		head := lastWord(strings.TrimSuffix(strings.TrimSuffix(line, "\u00ad"), "-"))
		tail := firstWord(next)
		if head == "" || tail == "" || !startsLower(tail) {
			continue
		}
		stem := strings.TrimSuffix(strings.TrimSuffix(line, "\u00ad"), "-")
		h, t := strings.ToLower(head), strings.ToLower(tail)
		keep := !soft && (!breaksWords || words[h+t] == 0 && (words[h+"-"+t] > 0 || isUpper(head) ||
			len(h) >= 4 && words[h] > 1 || len(t) >= 4 && words[t] > 1))
		if keep {
			stem += "-"
		}
		lines[i] = stem + next
		lines = append(lines[:i+1], lines[i+2:]...)
		i--
	}
	return strings.Join(lines, "\n")
}

// lastWord is the run of letters ending s.
func lastWord(s string) string {
	i := len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsLetter(r) {
			break
		}
		i -= size
	}
	return s[i:]
}

// firstWord is the run of letters starting s.
func firstWord(s string) string {
	for i, r := range s {
		if !unicode.IsLetter(r) {
			return s[:i]
		}
	}
	return s
}

// isUpper reports whether s is all capitals: an acronym, which no
// typesetter hyphenates.
func isUpper(s string) bool {
	return s != "" && strings.ToUpper(s) == s
}

// producerBreaksWords reports whether a PDF producer may hyphenate words at
// line ends. Browsers print with Skia, which does not (CSS hyphenation is
// off unless a page asks for it); for anything else it is unknown, so
// assumed.
func producerBreaksWords(producer string) bool {
	return !strings.Contains(producer, "Skia/PDF")
}
