package ingest

import (
	"context"
	"regexp"
	"strings"
)

// loadMarkdown reads a Markdown file. The text keeps its paragraphs but
// loses its markup (heading marks, emphasis, link targets), because
// snippets and the document page show it as prose.
func loadMarkdown(ctx context.Context, src *source, out *emitter) error {
	doc, body, err := frontMatterDoc(src, out)
	if err != nil || doc == nil {
		return err
	}
	title, rest := mdHeading(body)
	switch {
	case doc.Title == "" && title != "":
		doc.Title, body = title, rest
	case title != "" && strings.EqualFold(title, doc.Title):
		body = rest // the heading repeats the front matter's title
	}
	if doc.Title == "" {
		doc.Title = firstSentence(mdPlain(body))
	}
	if strings.TrimSpace(body) != "" {
		doc.Text = mdText(body)
	}
	return out.emit(*doc, 0, 0)
}

var (
	atxH1   = regexp.MustCompile(`^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	setext1 = regexp.MustCompile(`^ {0,3}=+[ \t]*$`)
	fence   = regexp.MustCompile("^ {0,3}(```|~~~)")
	mdLink  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdMark  = regexp.MustCompile("^ {0,3}(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\\d{1,9}[.)][ \t]+)")
)

// mdHeading finds the first level-one heading outside code blocks. When
// it opens the document it is removed from rest, as it now is the title
// and would otherwise be shown twice; a heading further down stays.
func mdHeading(body string) (title, rest string) {
	lines := strings.SplitAfter(body, "\n")
	inFence, leading := false, true
	for i, line := range lines {
		l := strings.TrimRight(line, "\n")
		if fence.MatchString(l) {
			inFence = !inFence
			leading = false
			continue
		}
		if inFence {
			continue
		}
		if strings.TrimSpace(l) == "" {
			continue
		}
		if m := atxH1.FindStringSubmatch(l); m != nil && strings.TrimSpace(m[1]) != "" {
			title = mdInline(m[1])
			if leading {
				return title, strings.Join(lines[i+1:], "")
			}
			return title, body
		}
		// A setext heading ("Title" underlined with ===) only counts at
		// the top: further down it is too easily a table or a rule.
		if leading && i+1 < len(lines) && setext1.MatchString(strings.TrimRight(lines[i+1], "\n")) {
			return mdInline(l), strings.Join(lines[i+2:], "")
		}
		leading = false
	}
	return "", body
}

// mdInline drops emphasis and link markup from a line of Markdown.
func mdInline(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	s = strings.NewReplacer("**", "", "__", "", "`", "", "*", "").Replace(s)
	return clip(strings.TrimSpace(s), 1000)
}

// mdPlain strips block markers and inline markup from the start of a
// Markdown text, enough for firstSentence to find prose.
func mdPlain(text string) string {
	var b strings.Builder
	inFence := false
	for line := range strings.Lines(text) {
		if b.Len() > 16*maxDerivedTitle {
			break
		}
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		line = mdMark.ReplaceAllString(line, "")
		b.WriteString(mdInline(strings.TrimRight(line, "\n")))
		b.WriteByte('\n')
	}
	return b.String()
}

// mdText turns a Markdown body into plain prose: block markers and inline
// markup go, code blocks stay verbatim.
func mdText(text string) string {
	var b strings.Builder
	inFence := false
	for line := range strings.Lines(text) {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if !inFence {
			line = mdInline(mdMark.ReplaceAllString(strings.TrimRight(line, "\n"), "")) + "\n"
		}
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}
