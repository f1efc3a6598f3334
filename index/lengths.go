package index

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

// fieldLengths holds the average length, in indexed tokens, of the title
// and the text, which BM25 normalises by. bleve cannot tell it (its own
// figure counts distinct terms per segment), so documents store their two
// lengths (lengthsField, counted when they are indexed: see allLengths)
// and the averages are read from up to lengthSample documents: all of a
// small index, else the facet sample (one document in sampleEvery, chosen by a hash of the
// id). They are read again after every change (the index generation; an
// update keeps the count but not the lengths), so that
// scores depend on the documents alone: a rebuilt index ranks as a fresh
// one does. Reading stored lengths costs a search of those documents'
// stored field, not an analysis of their text.
type fieldLengths struct {
	mu  sync.Mutex
	gen uint64             // the index generation the averages were read at
	avg map[string]float64 // per field
}

const (
	lengthSample = 2000
	lengthsField = "lengths" // stored only: "title text", in tokens
)

var lengthFields = []string{"title", "text"}

// lengthAnalyzer counts tokens as the prose fields index them.
var lengthAnalyzer = sync.OnceValue(func() analysis.Analyzer {
	m, err := newMapping()
	if err != nil {
		return nil
	}
	return m.AnalyzerNamed(proseAnalyzer)
})

// allLengths reports whether documents written now record their field
// lengths whether or not they are in the sample. The averages are read
// from every document up to lengthSample and from the sampled ones past
// it, and counting a document's tokens analyses its text a second time (6%
// of ingest): past twice lengthSample stored documents only the sample
// records them. A collection that shrinks back under lengthSample
// averages over the documents that recorded theirs: still a uniform draw.
func (ix *Index) allLengths() bool {
	n, err := ix.store.count() // storecount.go: no walk
	return err != nil || n < 2*lengthSample
}

// encodeLengths is d's title and text lengths in indexed tokens.
func encodeLengths(d *Document) string {
	a := lengthAnalyzer()
	if a == nil {
		return ""
	}
	return fmt.Sprintf("%d %d", len(a.Analyze([]byte(d.Title))), len(a.Analyze([]byte(d.Text))))
}

// averages returns the average field lengths of the live index.
func (ix *Index) averages(ctx context.Context) map[string]float64 {
	gen := ix.Generation() // before reading: a write meanwhile means reading again
	n, err := ix.alias.DocCount()
	if err != nil {
		return nil
	}
	l := &ix.lengths
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.avg != nil && gen == l.gen {
		return l.avg
	}
	began := time.Now()
	avg, err := ix.measureLengths(ctx, n)
	ix.log.Debug("BM25 field lengths measured", "documents", n, "took", time.Since(began).Round(time.Microsecond))
	if err != nil {
		ix.log.Warn("measuring field lengths for BM25", "err", err)
		return l.avg
	}
	l.gen, l.avg = gen, avg
	return avg
}

func (ix *Index) measureLengths(ctx context.Context, n uint64) (map[string]float64, error) {
	var q query.Query = bleve.NewMatchAllQuery()
	if n > lengthSample {
		tq := bleve.NewTermQuery("1")
		tq.SetField(sampleField)
		q = tq
	}
	req := bleve.NewSearchRequestOptions(q, lengthSample, 0, false)
	req.Fields = []string{lengthsField}
	req.SortBy([]string{"_id"}) // the same documents every time
	res, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	sum := map[string]float64{}
	counted := 0
	for _, h := range res.Hits {
		var title, text int
		s, _ := h.Fields[lengthsField].(string)
		if _, err := fmt.Sscanf(s, "%d %d", &title, &text); err != nil {
			continue
		}
		sum["title"] += float64(title)
		sum["text"] += float64(text)
		counted++
	}
	avg := map[string]float64{}
	for _, f := range lengthFields {
		if counted > 0 {
			avg[f] = sum[f] / float64(counted)
		}
		avg[f] = max(avg[f], 1)
	}
	return avg, nil
}
