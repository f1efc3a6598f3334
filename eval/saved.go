package eval

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ReadRun reads a TREC run file ("qid Q0 docid rank score tag" per line,
// as WriteRun and other engines write it) into each query's ranking,
// ordered by rank. It lets two versions of the code be compared query by
// query: run the old binary with --run, the new one with --compare-run.
func ReadRun(r io.Reader) (map[string][]Hit, error) {
	type ranked struct {
		rank int
		hit  Hit
	}
	byQuery := map[string][]ranked{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 6 {
			return nil, fmt.Errorf("run line %d: want 6 fields (qid Q0 docid rank score tag), got %d", line, len(f))
		}
		rank, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("run line %d: rank %q: %v", line, f[3], err)
		}
		score, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return nil, fmt.Errorf("run line %d: score %q: %v", line, f[4], err)
		}
		byQuery[f[0]] = append(byQuery[f[0]], ranked{rank, Hit{ID: f[2], Score: score}})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make(map[string][]Hit, len(byQuery))
	for q, rs := range byQuery {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].rank < rs[j].rank })
		hits := make([]Hit, len(rs))
		for i, r := range rs {
			hits[i] = r.hit
		}
		out[q] = hits
	}
	return out, nil
}

// ScoreRun scores a saved run on the bench's judged queries, in the order
// Run scores them, so that Compare can pair it with a fresh run. A query
// the run does not list scores 0, as a query with no hits does.
func (b *Bench) ScoreRun(run map[string][]Hit, mode string) *Report {
	rep := &Report{Mode: mode, PerQuery: []QueryResult{}}
	var all []Scores
	for _, q := range b.coll.Queries {
		judged := b.coll.Qrels[q.ID]
		if relevant(judged) == 0 {
			rep.Unjudged++
			continue
		}
		hits := run[q.ID]
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = h.ID
		}
		qr := QueryResult{ID: q.ID, Scores: Score(ids, judged), Relevant: relevant(judged), Retrieved: len(hits), Ranking: hits}
		all = append(all, qr.Scores)
		rep.PerQuery = append(rep.PerQuery, qr)
	}
	rep.Scores = mean(all)
	rep.Queries = len(all)
	return rep
}
