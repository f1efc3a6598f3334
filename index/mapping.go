package index

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"

	"policysearch/index/langdetect"
)

// Analyzer names registered in the mapping. Prose fields get English
// stemming and stop words; names are matched word by word but unstemmed,
// so author:bush finds "George W. Bush" and not "bushes".
const (
	proseAnalyzer = "policy_en"
	nameAnalyzer  = "policy_names"
	lowerKeyword  = "policy_keyword_lower"
)

// facetFields are keyword fields: exact values for facets and display.
// Each also gets a lowercased twin (suffix _l) for case-insensitive
// filters and, where people type names, a tokenized twin (suffix _t).
var facetFields = []string{"source", "source_type", "author", "country", "language", "tags"}

var tokenizedFields = map[string]bool{"source": true, "author": true, "country": true, "tags": true}

// newMapping builds the one index mapping used by the service, rebuilds and
// the evaluation tool alike, so that measured quality is served quality.
func newMapping() (*mapping.IndexMappingImpl, error) {
	m := mapping.NewIndexMapping()
	if err := m.AddCustomAnalyzer(proseAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name, en.StopName, porter.Name},
	}); err != nil {
		return nil, err
	}
	if err := m.AddCustomAnalyzer(nameAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	if err := m.AddCustomAnalyzer(lowerKeyword, map[string]any{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	if err := addWordFields(m); err != nil {
		return nil, err
	}
	m.DefaultAnalyzer = proseAnalyzer
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false

	doc := mapping.NewDocumentStaticMapping()
	prose := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = proseAnalyzer
		f.Store = true
		f.IncludeTermVectors = true
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	doc.AddFieldMappingsAt("title", append([]*mapping.FieldMapping{prose()}, wordFieldMappings()...)...)
	doc.AddFieldMappingsAt("text", append([]*mapping.FieldMapping{prose()}, wordFieldMappings()...)...)

	for _, name := range facetFields {
		exact := mapping.NewKeywordFieldMapping()
		exact.Analyzer = keyword.Name
		exact.Store = true
		exact.IncludeInAll = false
		lower := mapping.NewKeywordFieldMapping()
		lower.Name = name + "_l"
		lower.Analyzer = lowerKeyword
		lower.Store, lower.DocValues, lower.IncludeTermVectors, lower.IncludeInAll = false, false, false, false
		fields := []*mapping.FieldMapping{exact, lower}
		if tokenizedFields[name] {
			tok := mapping.NewTextFieldMapping()
			tok.Name = name + "_t"
			tok.Analyzer = nameAnalyzer
			tok.Store, tok.DocValues, tok.IncludeInAll = false, false, false
			fields = append(fields, tok)
		}
		doc.AddFieldMappingsAt(name, fields...)
	}

	year := mapping.NewKeywordFieldMapping()
	year.IncludeInAll = false
	doc.AddFieldMappingsAt("year", year)

	when := mapping.NewDateTimeFieldMapping()
	when.IncludeInAll = false
	doc.AddFieldMappingsAt("published_at", when)

	// sample marks one document in sampleEvery, for estimated facets.
	mark := mapping.NewKeywordFieldMapping()
	mark.Store, mark.DocValues, mark.IncludeTermVectors, mark.IncludeInAll = false, false, false, false
	doc.AddFieldMappingsAt(sampleField, mark)
	// The sample's own copies of the facet fields: doc values are read a
	// chunk at a time, and one document in sampleEvery still touches every
	// chunk of a field all documents have, so counting the sample from the
	// full fields cost a third of counting everything. Fields only sampled
	// documents have hold a sixteenth of the data.
	for _, name := range FacetNames {
		f := mapping.NewKeywordFieldMapping()
		f.Store, f.IncludeTermVectors, f.IncludeInAll = false, false, false
		doc.AddFieldMappingsAt(sampledFacet(name), f)
	}

	// pages is stored only: a paged source's page spans (see pages.go).
	for _, name := range []string{"url", "published", "pages", lengthsField} {
		f := mapping.NewKeywordFieldMapping()
		f.Index, f.DocValues, f.IncludeInAll = false, false, false
		f.Store = true
		doc.AddFieldMappingsAt(name, f)
	}
	// No field is searched through bleve's composite _all field, and an
	// empty one still costs a visit of every field of every document.
	doc.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	m.DefaultMapping = doc
	return m, m.Validate()
}

// indexFormat is part of the mapping version: bump it when bleveDoc
// indexes the same stored document differently, so that indexes built the
// old way are rebuilt. 2: a document stored without a language is indexed
// under its detected one.
const indexFormat = "2"

// mappingVersion fingerprints the mapping; an index built with another
// mapping is rebuilt from the document store at start-up.
func mappingVersion(m *mapping.IndexMappingImpl) string {
	b, _ := json.Marshal(m)
	sum := sha256.Sum256(append(b, "\x00format "+indexFormat...))
	return hex.EncodeToString(sum[:8])
}

// bleveDoc is what bleve indexes for a Document: only search fields; the
// document itself lives in the store. allLengths records its field
// lengths even outside the sample (lengths.go).
func bleveDoc(d *Document, allLengths bool) map[string]any {
	m := map[string]any{
		"title": d.Title,
		"text":  d.Text,
	}
	if allLengths || inSample(d.ID) {
		m[lengthsField] = encodeLengths(d) // for BM25's average lengths (lengths.go)
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("url", d.URL)
	set("source", d.Source)
	set("source_type", d.SourceType)
	set("country", d.Country)
	lang := d.Language
	if lang == "" { // stored before detection existed, or detection had no answer
		lang = langdetect.Detect(d.Title, d.Text)
	}
	set("language", lang)
	if len(d.Authors) > 0 {
		m["author"] = d.Authors
	}
	if len(d.Tags) > 0 {
		m["tags"] = d.Tags
	}
	if ps := d.Pages(); len(ps) > 0 {
		m["pages"] = encodePages(ps) // lets a hit say which page a snippet is on
	}
	if !d.Published.IsZero() {
		m["published"] = d.Published.String()
		m["published_at"] = d.Published.Time.Format(time.RFC3339)
		m["year"] = strconv.Itoa(d.Published.Time.Year())
	}
	if inSample(d.ID) {
		m[sampleField] = "1"
		for _, name := range FacetNames {
			if v, ok := m[name]; ok {
				m[sampledFacet(name)] = v
			}
		}
	}
	return m
}
