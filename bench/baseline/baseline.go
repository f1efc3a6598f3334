// Package baseline is the raw-bleve yardstick for policysearch's
// benchmarks: a minimal program that indexes the same passages with
// bleve directly and queries them the plain bleve way.
//
// The mapping is what a result page needs and no more: bleve's own "en"
// analyzer (the same tokenizer, possessive and stop filters and Porter
// stemmer policysearch's prose analyzer chains) on title and text, stored
// with term vectors for highlighting; keyword fields, stored, for the five
// facets and the author; a date field for sorting and year ranges. No _all
// field, no lowercase or tokenized twins, no document store: those are
// what policysearch adds.
package baseline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	"github.com/blevesearch/bleve/v2/search/query"

	"policysearch/bench/corpus"
)

// BatchSize is the documents per bleve batch, as policysearch's add uses.
const BatchSize = 512

// Facets are the facets a policysearch result page computes.
var Facets = []string{"source", "source_type", "country", "year", "tags"}

// Mapping is the baseline's index mapping.
func Mapping() *mapping.IndexMappingImpl {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	doc := bleve.NewDocumentStaticMapping()
	for _, name := range []string{"title", "text"} {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = en.AnalyzerName
		f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = true, true, false, false
		doc.AddFieldMappingsAt(name, f)
	}
	for _, name := range []string{"author", "source", "source_type", "country", "tags", "year"} {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store, f.IncludeInAll = true, false
		doc.AddFieldMappingsAt(name, f)
	}
	when := bleve.NewDateTimeFieldMapping()
	when.IncludeInAll = false
	doc.AddFieldMappingsAt("published", when)
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	m.DefaultMapping = doc
	return m
}

// fields turns a passage into what bleve indexes.
func fields(d *corpus.Doc) map[string]any {
	return map[string]any{
		"title": d.Title, "text": d.Text, "author": d.Author, "source": d.Source,
		"year": d.Published, "published": d.Published + "-01-01T00:00:00Z",
	}
}

// IngestStats is what one Ingest did.
type IngestStats struct {
	Docs  int
	Bytes int64
	Took  time.Duration
}

// Ingest creates an index at dir and loads the JSONL file into it in
// batches of BatchSize, decoding each line as it goes, then closes it:
// the time covers creating, every batch made durable, and closing.
func Ingest(ctx context.Context, dir, jsonl string) (IngestStats, error) {
	start := time.Now()
	var st IngestStats
	idx, err := bleve.New(dir, Mapping())
	if err != nil {
		return st, err
	}
	f, err := os.Open(jsonl)
	if err != nil {
		idx.Close()
		return st, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	b := idx.NewBatch()
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			idx.Close()
			return st, err
		}
		st.Bytes += int64(len(sc.Bytes())) + 1
		var d corpus.Doc
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			idx.Close()
			return st, err
		}
		if err := b.Index(d.ID, fields(&d)); err != nil {
			idx.Close()
			return st, err
		}
		st.Docs++
		if b.Size() >= BatchSize {
			if err := idx.Batch(b); err != nil {
				idx.Close()
				return st, err
			}
			b = idx.NewBatch()
		}
	}
	if err := sc.Err(); err != nil {
		idx.Close()
		return st, err
	}
	if b.Size() > 0 {
		if err := idx.Batch(b); err != nil {
			idx.Close()
			return st, err
		}
	}
	if err := idx.Close(); err != nil {
		return st, err
	}
	st.Took = time.Since(start)
	return st, nil
}

// Query is the plain bleve query for a search box text: a match query (any
// of the words) on title and on text, or a phrase when it is quoted.
func Query(text string) query.Query {
	if t := strings.TrimSpace(text); len(t) > 1 && strings.HasPrefix(t, `"`) && strings.HasSuffix(t, `"`) {
		phrase := strings.Trim(t, `"`)
		title, body := bleve.NewMatchPhraseQuery(phrase), bleve.NewMatchPhraseQuery(phrase)
		title.SetField("title")
		body.SetField("text")
		return bleve.NewDisjunctionQuery(title, body)
	}
	title, body := bleve.NewMatchQuery(text), bleve.NewMatchQuery(text)
	title.SetField("title")
	body.SetField("text")
	return bleve.NewDisjunctionQuery(title, body)
}

// Kind is how much of a result page the baseline computes.
type Kind int

const (
	// Page is what a policysearch result page delivers: ten hits with
	// their stored display fields, highlighted title and text fragments,
	// and the five facets over the whole result set.
	Page Kind = iota
	// Bare is ten ids and scores: bleve doing the least it can.
	Bare
)

func (k Kind) String() string { return [...]string{"page", "bare"}[k] }

// NewRequest builds the bleve request for one benchmark request.
func NewRequest(r corpus.Request, kind Kind) *bleve.SearchRequest {
	var q query.Query = Query(r.Q)
	if r.FromYear > 0 || r.ToYear > 0 {
		var from, to time.Time
		if r.FromYear > 0 {
			from = time.Date(r.FromYear, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if r.ToYear > 0 {
			to = time.Date(r.ToYear, 12, 31, 23, 59, 59, 0, time.UTC)
		}
		incl := true
		dr := bleve.NewDateRangeInclusiveQuery(from, to, &incl, &incl)
		dr.SetField("published")
		b := bleve.NewBooleanQuery()
		b.AddMust(q)
		b.AddFilter(dr)
		q = b
	}
	page := max(r.Page, 1)
	req := bleve.NewSearchRequestOptions(q, 10, (page-1)*10, false)
	if r.Sort == "newest" {
		req.SortBy([]string{"-published", "-_score"})
	}
	if kind == Page {
		req.Fields = []string{"title", "author", "source", "source_type", "country", "tags", "year"}
		req.Highlight = bleve.NewHighlightWithStyle(html.Name)
		req.Highlight.AddField("title")
		req.Highlight.AddField("text")
		for _, f := range Facets {
			req.AddFacet(f, bleve.NewFacetRequest(f, 10))
		}
	}
	return req
}

// Search runs one request and checks that it answered.
func Search(ctx context.Context, idx bleve.Index, r corpus.Request, kind Kind) (*bleve.SearchResult, error) {
	res, err := idx.SearchInContext(ctx, NewRequest(r, kind))
	if err != nil {
		return nil, fmt.Errorf("baseline search %q: %w", r.Q, err)
	}
	return res, nil
}
