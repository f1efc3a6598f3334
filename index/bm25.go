package index

import (
	"context"
	"math"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	"policysearch/index/querylang"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	bindex "github.com/blevesearch/bleve_index_api"
)

// BM25 for the words people type, with the statistics bleve 2.6.3 gets
// wrong (docs/RELEVANCE.md): the average field length is measured on the
// documents themselves (lengths.go), term frequency saturates as in
// Lucene's BM25 (not bleve's √tf), and one word's title and text scores
// add up (a weighted sum over fields, without the coordination factor a
// title|text disjunction would apply). tf-idf's length norm (1/√length)
// let a one-word match in a six-word note outscore a long article about
// the query; BM25 normalises by the length relative to the average, and
// a long article's many matches count.
//
// Settings, each chosen on Cranfield, NFCorpus and perspectrum-dev
// (docs/RELEVANCE.md, issue 13):
//   - idf squared, as tf-idf weighs it (the query's weight times the
//     document's): with idf once BM25 lost 0.028 nDCG@10 on Cranfield;
//   - k1 = 5, a late saturation: 1.2 (Lucene's default) lost 0.015 on
//     Cranfield, 2 lost 0.008, 3 lost 0.006; 5 and 8 were even there and
//     best on NFCorpus;
//   - b = 0.75 (0.4 and 0.9 measured worse);
//   - a title match weighs half a body match (0.2 and 1 were worse on
//     Cranfield; the title is short, so one title match already scores
//     high against the title's own average length);
//   - a field shorter than half the average counts as half the average
//     (bm25MinLength): a late saturation makes BM25 favour short texts,
//     and a one-word match in a six-word note outscored a long article
//     on its subject (the case); the floor ends that below half
//     the average and costs nothing measurable (a floor at the average
//     itself lost 0.016 on Cranfield).
const (
	bm25MinLength = 0.5
	bm25K1        = 5
	bm25B         = 0.75
	bm25Title     = 0.5
	bm25IDFPower  = 2
)

// bm25Word scores one analysed term over weighted fields, or the few
// terms a prefix expands to (their scores add up, as in Lucene's scoring
// rewrite of a multi-term query).
type bm25Word struct {
	terms   []string
	fields  []string
	weights []float64 // per field, before boost
	boost   float64
	avg     map[string]float64 // average length per field
	// silent scores 0 and weighs nothing in bleve's query norm: it only
	// restricts the documents a search visits (prune.go).
	silent bool
}

func (q *bm25Word) SetBoost(b float64) { q.boost = b }
func (q *bm25Word) Boost() float64     { return q.boost }

// Searcher implements query.Query.
func (q *bm25Word) Searcher(ctx context.Context, r bindex.IndexReader, _ mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	s := &bm25Searcher{q: q, docs: float64(n)}
	for _, term := range q.terms {
		for i, f := range q.fields {
			tr, err := r.TermFieldReader(ctx, []byte(term), f, true, true, opts.IncludeTermVectors)
			if err != nil {
				s.Close()
				return nil, err
			}
			df := float64(tr.Count())
			idf := bm25IDF(s.docs, df)
			s.fields = append(s.fields, &bm25Field{term: term, reader: tr, weight: q.weights[i] * q.boost * idf, avg: q.avg[f]})
			s.count += tr.Count()
		}
	}
	return s, nil
}

// bm25Field reads one term's postings in one field.
type bm25Field struct {
	term   string
	reader bindex.TermFieldReader
	weight float64 // field weight · boost · idf
	avg    float64
	tfd    bindex.TermFieldDoc
	cur    *bindex.TermFieldDoc // nil: not read yet or done
	done   bool
}

// score is Lucene's BM25 term score (without the constant k1+1).
func (f *bm25Field) score(d *bindex.TermFieldDoc) float64 {
	tf := float64(d.Freq)
	return f.weight * tf / (tf + bm25K1*bm25LengthNorm(d.Norm, f.avg))
}

// bm25LengthNorm is BM25's length normalisation of a field whose stored
// norm is storedNorm (bleve stores 1/√length), against the field's
// average length. The score bounds of candidates.go use it too, so that
// they are these scores' own.
func bm25LengthNorm(storedNorm, avg float64) float64 {
	if storedNorm <= 0 || avg <= 0 {
		return 1
	}
	length := max(1/(storedNorm*storedNorm), bm25MinLength*avg)
	return 1 - bm25B + bm25B*length/avg
}

// bm25IDF is the term weight of a term in df of docs documents: BM25's
// idf, raised to bm25IDFPower.
func bm25IDF(docs, df float64) float64 {
	return math.Pow(math.Log(1+(docs-df+0.5)/(df+0.5)), bm25IDFPower)
}

// tfidfIDF is bleve's tf-idf idf, which scores the exact phrases of a
// phrase bonus.
func tfidfIDF(docs, df float64) float64 { return 1 + math.Log(docs/(df+1)) }

// bm25Searcher walks the fields' postings in document order, a small
// disjunction that sums the fields' scores for each document.
type bm25Searcher struct {
	q       *bm25Word
	fields  []*bm25Field
	docs    float64
	count   uint64
	started bool
}

func (s *bm25Searcher) start() error {
	if s.started {
		return nil
	}
	s.started = true
	for _, f := range s.fields {
		if err := f.next(); err != nil {
			return err
		}
	}
	return nil
}

func (f *bm25Field) next() error {
	d, err := f.reader.Next(f.tfd.Reset())
	f.cur, f.done = d, d == nil
	return err
}

func (f *bm25Field) advance(id bindex.IndexInternalID) error {
	if f.done || (f.cur != nil && f.cur.ID.Compare(id) >= 0) {
		return nil
	}
	d, err := f.reader.Advance(id, f.tfd.Reset())
	f.cur, f.done = d, d == nil
	return err
}

func (s *bm25Searcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	if err := s.start(); err != nil {
		return nil, err
	}
	return s.emit(ctx)
}

func (s *bm25Searcher) Advance(ctx *search.SearchContext, id bindex.IndexInternalID) (*search.DocumentMatch, error) {
	s.started = true
	for _, f := range s.fields {
		if err := f.advance(id); err != nil {
			return nil, err
		}
	}
	return s.emit(ctx)
}

// emit returns the lowest current document, scored over every field
// positioned on it, and moves those fields on.
func (s *bm25Searcher) emit(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	var low bindex.IndexInternalID
	for _, f := range s.fields {
		if f.cur != nil && (low == nil || f.cur.ID.Compare(low) < 0) {
			low = f.cur.ID
		}
	}
	if low == nil {
		return nil, nil
	}
	rv := ctx.DocumentMatchPool.Get()
	rv.IndexInternalID = bindex.NewIndexInternalIDFrom(rv.IndexInternalID, low)
	rv.Score = 0
	for _, f := range s.fields {
		if f.cur == nil || !f.cur.ID.Equals(rv.IndexInternalID) {
			continue
		}
		rv.Score += f.score(f.cur)
		for _, v := range f.cur.Vectors {
			rv.FieldTermLocations = append(rv.FieldTermLocations, search.FieldTermLocation{
				Field: v.Field, Term: f.term,
				Location: search.Location{Pos: v.Pos, Start: v.Start, End: v.End, ArrayPositions: append(search.ArrayPositions(nil), v.ArrayPositions...)},
			})
		}
		if err := f.next(); err != nil {
			return nil, err
		}
	}
	return rv, nil
}

// Weight is 1 and SetQueryNorm does nothing: BM25 scores are absolute
// and ignore bleve's query normalisation, which exists for tf-idf's query
// weights; a weight of 0 would make a norm of 1/√0 for tf-idf leaves
// beside it (a phrase bonus, a prefix). A silent searcher weighs 0 so
// that adding it to a query leaves the norm, and so the scores, as they
// were; it is only ever beside a query that weighs more.
func (s *bm25Searcher) Weight() float64 {
	if s.q.silent {
		return 0
	}
	return 1
}
func (s *bm25Searcher) SetQueryNorm(float64) {}
func (s *bm25Searcher) Count() uint64        { return s.count }
func (s *bm25Searcher) Min() int             { return 0 }
func (s *bm25Searcher) Size() int            { return 64 + 96*len(s.fields) }

func (s *bm25Searcher) DocumentMatchPoolSize() int { return 1 }

func (s *bm25Searcher) Close() error {
	var first error
	for _, f := range s.fields {
		if err := f.reader.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// bm25 compiles a plain word against the title and text (or the one of
// them it names): one BM25 query per token the analyzer makes of it.
func (c compiler) bm25(t *querylang.Term) query.Query {
	fields, weights := []string{"title", "text"}, []float64{bm25Title, 1}
	if t.Field != "" {
		fields, weights = []string{t.Field}, []float64{1}
	}
	avg := c.ix.averages(context.Background())
	var qs []query.Query
	for _, tok := range c.ix.mapping.AnalyzerNamed(proseAnalyzer).Analyze([]byte(t.Value)) {
		qs = append(qs, &bm25Word{terms: []string{string(tok.Term)}, fields: fields, weights: weights, boost: 1, avg: avg})
	}
	switch len(qs) {
	case 0:
		return matchNone()
	case 1:
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// scoredPhrase is the exact phrase in field; in the title or text it
// also scores its words by BM25, so that a phrase weighs like the words
// beside it in a query (a bare phrase query scores by bleve's tf-idf,
// an order of magnitude lower).
func (c compiler) scoredPhrase(field, analyzer, text string) query.Query {
	exact := bleve.NewMatchPhraseQuery(text)
	exact.SetField(field)
	exact.Analyzer = analyzer
	if field != "title" && field != "text" {
		return exact
	}
	words := c.bm25(&querylang.Term{Field: field, Value: text, Kind: querylang.Word})
	if _, none := words.(*query.MatchNoneQuery); none {
		return exact
	}
	return bleve.NewConjunctionQuery(exact, words)
}

// bm25Terms scores terms (a prefix's expansions) in one field.
func (c compiler) bm25Terms(field string, terms []string) query.Query {
	return &bm25Word{terms: terms, fields: []string{field}, weights: []float64{1}, boost: 1, avg: c.ix.averages(context.Background())}
}

// bm25PrefixTerms is the most expansions a prefix scores by BM25; a
// wider prefix is a disjunction of term queries, which bleve merges with
// a heap (bm25Searcher visits every expansion for every document).
const bm25PrefixTerms = 64
