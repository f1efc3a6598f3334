package index

import (
	"context"
	"sync"

	"github.com/blevesearch/bleve/v2"
)

// fieldLengths holds the average length, in indexed tokens, of the title
// and the text, which BM25 normalises by. bleve cannot tell it (its own
// figure counts distinct terms per segment), so it is measured once on up
// to lengthSample documents: all of a small index, else the facet sample
// (one document in sampleEvery, chosen by a hash of the id). From then on
// it follows every change exactly: the lengths of each measured document
// are kept, and a write replaces them (a delete drops them), so the
// averages are a function of the documents alone, not of when they were
// measured: a rebuilt index ranks as a fresh one with the same documents.
// A write only queues the change; the next search analyses it, so writes
// do not wait, and a search never waits for a whole new measurement
// (measuring a 233-speech corpus again took 1.7–3.9 s on a loaded machine,
// during which every search waited). Changes queued past lengthSample, or
// the index crossing lengthSample documents, mean one new measurement.
type fieldLengths struct {
	mu      sync.Mutex
	valid   bool
	sampled bool                  // measured on the sample: only sample documents count
	docs    map[string][2]float64 // per document: title and text length
	sum     [2]float64

	pmu      sync.Mutex
	tracking bool           // set once measured: changes are queued
	subset   bool           // sampled, as the queue sees it
	pending  []lengthChange // changes since the measurement, in order
	bytes    int            // text the queue holds
	lost     bool           // more changes than are worth keeping
}

// lengthChange is a document written (doc set) or deleted.
type lengthChange struct {
	id  string
	doc *Document
}

const lengthSample = 2000

// pendingBytes bounds the text queued changes hold between two searches.
const pendingBytes = 64 << 20

var lengthFields = []string{"title", "text"}

// noteChange queues a write for the averages (see fieldLengths).
func (l *fieldLengths) noteChange(ev ChangeEvent) {
	l.pmu.Lock()
	defer l.pmu.Unlock()
	if !l.tracking || l.lost {
		return
	}
	for _, d := range ev.Put {
		if !l.subset || inSample(d.ID) {
			l.pending = append(l.pending, lengthChange{id: d.ID, doc: d})
			l.bytes += len(d.Title) + len(d.Text)
		}
	}
	for _, id := range ev.Deleted {
		if !l.subset || inSample(id) {
			l.pending = append(l.pending, lengthChange{id: id})
		}
	}
	if len(l.pending) > lengthSample || l.bytes > pendingBytes {
		l.pending, l.bytes, l.lost = nil, 0, true
	}
}

// track starts queueing changes, of sample documents only if subset.
func (l *fieldLengths) track(subset bool) {
	l.pmu.Lock()
	defer l.pmu.Unlock()
	l.tracking, l.subset, l.pending, l.bytes, l.lost = true, subset, nil, 0, false
}

// takePending returns the queued changes and whether some were dropped.
func (l *fieldLengths) takePending() ([]lengthChange, bool) {
	l.pmu.Lock()
	defer l.pmu.Unlock()
	p, lost := l.pending, l.lost
	l.pending, l.bytes, l.lost = nil, 0, false
	return p, lost
}

// averages returns the average field lengths of the live index.
func (ix *Index) averages(ctx context.Context) map[string]float64 {
	n, err := ix.alias.DocCount()
	if err != nil {
		return nil
	}
	l := &ix.lengths
	l.mu.Lock()
	defer l.mu.Unlock()
	changes, lost := l.takePending()
	if !l.valid || lost || l.sampled != (n > lengthSample) {
		// Changes from now on are queued while this measures; applied
		// after it, a change it already saw sets the same lengths again.
		l.track(n > lengthSample)
		docs, err := ix.measureLengths(ctx, n)
		if err != nil {
			ix.log.Warn("measuring field lengths for BM25", "err", err)
			return nil
		}
		l.valid, l.sampled, l.docs, l.sum = true, n > lengthSample, map[string][2]float64{}, [2]float64{}
		for id, v := range docs {
			l.set(id, v)
		}
		changes, _ = l.takePending()
	}
	a := ix.mapping.AnalyzerNamed(proseAnalyzer)
	for _, c := range changes {
		switch {
		case l.sampled && !inSample(c.id):
		case c.doc == nil:
			l.drop(c.id)
		default:
			l.set(c.id, [2]float64{float64(len(a.Analyze([]byte(c.doc.Title)))), float64(len(a.Analyze([]byte(c.doc.Text))))})
		}
	}
	avg := map[string]float64{}
	for i, f := range lengthFields {
		if len(l.docs) > 0 {
			avg[f] = l.sum[i] / float64(len(l.docs))
		}
		avg[f] = max(avg[f], 1)
	}
	return avg
}

func (l *fieldLengths) set(id string, v [2]float64) {
	l.drop(id)
	l.docs[id] = v
	l.sum[0] += v[0]
	l.sum[1] += v[1]
}

func (l *fieldLengths) drop(id string) {
	if old, ok := l.docs[id]; ok {
		l.sum[0] -= old[0]
		l.sum[1] -= old[1]
		delete(l.docs, id)
	}
}

// measureLengths analyses the title and text of every document, or of the
// sample when there are more than lengthSample.
func (ix *Index) measureLengths(ctx context.Context, n uint64) (map[string][2]float64, error) {
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
	out := make(map[string][2]float64, len(res.Hits))
	for _, h := range res.Hits {
		var v [2]float64
		for i, f := range lengthFields {
			if s, ok := h.Fields[f].(string); ok {
				v[i] = float64(len(a.Analyze([]byte(s))))
			}
		}
		out[h.ID] = v
	}
	return out, nil
}
