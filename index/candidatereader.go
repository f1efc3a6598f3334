package index

import (
	"context"
	"encoding/binary"
	"slices"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// candidateReader is a snapshot whose posting lists hold only the
// candidates' postings. Document counts are the snapshot's, so that
// scores are the full search's. Each list is read once, at the
// candidates, for every searcher of it: a query's word is searched by
// its BM25 term, its phrases and the words rule, and a seek in scorch
// walks the list's bitmap entry by entry from where it stands, so four
// searchers seeking a list of 10^6 postings walked it four times.
type candidateReader struct {
	bindex.IndexReader
	ids []uint64 // set once chosen, before any list is read

	mu    sync.Mutex
	lists map[[2]string]*candidateList
}

// amongIDs is a query searched on a candidateReader of the documents
// ids: a page's few documents, whose match locations a query of 10^6
// matches would otherwise seek for through every searcher's lists.
type amongIDs struct {
	ids []string
	top query.Query
}

// Searcher implements query.Query.
func (q *amongIDs) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	cr := &candidateReader{IndexReader: r}
	for _, id := range q.ids {
		in, err := r.InternalID(id)
		if err != nil {
			return nil, err
		}
		if len(in) != 8 { // not in the snapshot, or not a scorch number
			if len(in) > 0 {
				return q.top.Searcher(ctx, r, m, opts)
			}
			continue
		}
		cr.ids = append(cr.ids, binary.BigEndian.Uint64(in))
	}
	slices.Sort(cr.ids)
	return q.top.Searcher(ctx, cr, m, opts)
}

// candidateList is one word's postings in one field at the candidates.
type candidateList struct {
	key   [2]string
	once  sync.Once
	tr    bindex.TermFieldReader // the snapshot's, until read
	count uint64                 // the whole list's, for idf
	refs  int                    // open readers; the last closes tr
	docs  []bindex.TermFieldDoc  // at candidates, in order, with positions
	err   error
}

// TermFieldReader implements index.IndexReader.
func (r *candidateReader) TermFieldReader(ctx context.Context, term []byte, field string, freq, norm, vectors bool) (bindex.TermFieldReader, error) {
	key := [2]string{field, string(term)}
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.lists[key]
	if l == nil {
		tr, err := r.IndexReader.TermFieldReader(ctx, term, field, true, true, true)
		if err != nil {
			return nil, err
		}
		if r.lists == nil {
			r.lists = map[[2]string]*candidateList{}
		}
		l = &candidateList{key: key, tr: tr, count: tr.Count()}
		r.lists[key] = l
	}
	l.refs++
	return &candidatePostings{r: r, l: l, freq: freq, norm: norm, vectors: vectors}, nil
}

// read returns the list's postings at the candidates, reading them the
// first time.
func (r *candidateReader) read(l *candidateList) ([]bindex.TermFieldDoc, error) {
	l.once.Do(func() {
		r.mu.Lock()
		tr := l.tr
		r.mu.Unlock()
		if tr == nil { // closed unread
			return
		}
		l.docs, l.err = readAt(tr, r.ids)
		r.mu.Lock()
		l.tr = nil
		r.mu.Unlock()
		if err := tr.Close(); l.err == nil {
			l.err = err
		}
	})
	return l.docs, l.err
}

// readAt returns tr's postings at ids (sorted scorch numbers), copied.
func readAt(tr bindex.TermFieldReader, ids []uint64) ([]bindex.TermFieldDoc, error) {
	var out []bindex.TermFieldDoc
	var buf [8]byte
	var d bindex.TermFieldDoc
	for at := 0; at < len(ids); {
		binary.BigEndian.PutUint64(buf[:], ids[at])
		got, err := tr.Advance(buf[:], d.Reset())
		if err != nil || got == nil {
			return out, err
		}
		num := binary.BigEndian.Uint64(got.ID)
		// The list holds the next document at or after the candidate
		// asked for; the next seek is past it (scorch reopens a list to
		// seek backwards).
		at += sort.Search(len(ids)-at, func(i int) bool { return ids[at+i] >= num })
		if at < len(ids) && ids[at] == num {
			out = append(out, copyPosting(got))
			at++
		}
	}
	return out, nil
}

func copyPosting(d *bindex.TermFieldDoc) bindex.TermFieldDoc {
	c := bindex.TermFieldDoc{ID: append(bindex.IndexInternalID(nil), d.ID...), Freq: d.Freq, Norm: d.Norm}
	c.Vectors = make([]*bindex.TermFieldVector, len(d.Vectors))
	backing := make([]bindex.TermFieldVector, len(d.Vectors))
	for i, v := range d.Vectors {
		backing[i] = *v
		backing[i].ArrayPositions = append([]uint64(nil), v.ArrayPositions...)
		c.Vectors[i] = &backing[i]
	}
	return c
}

// candidatePostings is one searcher's reader of a candidateList.
type candidatePostings struct {
	r                   *candidateReader
	l                   *candidateList
	freq, norm, vectors bool
	at                  int // the next posting to return
	closed              bool
}

func (p *candidatePostings) Next(pre *bindex.TermFieldDoc) (*bindex.TermFieldDoc, error) {
	docs, err := p.r.read(p.l)
	if err != nil || p.at >= len(docs) {
		return nil, err
	}
	p.at++
	return p.fill(&docs[p.at-1], pre), nil
}

func (p *candidatePostings) Advance(id bindex.IndexInternalID, pre *bindex.TermFieldDoc) (*bindex.TermFieldDoc, error) {
	docs, err := p.r.read(p.l)
	if err != nil {
		return nil, err
	}
	p.at = sort.Search(len(docs), func(i int) bool { return docs[i].ID.Compare(id) >= 0 })
	return p.Next(pre)
}

// fill copies d into pre (or a new posting) as the searcher asked for
// it: the searcher may reuse what it is given.
func (p *candidatePostings) fill(d *bindex.TermFieldDoc, pre *bindex.TermFieldDoc) *bindex.TermFieldDoc {
	if pre == nil {
		pre = &bindex.TermFieldDoc{}
	}
	vecs := pre.Vectors
	*pre = bindex.TermFieldDoc{ID: append(pre.ID[:0], d.ID...)}
	if p.freq {
		pre.Freq = d.Freq
	}
	if p.norm {
		pre.Norm = d.Norm
	}
	if p.vectors {
		if cap(vecs) < len(d.Vectors) { // as scorch reuses them
			vecs = make([]*bindex.TermFieldVector, len(d.Vectors))
			backing := make([]bindex.TermFieldVector, len(d.Vectors))
			for i := range backing {
				vecs[i] = &backing[i]
			}
		}
		vecs = vecs[:len(d.Vectors)]
		for i, v := range d.Vectors {
			*vecs[i] = *v
		}
		pre.Vectors = vecs
	}
	return pre
}

func (p *candidatePostings) Count() uint64 { return p.l.count }

func (p *candidatePostings) Size() int { return 0 }

// Close releases the list's snapshot reader with its last reader.
func (p *candidatePostings) Close() error {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.l.refs--; p.l.refs > 0 || p.l.tr == nil {
		return nil
	}
	// Closed unread: a later searcher of the word opens it anew.
	delete(p.r.lists, p.l.key)
	tr := p.l.tr
	p.l.tr = nil
	return tr.Close()
}
