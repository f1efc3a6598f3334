package index

import (
	"context"
	"errors"
	"fmt"
)

// BulkItem is one input of a bulk load and, once reported, its outcome.
type BulkItem[T any] struct {
	Tag    T         // the caller's handle: a line number, a file name
	Doc    *Document // nil for an input that failed before it got here
	Status Status    // what Put did, when Err is nil
	Err    error     // the input's own failure, or its batch's
}

// Bulk loads a stream of documents in Put's batches, writing each batch
// on its own goroutine while the caller reads and decodes the next one:
// decoding and indexing overlap instead of taking turns. Batches are
// written and reported in input order; report runs on the writer's
// goroutine, one batch at a time, and an error from it stops the load.
type Bulk[T any] struct {
	ctx    context.Context
	ix     Putter
	local  *Index // ix, when it is an Index: documents are prepared and analyzed ahead
	report func([]BulkItem[T]) error
	cur    []BulkItem[T]
	size   weight
	jobs   chan bulkBatch[T]
	stop   chan struct{} // closed when the writer stops taking batches
	done   chan struct{} // closed when the writer has returned
	err    error         // why it stopped; read only after stop is closed
	ended  bool          // Close was called; touched by the caller's goroutine only
}

// errBulkClosed is Add or Fail after Close: a caller's bug.
var errBulkClosed = errors.New("bulk load: document added after Close")

// Putter is what a bulk load writes to: an Index, or a client of a
// server's API.
type Putter interface {
	Put(ctx context.Context, docs []Document) ([]PutResult, error)
}

// NewBulk starts a bulk load into ix. Close must be called to finish it.
func NewBulk[T any](ctx context.Context, ix Putter, report func([]BulkItem[T]) error) *Bulk[T] {
	b := &Bulk[T]{ctx: ctx, ix: ix, report: report, jobs: make(chan bulkBatch[T]),
		stop: make(chan struct{}), done: make(chan struct{})}
	b.local, _ = ix.(*Index)
	go b.write()
	return b
}

// Add queues doc. It returns an error only when the load has stopped.
// Loading into an Index, doc is prepared here, and its batch analyzed
// when sent (ahead.go), on the caller's goroutine while the writer writes
// the batch before: preparing (language detection, mostly) and analysis
// were half a load's CPU, spent while the writer held the write lock. A
// document that fails to prepare is reported failed in its place; the
// others go on.
func (b *Bulk[T]) Add(tag T, doc Document) error {
	if b.local != nil {
		if err := doc.Prepare(); err != nil {
			return b.Fail(tag, err)
		}
	}
	return b.push(BulkItem[T]{Tag: tag, Doc: &doc}, weigh(&doc))
}

// Fail passes an input that could not be decoded through to report, in
// its place among the others.
func (b *Bulk[T]) Fail(tag T, err error) error {
	return b.push(BulkItem[T]{Tag: tag, Err: err}, weight{})
}

// push queues it, first sending the batch it would not fit in, and sends
// a batch as soon as it is full by count (a byte-full one waits for the
// document that does not fit, or Close).
func (b *Bulk[T]) push(it BulkItem[T], w weight) error {
	if b.ended {
		return errBulkClosed
	}
	if !fits(len(b.cur), b.size, w) {
		if err := b.send(); err != nil {
			return err
		}
	}
	b.cur = append(b.cur, it)
	b.size = b.size.add(w)
	if len(b.cur) == batchSize {
		return b.send()
	}
	return nil
}

func (b *Bulk[T]) send() error {
	if len(b.cur) == 0 {
		return nil
	}
	select {
	case <-b.stop:
		return b.err
	default:
	}
	job := bulkBatch[T]{items: b.cur}
	if b.local != nil {
		job.ready = b.local.analyzeAhead(job.docs())
	}
	select {
	case b.jobs <- job:
		b.cur, b.size = nil, weight{}
		return nil
	case <-b.stop:
		return b.err
	}
}

// Close writes what is queued, waits for every batch to be reported and
// returns the error that stopped the load, if any.
func (b *Bulk[T]) Close() error {
	var err error
	if !b.ended {
		b.ended = true
		err = b.send()
		close(b.jobs)
	}
	<-b.done
	select {
	case <-b.stop:
		return b.err
	default:
		return err
	}
}

func (b *Bulk[T]) write() {
	defer close(b.done)
	stopped := false
	for job := range b.jobs {
		if stopped {
			continue // drained until Close
		}
		if err := b.writeBatch(job); err != nil {
			b.err, stopped = err, true
			close(b.stop)
		}
	}
}

// writeBatch puts one batch and reports it. A panic (a bug in Put or in
// report) stops the load with an error instead of ending the process: it
// happens on this goroutine, out of reach of the server's recovery.
func (b *Bulk[T]) writeBatch(job bulkBatch[T]) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bulk load: %v", p)
		}
	}()
	items, docs := job.items, job.docs()
	var res []PutResult
	var perr error
	if len(docs) > 0 {
		res, perr = b.put(docs, job.ready)
	}
	if perr == nil && len(res) < len(docs) {
		perr = fmt.Errorf("the store answered %d results for %d documents", len(res), len(docs))
	}
	n := 0
	for i := range items {
		if items[i].Doc == nil {
			continue
		}
		if n < len(res) {
			items[i].Status = res[n].Status
			items[i].Doc.ID = res[n].ID
		} else {
			items[i].Err = perr
		}
		n++
	}
	return b.report(items)
}

// bulkBatch is one batch on its way to the writer, with the documents
// analyzed ahead when loading into an Index.
type bulkBatch[T any] struct {
	items []BulkItem[T]
	ready map[*Document]ahead
}

// docs is the batch's documents, without the inputs that failed before.
func (j bulkBatch[T]) docs() []*Document {
	var docs []*Document
	for _, it := range j.items {
		if it.Doc != nil {
			docs = append(docs, it.Doc)
		}
	}
	return docs
}

// put writes one batch: prepared documents straight to an Index (see
// Add), others through the Putter.
func (b *Bulk[T]) put(docs []*Document, ready map[*Document]ahead) ([]PutResult, error) {
	if b.local != nil {
		return b.local.putPrepared(b.ctx, docs, ready)
	}
	plain := make([]Document, len(docs))
	for i, d := range docs {
		plain[i] = *d
	}
	return b.ix.Put(b.ctx, plain)
}
