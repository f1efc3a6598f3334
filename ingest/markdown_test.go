package ingest

import (
	"strings"
	"testing"
)

func TestMarkdownFiles(t *testing.T) {
	tests := []struct {
		path, title, textPrefix string
		textHas, textLacks      string
		published, authors      string
	}{
		{path: "testdata/md/heading.md", title: "Budget priorities for 2025",
			textPrefix: "The committee met on Tuesday.", textHas: "\n\nDetails\n", textLacks: "Budget priorities"},
		{path: "testdata/md/front.md", title: "Front matter title wins",
			textPrefix: "Heading stays in the body", textHas: "Body paragraph.",
			published: "2021", authors: "Smith, John"},
		{path: "testdata/md/nohead.md", title: "Note: the council adopted the text",
			textPrefix: "Note: the council", textLacks: "**"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			d := loadPath(t, tt.path).one()
			if d.Title != tt.title {
				t.Errorf("title: got %q, want %q", d.Title, tt.title)
			}
			if !strings.HasPrefix(d.Text, tt.textPrefix) {
				t.Errorf("text: got %q, want prefix %q", d.Text, tt.textPrefix)
			}
			if tt.textHas != "" && !strings.Contains(d.Text, tt.textHas) {
				t.Errorf("text: got %q, want it to contain %q", d.Text, tt.textHas)
			}
			if tt.textLacks != "" && strings.Contains(d.Text, tt.textLacks) {
				t.Errorf("text: got %q, must not contain %q", d.Text, tt.textLacks)
			}
			if got := d.Published.String(); got != tt.published {
				t.Errorf("published: got %q, want %q", got, tt.published)
			}
			if got := strings.Join(d.Authors, "|"); got != tt.authors {
				t.Errorf("authors: got %q, want %q", got, tt.authors)
			}
			if d.Origin != abs(t, tt.path) {
				t.Errorf("origin: got %q, want %q", d.Origin, abs(t, tt.path))
			}
		})
	}
}

// Markdown markup leaves the text (it shows as prose in snippets); code
// blocks keep their content without the fences.
func TestMarkdownTitles(t *testing.T) {
	tests := []struct{ name, content, title, text string }{
		{"atx with closing hashes", "# Title ##\n\nBody.", "Title", "Body."},
		{"setext heading", "Big Title\n=========\n\nBody.", "Big Title", "Body."},
		{"heading in code fence is not a title", "```\n# not a title\n```\n\nReal prose here. More.", "Real prose here", "# not a title\n\nReal prose here. More."},
		{"later heading is the title but stays", "Intro line\n\n# Later\n\nBody.", "Later", "Intro line\n\nLater\n\nBody."},
		{"h2 is not a title", "## Section\n\nText here. More.", "Section", "Section\n\nText here. More."},
		{"link in heading", "# See [the plan](https://x.org)\n\nBody.", "See the plan", "Body."},
		{"heading only", "# Just a heading\n", "Just a heading", ""},
		{"front matter title repeated as heading", "---\ntitle: Same Title\n---\n# Same title\n\nBody **bold** [link](https://x.org).", "Same Title", "Body bold link."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadString(t, "doc.md", tt.content, "").one()
			if d.Title != tt.title {
				t.Errorf("title: got %q, want %q", d.Title, tt.title)
			}
			if d.Text != tt.text {
				t.Errorf("text: got %q, want %q", d.Text, tt.text)
			}
		})
	}
}
