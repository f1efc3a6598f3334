package index

import (
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search/query"
	"policysearch/index/querylang"
)

// Two fields beside the stemmed title and text serve what stems cannot
// (issue 13). "words" holds the title's and text's words as written,
// lowercased but neither stemmed nor stop-listed: the vocabulary a typo
// is corrected from ("inflaton" → "inflation"; the stemmed field holds
// "inflat"), and what a fuzzy term also matches, so `inflaton~1` finds
// "inflation". "acronyms" holds the words written in capitals (WHO, IT,
// US, NATO), case kept, so that `WHO` is searched although "who" is a
// stop word. Adding them changed the mapping's fingerprint: an index
// built before is rebuilt from the store at start-up (index.go).
const (
	wordsField     = "words"
	acronymsField  = "acronyms"
	wordsAnalyzer  = "policy_words"
	acronymAnalyzr = "policy_acronyms"
	acronymFilter  = "policy_acronym_only"
)

// addWordFields registers the analyzers and returns the two extra field
// mappings for a prose field.
func addWordFields(m *mapping.IndexMappingImpl) error {
	if err := m.AddCustomAnalyzer(wordsAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name},
	}); err != nil {
		return err
	}
	return m.AddCustomAnalyzer(acronymAnalyzr, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{acronymFilter},
	})
}

func wordFieldMappings() []*mapping.FieldMapping {
	words := mapping.NewTextFieldMapping()
	words.Name = wordsField
	words.Analyzer = wordsAnalyzer
	words.Store, words.DocValues, words.IncludeTermVectors, words.IncludeInAll = false, false, false, false
	acr := mapping.NewTextFieldMapping()
	acr.Name = acronymsField
	acr.Analyzer = acronymAnalyzr
	acr.Store, acr.DocValues, acr.IncludeTermVectors, acr.IncludeInAll = false, false, false, false
	// Frequencies and norms are kept although the fields mostly say which
	// documents hold a word: without them bleve scores a fuzzy or acronym
	// match NaN (frequency 0 times an infinite norm), which no JSON encoder
	// takes, so such searches answered 200 with an empty body.
	return []*mapping.FieldMapping{words, acr}
}

// isAcronym reports whether s is written like one: 2 to 6 capital ASCII
// letters.
func isAcronym(s string) bool {
	if len(s) < 2 || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// acronymOnly keeps the tokens written as acronyms.
type acronymOnly struct{}

func (acronymOnly) Filter(in analysis.TokenStream) analysis.TokenStream {
	out := in[:0]
	for _, t := range in {
		if isAcronym(string(t.Term)) {
			out = append(out, t)
		}
	}
	return out
}

func init() {
	registry.RegisterTokenFilter(acronymFilter, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return acronymOnly{}, nil
	})
}

// acronym compiles a word written in capitals that the prose analyzer
// would drop as a stop word (WHO, IT, US) to a search of the acronyms
// field; it returns nil for every other term.
func (c compiler) acronym(t *querylang.Term) query.Query {
	if t.Kind != querylang.Word || !isAcronym(t.Value) || c.ix.contentTokens(t.Value) > 0 {
		return nil
	}
	q := bleve.NewTermQuery(t.Value)
	q.SetField(acronymsField)
	return q
}

// fuzzyWords matches a fuzzy term against the words as written, so that
// `inflaton~1` finds "inflation" (the stemmed fields hold "inflat").
func (c compiler) fuzzyWords(t *querylang.Term) query.Query {
	q := bleve.NewFuzzyQuery(strings.ToLower(t.Value))
	q.SetField(wordsField)
	q.SetFuzziness(max(1, t.Fuzziness))
	return q
}

// contentTokens counts the tokens the prose analyzer keeps of s.
func (ix *Index) contentTokens(s string) int {
	a := ix.mapping.AnalyzerNamed(proseAnalyzer)
	if a == nil {
		return 1
	}
	return len(a.Analyze([]byte(s)))
}
