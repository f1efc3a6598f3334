package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"policysearch/index"
)

// emitter finishes documents the same way for every format: sidecar
// overrides, clean text, origin, id and validation. Loaders only extract.
type emitter struct {
	ctx    context.Context
	origin string
	over   *index.Document // sidecar metadata, nil when there is none
	yield  func(Record) error
}

// emit finishes doc and yields it. n is the record's number within a
// multi-record file (0 for a file that is one document): a record with
// neither id nor url gets "origin#n" as its origin so each derives its own
// stable id. line goes into Record.Line.
func (e *emitter) emit(doc index.Document, n, line int) error {
	if err := e.ctx.Err(); err != nil {
		return err
	}
	if e.over != nil {
		override(&doc, e.over)
	}
	cleanFields(&doc)
	doc.ID, doc.URL = strings.TrimSpace(doc.ID), strings.TrimSpace(doc.URL)
	doc.Origin = e.origin
	if n > 0 && doc.ID == "" && doc.URL == "" {
		doc.Origin = e.origin + "#" + strconv.Itoa(n)
	}
	// EnsureID is the index's own rule (url, else origin), so a page
	// ingested from a file and the same page posted to the API get one id.
	doc.EnsureID()
	if err := doc.Normalize(); err != nil {
		return e.yieldErr(doc, line, err)
	}
	return e.yield(Record{Doc: doc, Line: line})
}

// fail yields a record that could not be read. n and line are as for emit.
func (e *emitter) fail(n, line int, err error) error {
	if cerr := e.ctx.Err(); cerr != nil {
		return cerr
	}
	doc := index.Document{Origin: e.origin}
	if n > 0 {
		doc.Origin = e.origin + "#" + strconv.Itoa(n)
	}
	return e.yieldErr(doc, line, err)
}

// yieldErr names where the failure happened, keeping any *index.Error in
// the chain so callers can still map its kind and field.
func (e *emitter) yieldErr(doc index.Document, line int, err error) error {
	loc := e.origin
	if line > 0 {
		loc = fmt.Sprintf("%s line %d", e.origin, line)
	}
	var ie *index.Error
	if errors.As(err, &ie) {
		err = fmt.Errorf("%s: %w", loc, err)
	} else {
		err = &index.Error{Kind: index.Invalid, Code: "invalid_document", Message: loc, Err: err}
	}
	return e.yield(Record{Doc: doc, Line: line, Err: err})
}

// override lets sidecar metadata fill in or replace what the file said.
// Only fields the sidecar sets count: it cannot clear a field.
func override(d, o *index.Document) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&d.ID, o.ID)
	set(&d.Title, o.Title)
	set(&d.Text, o.Text)
	set(&d.URL, o.URL)
	set(&d.Source, o.Source)
	set(&d.SourceType, o.SourceType)
	set(&d.Country, o.Country)
	set(&d.Language, o.Language)
	if len(o.Authors) > 0 {
		d.Authors = slices.Clone(o.Authors) // cleaned in place later
	}
	if len(o.Tags) > 0 {
		d.Tags = slices.Clone(o.Tags)
	}
	if !o.Published.IsZero() {
		StatePublished(d, o.Published)
	}
	for k, v := range o.Extra {
		if d.Extra == nil {
			d.Extra = map[string]any{}
		}
		d.Extra[k] = v
	}
}

// cleanFields makes every text field valid UTF-8 without control
// characters, whatever the format let through (JSON escapes, HTML bytes).
func cleanFields(d *index.Document) {
	for _, p := range []*string{&d.ID, &d.Title, &d.Text, &d.URL, &d.Source, &d.SourceType, &d.Country, &d.Language} {
		*p = cleanText(*p)
	}
	for i := range d.Authors {
		d.Authors[i] = cleanText(d.Authors[i])
	}
	for i := range d.Tags {
		d.Tags[i] = cleanText(d.Tags[i])
	}
}
