package index

import (
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"policysearch/index/querylang"
)

// QueryFields are the names users may put before a colon in a query.
var QueryFields = []string{"title", "text", "source", "author", "tag", "country", "language", "source_type", "year"}

// titleBoost weighs a fuzzy term's title match, the one match still
// scored by bleve's tf-idf (words, phrases and prefixes score by BM25 and
// weigh the title by bm25Title). It is small because tf-idf favours the
// title twice over already: the title|text disjunction's coordination
// factor halves a word found in only one of them, and tf-idf's length
// norm (1/√length) makes one match in an eight-word title score like a
// hundred in a thousand-word body. 0.15 measured best on Cranfield
// (docs/RELEVANCE.md).
const titleBoost = 0.15

// Neighbouring words typed as plain words also count as a phrase, with
// these weights on the phrase's BM25 score (its words' scores where they
// stand together), so that `export controls` ranks the phrase "export
// controls" above a text that says "export" and, far away, "controls",
// and ranks a title that says it above one that does not: a long brief
// titled "Sovereign AI Without Autarky" would otherwise fall behind short
// notes that mention both words once. The phrases only add to the words'
// own scores; they match nothing the words did not. At most
// maxProximityPairs pairs, so a pasted paragraph does not run hundreds of
// phrase searches. 0.2 and 0.5 were chosen on the three development sets
// (docs/RELEVANCE.md, issue 13).
const (
	proximityBoost      = 0.2
	titleProximityBoost = 0.5
	maxProximityPairs   = 16
)

// compiler turns the query language AST into a bleve query. Terms are run
// through the field's own analyzer, so prefix and fuzzy terms compare
// against the stemmed forms that are actually in the index.
type compiler struct {
	ix *Index
	// plain leaves out the proximity bonus: it only reorders, and its
	// phrases find no word the plain words do not, so a query that reads
	// match locations for highlighting does not need it.
	plain bool
	// long, when set, is the cap of a long query (longquery.go): its
	// phrase pairs come from the query as typed, among kept words.
	long *longQuery
}

func (c compiler) compile(e querylang.Expr) (query.Query, error) {
	switch e := e.(type) {
	case nil:
		return bleve.NewMatchAllQuery(), nil
	case *querylang.Term:
		return c.term(e)
	case *querylang.Seq:
		b := bleve.NewBooleanQuery()
		for _, cl := range e.Clauses {
			q, err := c.compile(cl.Expr)
			if err != nil {
				return nil, err
			}
			switch cl.Occur {
			case querylang.Must:
				b.AddMust(q)
			case querylang.MustNot:
				b.AddMustNot(q)
			default:
				b.AddShould(q)
			}
		}
		if b.Must == nil && b.Should == nil {
			b.AddMust(bleve.NewMatchAllQuery()) // "-x" alone means everything but x
		}
		holdShould(b) // held.go
		var q query.Query = b
		for _, bonus := range c.proximityUnlessPlain(e) {
			// Nested, not side by side: must plus should scores add up,
			// while two shoulds would share a coordination factor.
			outer := bleve.NewBooleanQuery()
			outer.AddMust(q)
			outer.AddShould(bonus)
			holdShould(outer)
			q = outer
		}
		return q, nil
	case *querylang.And:
		b := bleve.NewBooleanQuery()
		for _, sub := range e.Exprs {
			if n, ok := sub.(*querylang.Not); ok {
				q, err := c.compile(n.Expr)
				if err != nil {
					return nil, err
				}
				b.AddMustNot(q)
				continue
			}
			q, err := c.compile(sub)
			if err != nil {
				return nil, err
			}
			b.AddMust(q)
		}
		if b.Must == nil {
			b.AddMust(bleve.NewMatchAllQuery())
		}
		return b, nil
	case *querylang.Or:
		qs := make([]query.Query, 0, len(e.Exprs))
		for _, sub := range e.Exprs {
			q, err := c.compile(sub)
			if err != nil {
				return nil, err
			}
			qs = append(qs, q)
		}
		return bleve.NewDisjunctionQuery(qs...), nil
	case *querylang.Not:
		q, err := c.compile(e.Expr)
		if err != nil {
			return nil, err
		}
		b := bleve.NewBooleanQuery()
		b.AddMust(bleve.NewMatchAllQuery())
		b.AddMustNot(q)
		return b, nil
	}
	return nil, fmt.Errorf("unknown query node %T", e)
}

// term compiles one leaf against the fields it names: the title and text
// by default, or the indexed twin of a metadata field.
func (c compiler) term(t *querylang.Term) (query.Query, error) {
	var q query.Query
	switch t.Field {
	case "", "title", "text":
		if q = c.acronym(t); q != nil {
			break
		}
		if t.Kind == querylang.Word {
			q = c.bm25(t) // bm25.go
			break
		}
		fields := []string{"title", "text"}
		if t.Field != "" {
			fields = []string{t.Field}
		}
		var qs []query.Query
		for _, f := range fields {
			fq := c.prose(t, f)
			if fq == nil {
				continue
			}
			if f == "title" && t.Field == "" {
				w := bm25Title
				if t.Kind == querylang.Fuzzy {
					w = titleBoost
				}
				boost(fq, w)
			}
			qs = append(qs, fq)
		}
		if t.Kind == querylang.Fuzzy && t.Field == "" {
			qs = append(qs, c.fuzzyWords(t))
		}
		switch len(qs) {
		case 0:
			q = matchNone()
		case 1:
			q = qs[0]
		default:
			q = bleve.NewDisjunctionQuery(qs...)
		}
	case "source", "author", "country", "tag":
		f := t.Field
		if f == "tag" {
			f = "tags"
		}
		q = c.prose(t, f+"_t")
		if q == nil {
			q = matchNone()
		}
	default: // exact-value fields: language, source_type, year
		f := t.Field
		if f != "year" {
			f += "_l"
		}
		v := strings.ToLower(t.Value)
		if t.Kind == querylang.Prefix {
			q = bleve.NewPrefixQuery(v)
			q.(*query.PrefixQuery).SetField(f)
		} else {
			tq := bleve.NewTermQuery(v)
			tq.SetField(f)
			q = tq
		}
	}
	if t.Boost > 0 {
		boost(q, t.Boost)
	}
	return q, nil
}

// prose compiles a term against one analysed field, or nil when analysis
// leaves nothing to search (a stop word alone, punctuation). The analyzer
// is named explicitly: bleve cannot find it by path for the renamed twins.
func (c compiler) prose(t *querylang.Term, field string) query.Query {
	analyzer := proseAnalyzer
	if strings.HasSuffix(field, "_t") {
		analyzer = nameAnalyzer
	}
	switch t.Kind {
	case querylang.Phrase:
		exact := c.scoredPhrase(field, analyzer, t.Value)
		if t.Slop == 0 {
			return exact
		}
		// The words within Slop positions (sloppy.go); the exact phrase
		// ranks first.
		near := c.newSloppyPhrase(analyzer, field, t.Value, t.Slop)
		if near == nil {
			return exact
		}
		b := bleve.NewBooleanQuery()
		b.AddMust(near)
		b.AddShould(exact)
		holdShould(b)
		return b
	case querylang.Prefix:
		return c.prefix(field, analyzer, t.Value)
	case querylang.Fuzzy:
		q := bleve.NewFuzzyQuery(c.analyzeFirst(analyzer, t.Value))
		q.SetField(field)
		q.SetFuzziness(max(1, t.Fuzziness))
		return q
	}
	q := bleve.NewMatchQuery(t.Value)
	q.SetField(field)
	q.Analyzer = analyzer
	return q
}

// proximity returns the phrases of neighbouring plain words of s, one
// disjunction for the text and one for the title, or nil when there are
// none. Only optional words without field, boost or
// syntax pair up: quotes, operators and fields already say what the user
// means. Stop words between two words stay in the phrase, where they are
// gaps ("heat transfer in the wake" pairs "transfer in the wake"), and
// break nothing.
func (c compiler) proximityUnlessPlain(s *querylang.Seq) []query.Query {
	if c.plain {
		return nil
	}
	return c.proximity(s)
}

func (c compiler) proximity(s *querylang.Seq) []query.Query {
	a := c.ix.mapping.AnalyzerNamed(proseAnalyzer)
	var text, title []query.Query
	var run []string // from the last content word up to here
	if c.long != nil {
		s = c.long.original
	}
	for _, cl := range s.Clauses {
		t, ok := cl.Expr.(*querylang.Term)
		if !ok || cl.Occur != querylang.Should || t.Field != "" || t.Kind != querylang.Word || t.Boost != 0 {
			run = nil
			continue
		}
		toks := a.Analyze([]byte(t.Value))
		if len(toks) == 0 { // a stop word or punctuation
			if run != nil {
				run = append(run, t.Value)
			}
			continue
		}
		if !c.long.keeps(toks) {
			run = nil
			continue
		}
		if run != nil && len(text) < maxProximityPairs {
			pair := strings.Join(append(run, t.Value), " ")
			text = append(text, c.phrase(pair, "text", proximityBoost))
			title = append(title, c.phrase(pair, "title", titleProximityBoost))
		}
		run = []string{t.Value}
	}
	if len(text) == 0 {
		return nil
	}
	return []query.Query{bleve.NewDisjunctionQuery(text...), bleve.NewDisjunctionQuery(title...)}
}

func (c compiler) phrase(s, field string, w float64) query.Query {
	p := c.scoredPhrase(field, proseAnalyzer, s)
	boost(p, w)
	return p
}

// maxPrefixTerms bounds how many indexed terms one prefix expands to.
const maxPrefixTerms = 2048

// prefix matches words that start with p in a stemmed field. The index
// holds stems ("regulation" is stored as "regul"), so a plain prefix query
// for "regulat" would miss it; we also accept stems that p itself starts
// with, if the stemmer could have cut them from a word starting with p.
func (c compiler) prefix(field, analyzer, p string) query.Query {
	p = strings.ToLower(p)
	if analyzer != proseAnalyzer || len(p) < 4 {
		q := bleve.NewPrefixQuery(p)
		q.SetField(field)
		return q
	}
	stem := c.analyzeFirst(analyzer, p)
	root := stem
	if len(p)-3 < len(root) {
		root = p[:max(len(p)-3, 3)]
	}
	dict, err := c.ix.alias.FieldDictPrefix(field, []byte(root))
	if err != nil {
		q := bleve.NewPrefixQuery(stem)
		q.SetField(field)
		return q
	}
	defer dict.Close()
	var terms []string
	for e, err := dict.Next(); err == nil && e != nil && len(terms) < maxPrefixTerms; e, err = dict.Next() {
		term := e.Term
		if strings.HasPrefix(term, p) || strings.HasPrefix(term, stem) || (strings.HasPrefix(p, term) && len(term) >= len(p)-3) {
			terms = append(terms, term)
		}
	}
	switch {
	case len(terms) == 0:
		return nil
	case len(terms) <= bm25PrefixTerms && (field == "title" || field == "text"):
		return c.bm25Terms(field, terms) // on the scale of the words beside it
	}
	qs := make([]query.Query, len(terms))
	for i, term := range terms {
		tq := bleve.NewTermQuery(term)
		tq.SetField(field)
		qs[i] = tq
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// analyzeFirst returns the first token the analyzer makes of s.
func (c compiler) analyzeFirst(analyzer, s string) string {
	a := c.ix.mapping.AnalyzerNamed(analyzer)
	if a == nil {
		return strings.ToLower(s)
	}
	toks := a.Analyze([]byte(s))
	if len(toks) == 0 { // a stop word ("the*") still prefixes real words
		return strings.ToLower(s)
	}
	return string(toks[0].Term)
}

func matchNone() query.Query { return bleve.NewMatchNoneQuery() }

// boost multiplies the weight of every scoring leaf under q. bleve
// ignores the boost of a disjunction, conjunction or boolean query itself,
// so "subsidies^2", which is a title|text disjunction, must be pushed down
// to its match queries. Exclusions are left alone: they do not score.
func boost(q query.Query, f float64) {
	switch q := q.(type) {
	case nil:
	case *query.DisjunctionQuery:
		for _, d := range q.Disjuncts {
			boost(d, f)
		}
	case *query.ConjunctionQuery:
		for _, d := range q.Conjuncts {
			boost(d, f)
		}
	case *query.BooleanQuery:
		boost(q.Must, f)
		boost(q.Should, f)
	default:
		setBoost(q, f*boostOf(q))
	}
}

func setBoost(q query.Query, b float64) {
	if bq, ok := q.(query.BoostableQuery); ok {
		bq.SetBoost(b)
	}
}

func boostOf(q query.Query) float64 {
	if bq, ok := q.(query.BoostableQuery); ok && bq.Boost() > 0 {
		return bq.Boost()
	}
	return 1
}
