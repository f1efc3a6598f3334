package index

import (
	"html"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search"
)

// snippetWidth is how many bytes of text a snippet shows: about two lines
// of a result list, enough to judge a passage without opening it.
const snippetWidth = 240

type span struct{ start, end int }

// spans flattens bleve's term locations into sorted, non-overlapping byte
// ranges.
func spans(tl search.TermLocationMap) []span {
	var out []span
	for _, locs := range tl {
		for _, l := range locs {
			out = append(out, span{int(l.Start), int(l.End)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// markAll escapes text and wraps every span in <mark>.
func markAll(text string, sp []span) string {
	var b strings.Builder
	pos := 0
	for _, s := range sp {
		if s.start < pos || s.end > len(text) {
			continue
		}
		b.WriteString(html.EscapeString(text[pos:s.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[s.start:s.end]))
		b.WriteString("</mark>")
		pos = s.end
	}
	b.WriteString(html.EscapeString(text[pos:]))
	return b.String()
}

// snippets picks up to n windows of text that hold the most distinct
// matched words, in reading order, as escaped HTML with marks. Without
// matches it returns the opening of the text, so every hit shows something.
// at holds where each snippet's first match (else the snippet) starts in
// text, so paged documents can say which page a snippet is on.
func snippets(text string, sp []span, n int) (out []string, at []int) {
	if text == "" {
		return []string{}, nil
	}
	if len(sp) == 0 {
		w := window(text, 0, snippetWidth)
		return []string{render(text, w, nil)}, []int{w.start}
	}
	var chosen []span
	used := make([]bool, len(sp))
	for len(chosen) < n {
		best, bestScore := -1, 0
		for i := range sp {
			if used[i] {
				continue
			}
			score, words := 0, map[string]bool{}
			lo := max(0, sp[i].start-snippetWidth/4)
			for j := i; j < len(sp) && sp[j].end <= lo+snippetWidth; j++ {
				if used[j] {
					continue
				}
				w := strings.ToLower(text[sp[j].start:sp[j].end])
				if !words[w] {
					words[w] = true
					score += 10
				}
				score++
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best < 0 {
			break
		}
		lo := max(0, sp[best].start-snippetWidth/4)
		w := window(text, lo, lo+snippetWidth)
		for j := range sp {
			if sp[j].start >= w.start && sp[j].end <= w.end {
				used[j] = true
			}
		}
		used[best] = true
		chosen = append(chosen, w)
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].start < chosen[j].start })
	out = make([]string, 0, len(chosen))
	for i, w := range chosen {
		if i > 0 && w.start < chosen[i-1].end { // overlapping windows read as one
			continue
		}
		out = append(out, render(text, w, sp))
		at = append(at, firstIn(sp, w))
	}
	return out, at
}

// window snaps [lo, hi) outwards-then-inwards to word boundaries.
func window(text string, lo, hi int) span {
	hi = min(hi, len(text))
	for lo > 0 && !utf8.RuneStart(text[lo]) {
		lo++
	}
	if lo > 0 {
		if i := strings.IndexFunc(text[lo:min(hi, lo+40)], unicode.IsSpace); i >= 0 {
			lo += i + 1
		}
	}
	for hi < len(text) && !utf8.RuneStart(text[hi]) {
		hi--
	}
	if hi < len(text) {
		if i := strings.LastIndexFunc(text[lo:hi], unicode.IsSpace); i > 0 {
			hi = lo + i
		}
	}
	return span{lo, hi}
}

// render escapes text[w] with marks on the spans inside it and ellipses
// where it was cut.
func render(text string, w span, sp []span) string {
	var inner []span
	for _, s := range sp {
		if s.start >= w.start && s.end <= w.end {
			inner = append(inner, span{s.start - w.start, s.end - w.start})
		}
	}
	out := collapseMarked(text[w.start:w.end], inner)
	if w.start > 0 {
		out = "…" + out
	}
	if w.end < len(text) {
		out += "…"
	}
	return out
}

// collapseMarked marks spans and folds runs of white space (line breaks in
// the source) into single spaces, keeping the span offsets right.
func collapseMarked(s string, sp []span) string {
	var b strings.Builder
	pos := 0
	write := func(part string) {
		b.WriteString(html.EscapeString(squash(part)))
	}
	for _, x := range sp {
		write(s[pos:x.start])
		b.WriteString("<mark>")
		write(s[x.start:x.end])
		b.WriteString("</mark>")
		pos = x.end
	}
	write(s[pos:])
	return strings.TrimSpace(b.String())
}

func squash(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
