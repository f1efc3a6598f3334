package web

import (
	"strings"
	"testing"
)

// marked returns the words of text that m marks.
func marked(m *Matcher, text string) string {
	var out []string
	for _, s := range m.Spans(text) {
		out = append(out, text[s.Start:s.End])
	}
	return strings.Join(out, " ")
}

func TestMatcher(t *testing.T) {
	const text = "Regulators regulate the regulation of sovereign AI; the Sovereign's data, not tariffs on steel."
	cases := []struct {
		query, want string
	}{
		{"", ""},
		{"regulation", "Regulators regulate regulation"}, // all stem to regul, as the index matches them
		{"sovereign ai", "sovereign AI Sovereign's"},
		{`"sovereign AI"`, "sovereign AI Sovereign's"},
		{"regulat*", "Regulators regulate regulation"},
		{"tariffs -steel", "tariffs"},
		{"tariffs AND NOT steel", "tariffs"},
		{"(data OR steel) NOT tariffs", "data steel"},
		{"title:steel text:data", "data steel"},
		{"source:steel author:data", ""},
		{"the of not", ""},                            // stop words mark nothing
		{`"sovereign AI`, "sovereign AI Sovereign's"}, // does not parse: plain words
		{"tarifs~1", ""},                              // fuzzy terms mark their exact form only
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			if got := marked(NewMatcher(c.query), text); got != c.want {
				t.Errorf("NewMatcher(%q) marks %q, want %q", c.query, got, c.want)
			}
		})
	}
}

func TestRenderTextEscapesAndNumbersMarks(t *testing.T) {
	text := "Intro <b>sovereign</b>.\n\n- a & sovereign\n- b\n\n```\n<x> **sovereign**\n```"
	m := NewMatcher("sovereign")
	blocks, n := renderText(text, "", m.Spans(text), 0)
	var got []string
	for _, b := range blocks {
		got = append(got, b.Kind+":"+string(b.HTML))
		for _, it := range b.Items {
			got = append(got, "li:"+string(it))
		}
	}
	want := []string{
		`p:Intro &lt;b&gt;<mark id="m1">sovereign</mark>&lt;/b&gt;.`,
		"ul:", `li:a &amp; <mark id="m2">sovereign</mark>`, "li:b",
		`pre:&lt;x&gt; **<mark id="m3">sovereign</mark>**`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || n != 3 {
		t.Errorf("renderText = %d marks\n%s\nwant 3\n%s", n, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
