package ingest

import (
	"context"
	"strings"

	"policysearch/index"
)

// loadText reads a plain-text file: optional YAML front matter, then the
// text. Without a stated title the first sentence stands in, because
// search results need something to show and link.
func loadText(ctx context.Context, src *source, out *emitter) error {
	doc, body, err := frontMatterDoc(src, out)
	if err != nil {
		return err
	}
	if doc == nil {
		return nil // the failure was yielded as a record
	}
	if strings.TrimSpace(body) != "" {
		doc.Text = body
	}
	if doc.Title == "" {
		doc.Title = firstSentence(doc.Text)
	}
	return out.emit(*doc, 0, 0)
}

// frontMatterDoc reads a source whose metadata sits in YAML front matter
// (text and Markdown). A whole-file failure is returned; bad front matter
// is yielded as a failed record, and then doc is nil. The body wins over
// a text field in the front matter, which is what the file visibly says.
func frontMatterDoc(src *source, out *emitter) (doc *index.Document, body string, err error) {
	data, err := src.bytes()
	if err != nil {
		return nil, "", err
	}
	text := cleanText(string(data))
	meta, body, has, ferr := splitFrontMatter(text)
	d := index.Document{}
	if ferr == nil && has {
		d, ferr = metaDoc([]byte(meta), "front matter")
	}
	if ferr != nil {
		return nil, "", out.fail(0, 0, ferr)
	}
	return &d, body, nil
}
