package index

import (
	"context"
	"errors"
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Related is a document found near another one.
type Related struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Source     string   `json:"source,omitempty"`
	Published  string   `json:"published,omitempty"`
	Score      float64  `json:"score"`
	Similarity *float64 `json:"similarity,omitempty"`
}

// RelatedResults lists documents related to one document and says how
// they were found: by passage vectors, or by shared keywords when the
// document has no vectors (yet).
type RelatedResults struct {
	ID     string    `json:"id"`
	Method string    `json:"method"` // semantic or keyword
	Hits   []Related `json:"hits"`
}

// moreLikeThisTerms is how many of a document's words its keyword
// fallback query uses: enough to capture the topic, few enough to be fast.
const moreLikeThisTerms = 30

// Similar finds up to n documents related to id.
func (ix *Index) Similar(ctx context.Context, id string, n int) (*RelatedResults, error) {
	doc, err := ix.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if ix.semantic != nil {
		ms, err := ix.semantic.Similar(ctx, id, n)
		if err == nil {
			out := &RelatedResults{ID: id, Method: ModeSemantic, Hits: []Related{}}
			ids := make([]string, len(ms))
			for i, m := range ms {
				ids[i] = m.ID
			}
			shown, err := ix.describe(ctx, ids)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				if r, ok := shown[m.ID]; ok {
					sim := m.Similarity
					r.Score, r.Similarity = sim, &sim
					out.Hits = append(out.Hits, r)
				}
			}
			return out, nil
		}
		if !errors.Is(err, ErrNoVectors) {
			ix.log.Warn("semantic related documents failed; using keywords", "id", id, "err", err)
		}
	}
	return ix.moreLikeThis(ctx, doc, n)
}

// moreLikeThis queries with the document's most frequent content words;
// bleve's idf then favours the rare ones.
func (ix *Index) moreLikeThis(ctx context.Context, d *Document, n int) (*RelatedResults, error) {
	a := ix.mapping.AnalyzerNamed(proseAnalyzer)
	tf := map[string]int{}
	for _, t := range a.Analyze([]byte(d.Title + "\n" + d.Title + "\n" + d.Text)) {
		if len(t.Term) > 2 {
			tf[string(t.Term)]++
		}
	}
	terms := make([]string, 0, len(tf))
	for t := range tf {
		terms = append(terms, t)
	}
	sort.Slice(terms, func(i, j int) bool {
		if tf[terms[i]] != tf[terms[j]] {
			return tf[terms[i]] > tf[terms[j]]
		}
		return terms[i] < terms[j]
	})
	terms = terms[:min(len(terms), moreLikeThisTerms)]
	out := &RelatedResults{ID: d.ID, Method: ModeKeyword, Hits: []Related{}}
	if len(terms) == 0 {
		return out, nil
	}
	var should []query.Query
	for _, t := range terms {
		for _, f := range []string{"title", "text"} {
			tq := bleve.NewTermQuery(t)
			tq.SetField(f)
			should = append(should, tq)
		}
	}
	b := bleve.NewBooleanQuery()
	b.AddShould(should...)
	b.AddMustNot(bleve.NewDocIDQuery([]string{d.ID}))
	req := bleve.NewSearchRequestOptions(b, n, 0, false)
	req.Fields = []string{"title", "source", "published"}
	res, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		r := relatedFrom(h.ID, h.Fields)
		r.Score = h.Score
		out.Hits = append(out.Hits, r)
	}
	return out, nil
}

// describe loads the display fields of ids.
func (ix *Index) describe(ctx context.Context, ids []string) (map[string]Related, error) {
	out := map[string]Related{}
	if len(ids) == 0 {
		return out, nil
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{"title", "source", "published"}
	res, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		out[h.ID] = relatedFrom(h.ID, h.Fields)
	}
	return out, nil
}

func relatedFrom(id string, f map[string]any) Related {
	str := func(k string) string { s, _ := f[k].(string); return s }
	return Related{ID: id, Title: str("title"), Source: str("source"), Published: str("published")}
}
