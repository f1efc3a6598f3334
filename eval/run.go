package eval

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"policysearch/index"
)

// DefaultDepth is how many results are read per query: trec_eval's
// customary run depth, enough for MAP and recall@100.
const DefaultDepth = 1000

// Settings are the search options of one run; zero values are the
// service's defaults.
type Settings struct {
	Mode          string   // keyword, hybrid, semantic; "" as the API
	SemanticRatio *float64 // nil: the service default
	Fusion        string   // rrf or score; "" as the API
	Depth         int      // results read per query; 0 = DefaultDepth
}

// Report is a run's figures: the means over scored queries and each
// query's own.
type Report struct {
	Scores
	// Queries is how many queries were scored; queries without any
	// relevant document are skipped (Unjudged), as trec_eval does.
	Queries  int `json:"queries"`
	Unjudged int `json:"unjudged,omitempty"`
	// PlainWords counts queries that did not parse in the query language
	// and were searched as plain words, as the API would.
	PlainWords int `json:"plain_words"`
	// KeywordOnly counts hybrid or semantic queries that the service had
	// to answer from keywords (no query vector came).
	KeywordOnly int `json:"keyword_only"`
	// Baseline pairs this run with a baseline run (eval --baseline).
	Baseline *Comparison   `json:"baseline,omitempty"`
	Mode     string        `json:"mode"`
	PerQuery []QueryResult `json:"per_query"`
}

// QueryResult is one query's figures and ranking.
type QueryResult struct {
	ID string `json:"id"`
	Scores
	Relevant  int    `json:"relevant"`
	Retrieved int    `json:"retrieved"`
	Notice    string `json:"notice,omitempty"`
	Ranking   []Hit  `json:"-"`
}

// Hit is one ranked document.
type Hit struct {
	ID    string
	Score float64
}

// Run searches every query of the collection as a user would type it,
// through index.Search with the API's limits, and scores the rankings.
func (b *Bench) Run(ctx context.Context, s Settings) (*Report, error) {
	depth := s.Depth
	if depth <= 0 {
		depth = DefaultDepth
	}
	depth = min(depth, index.MaxWindow)
	rep := &Report{PerQuery: []QueryResult{}}
	var all []Scores
	for _, q := range b.coll.Queries {
		judged := b.coll.Qrels[q.ID]
		if relevant(judged) == 0 {
			rep.Unjudged++
			continue
		}
		qr, mode, keywordOnly, err := b.search(ctx, q, s, depth)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", q.ID, err)
		}
		ids := make([]string, len(qr.Ranking))
		for i, h := range qr.Ranking {
			ids[i] = h.ID
		}
		qr.Scores = Score(ids, judged)
		qr.Relevant = relevant(judged)
		all = append(all, qr.Scores)
		rep.PerQuery = append(rep.PerQuery, qr)
		rep.Mode = mode
		if strings.HasPrefix(qr.Notice, index.PlainWordsNotice) { // not a long query's cap
			rep.PlainWords++
		}
		if keywordOnly {
			rep.KeywordOnly++
		}
	}
	rep.Scores = mean(all)
	rep.Queries = len(all)
	return rep, nil
}

// search reads one query's ranking a page of index.MaxSize at a time, as
// a client of the API would page through it.
func (b *Bench) search(ctx context.Context, q Query, s Settings, depth int) (QueryResult, string, bool, error) {
	qr := QueryResult{ID: q.ID, Ranking: []Hit{}}
	seen := map[string]bool{}
	mode, keywordOnly := "", false
	for page := 1; len(qr.Ranking) < depth; page++ {
		res, err := b.ix.Search(ctx, index.Query{Text: q.Text, Page: page, Size: index.MaxSize,
			Mode: s.Mode, SemanticRatio: s.SemanticRatio, Fusion: s.Fusion, RankingOnly: true})
		if err != nil {
			return qr, "", false, err
		}
		if page == 1 {
			qr.Notice, mode = res.Notice, res.Mode
			keywordOnly = res.Semantic.Status == "unavailable"
		}
		for _, h := range res.Hits {
			id := b.collID(h.ID)
			// Deeper pages of a fused list are fused from deeper candidate
			// lists and may repeat a document; the first place counts.
			if seen[id] || (b.coll.IgnoreIdentical && id == q.ID) {
				continue
			}
			seen[id] = true
			qr.Ranking = append(qr.Ranking, Hit{ID: id, Score: h.Score})
		}
		if len(res.Hits) < index.MaxSize || uint64(page*index.MaxSize) >= res.Total {
			break
		}
	}
	qr.Ranking = qr.Ranking[:min(len(qr.Ranking), depth)]
	qr.Retrieved = len(qr.Ranking)
	return qr, mode, keywordOnly, nil
}

// Summary is the one-line result: nDCG@10=… MAP=… R@100=… P@10=… queries=…,
// and for hybrid and semantic runs keyword_fallbacks=… (queries answered
// by keywords alone because no query vector came; the goal is 0).
func (r *Report) Summary() string {
	s := fmt.Sprintf("nDCG@10=%.4f MAP=%.4f R@100=%.4f P@10=%.4f queries=%d",
		r.NDCG10, r.MAP, r.Recall100, r.P10, r.Queries)
	if r.Mode == index.ModeHybrid || r.Mode == index.ModeSemantic {
		s += fmt.Sprintf(" keyword_fallbacks=%d", r.KeywordOnly)
	}
	return s
}

// WriteRun writes the rankings as a TREC run file, one line per hit:
// "qid Q0 docid rank score policysearch", readable by trec_eval.
func (r *Report) WriteRun(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, q := range r.PerQuery {
		for i, h := range q.Ranking {
			fmt.Fprintf(bw, "%s Q0 %s %d %s policysearch\n", q.ID, h.ID, i+1, strconv.FormatFloat(h.Score, 'g', 8, 64))
		}
	}
	return bw.Flush()
}
