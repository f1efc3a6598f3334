package index

import (
	"context"
	"sync"

	"github.com/blevesearch/bleve/v2"
)

// fieldLengths holds the average length, in indexed tokens, of the title
// and the text, which BM25 normalises by. bleve cannot tell it (its own
// figure counts distinct terms per segment), so it is measured on up to
// lengthSample documents: all of a small index, else the facet sample
// (one document in sampleEvery, chosen by a hash of the id). It is
// measured again when the document count has moved by a tenth: an
// average over hundreds of documents moves slowly, and BM25 is not
// sensitive to a few per cent of it.
type fieldLengths struct {
	mu   sync.Mutex
	docs uint64             // the count the averages were measured at
	avg  map[string]float64 // per field
}

const lengthSample = 2000

var lengthFields = []string{"title", "text"}

// averages returns the average field lengths of the live index.
func (ix *Index) averages(ctx context.Context) map[string]float64 {
	n, err := ix.alias.DocCount()
	if err != nil {
		return nil
	}
	l := &ix.lengths
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.avg != nil && n*10 >= l.docs*9 && n*10 <= l.docs*11 {
		return l.avg
	}
	avg, err := ix.measureLengths(ctx, n)
	if err != nil {
		ix.log.Warn("measuring field lengths for BM25", "err", err)
		return l.avg
	}
	l.docs, l.avg = n, avg
	return avg
}

func (ix *Index) measureLengths(ctx context.Context, n uint64) (map[string]float64, error) {
	var q = bleve.NewMatchAllQuery()
	req := bleve.NewSearchRequestOptions(q, lengthSample, 0, false)
	if n > lengthSample {
		tq := bleve.NewTermQuery("1")
		tq.SetField(sampleField)
		req = bleve.NewSearchRequestOptions(tq, lengthSample, 0, false)
	}
	req.Fields = lengthFields
	res, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	a := ix.mapping.AnalyzerNamed(proseAnalyzer)
	avg := map[string]float64{}
	for _, h := range res.Hits {
		for _, f := range lengthFields {
			if s, ok := h.Fields[f].(string); ok {
				avg[f] += float64(len(a.Analyze([]byte(s))))
			}
		}
	}
	for _, f := range lengthFields {
		if len(res.Hits) > 0 {
			avg[f] /= float64(len(res.Hits))
		}
		avg[f] = max(avg[f], 1)
	}
	return avg, nil
}
