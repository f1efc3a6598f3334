package index

import (
	"context"
	"encoding/binary"
	"sort"

	bindex "github.com/blevesearch/bleve_index_api"
)

// candidateReader is a snapshot whose posting lists hold only the
// candidates' postings. Document counts are the snapshot's, so that
// scores are the full search's.
type candidateReader struct {
	bindex.IndexReader
	ids []uint64
}

// TermFieldReader implements index.IndexReader.
func (r *candidateReader) TermFieldReader(ctx context.Context, term []byte, field string, freq, norm, vectors bool) (bindex.TermFieldReader, error) {
	tr, err := r.IndexReader.TermFieldReader(ctx, term, field, freq, norm, vectors)
	if err != nil {
		return nil, err
	}
	return &candidatePostings{TermFieldReader: tr, r: r}, nil
}

// candidatePostings walks a posting list's candidates, in order.
type candidatePostings struct {
	bindex.TermFieldReader
	r   *candidateReader // its ids are set once chosen
	at  int              // the next candidate that may be returned
	buf [8]byte
}

func (p *candidatePostings) Next(pre *bindex.TermFieldDoc) (*bindex.TermFieldDoc, error) {
	if p.at >= len(p.r.ids) {
		return nil, nil
	}
	binary.BigEndian.PutUint64(p.buf[:], p.r.ids[p.at])
	return p.seek(p.buf[:], pre)
}

func (p *candidatePostings) Advance(id bindex.IndexInternalID, pre *bindex.TermFieldDoc) (*bindex.TermFieldDoc, error) {
	return p.seek(id, pre)
}

// seek returns the first posting at or after id that is a candidate's.
func (p *candidatePostings) seek(id bindex.IndexInternalID, pre *bindex.TermFieldDoc) (*bindex.TermFieldDoc, error) {
	if len(id) != 8 {
		return p.TermFieldReader.Advance(id, pre) // not a scorch number: no restriction known
	}
	want := binary.BigEndian.Uint64(id)
	ids := p.r.ids
	for {
		p.at += sort.Search(len(ids)-p.at, func(i int) bool { return ids[p.at+i] >= want })
		if p.at >= len(ids) {
			return nil, nil
		}
		binary.BigEndian.PutUint64(p.buf[:], ids[p.at])
		d, err := p.TermFieldReader.Advance(p.buf[:], pre)
		if err != nil || d == nil {
			p.at = len(ids)
			return nil, err
		}
		got := binary.BigEndian.Uint64(d.ID)
		// The list holds the next document at or after the candidate
		// asked for; when that is a later candidate, it is the answer:
		// asking scorch for it again would seek backwards, which
		// reopens the list.
		p.at += sort.Search(len(ids)-p.at, func(i int) bool { return ids[p.at+i] >= got })
		if p.at < len(ids) && ids[p.at] == got {
			p.at++
			return d, nil
		}
		want = got
	}
}
