package ingest

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// chrome is page furniture that is never a document's text. readability
// drops it too; this list matters for the fallback when it gives up.
var chrome = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Noscript: true,
	atom.Template: true, atom.Svg: true, atom.Math: true, atom.Iframe: true,
	atom.Object: true, atom.Embed: true, atom.Canvas: true, atom.Audio: true,
	atom.Video: true, atom.Nav: true, atom.Footer: true, atom.Aside: true,
	atom.Form: true, atom.Button: true, atom.Select: true, atom.Textarea: true,
	atom.Dialog: true,
}

// chromeRoles are ARIA landmarks for the same furniture, for sites that
// build navigation from plain divs.
var chromeRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"menu": true, "menubar": true, "search": true, "dialog": true, "alert": true,
}

// blocks end a paragraph: their text is kept apart by a blank line so
// that snippets and the reader view keep the page's paragraphs.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true,
	atom.Main: true, atom.Header: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Ul: true,
	atom.Ol: true, atom.Li: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true,
	atom.Figure: true, atom.Figcaption: true, atom.Hr: true, atom.Address: true,
	atom.Details: true, atom.Summary: true, atom.Caption: true, atom.Body: true,
	atom.Fieldset: true, atom.Legend: true, atom.Center: true, atom.Html: true,
}

// nodeText returns the visible text under n with paragraphs separated by
// blank lines and whitespace inside paragraphs collapsed, except in <pre>.
func nodeText(n *html.Node) string {
	var w textWriter
	w.walk(n)
	w.flush()
	return strings.Join(w.paras, "\n\n")
}

type textWriter struct {
	paras []string
	cur   strings.Builder
	pre   int // depth inside <pre>, where whitespace is the content
}

func (w *textWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if w.pre > 0 {
			w.cur.WriteString(n.Data)
		} else {
			w.inline(n.Data)
		}
		return
	case html.ElementNode:
		if hidden(n) {
			return
		}
		switch n.DataAtom {
		case atom.Br:
			w.cur.WriteByte('\n')
			return
		case atom.Td, atom.Th:
			w.cur.WriteByte(' ')
		case atom.Img:
			return
		}
	case html.DocumentNode:
	default:
		return // comments, doctypes
	}
	if n.DataAtom == atom.Pre && n.Type == html.ElementNode {
		w.flush()
		w.pre++
		w.children(n)
		if w.pre--; w.pre == 0 {
			w.flushPre()
		}
		return
	}
	block := n.Type == html.ElementNode && blocks[n.DataAtom]
	if block {
		w.flush()
	}
	w.children(n)
	if block {
		w.flush()
	}
}

func (w *textWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// flushPre ends preformatted text, keeping its spacing and line breaks.
func (w *textWriter) flushPre() {
	s := strings.Trim(w.cur.String(), "\n")
	w.cur.Reset()
	if strings.TrimSpace(s) != "" {
		w.paras = append(w.paras, s)
	}
}

// inline writes text with runs of whitespace as one space, as a browser
// shows it.
func (w *textWriter) inline(s string) {
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			w.cur.WriteByte(' ')
			space = false
		}
		w.cur.WriteRune(r)
	}
	if space {
		w.cur.WriteByte(' ')
	}
}

// flush ends the current paragraph. Lines from <br> stay, trimmed.
func (w *textWriter) flush() {
	if w.pre > 0 {
		return // a block inside <pre> does not split it
	}
	s := w.cur.String()
	w.cur.Reset()
	var lines []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) > 0 {
		w.paras = append(w.paras, strings.Join(lines, "\n"))
	}
}

// hidden reports elements a reader never sees: chrome, hidden
// attributes and navigation landmarks.
func hidden(n *html.Node) bool {
	if chrome[n.DataAtom] {
		return true
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		case "role":
			if chromeRoles[strings.ToLower(strings.TrimSpace(a.Val))] {
				return true
			}
		case "style":
			st := strings.ToLower(strings.ReplaceAll(a.Val, " ", ""))
			if strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}
