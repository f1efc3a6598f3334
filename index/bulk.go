package index

import (
	"context"
	"sync"
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
	report func([]BulkItem[T]) error
	cur    []BulkItem[T]
	size   int
	jobs   chan []BulkItem[T]
	stop   chan struct{} // closed when the writer stops taking batches
	done   chan struct{} // closed when the writer has returned
	err    error         // why it stopped; read only after stop is closed
	closed sync.Once
}

// Putter is what a bulk load writes to: an Index, or a client of a
// server's API.
type Putter interface {
	Put(ctx context.Context, docs []Document) ([]PutResult, error)
}

// NewBulk starts a bulk load into ix. Close must be called to finish it.
func NewBulk[T any](ctx context.Context, ix Putter, report func([]BulkItem[T]) error) *Bulk[T] {
	b := &Bulk[T]{ctx: ctx, ix: ix, report: report, jobs: make(chan []BulkItem[T]),
		stop: make(chan struct{}), done: make(chan struct{})}
	go b.write()
	return b
}

// Add queues doc. It returns an error only when the load has stopped.
func (b *Bulk[T]) Add(tag T, doc Document) error {
	b.size += len(doc.Text) + len(doc.Title)
	return b.push(BulkItem[T]{Tag: tag, Doc: &doc})
}

// Fail passes an input that could not be decoded through to report, in
// its place among the others.
func (b *Bulk[T]) Fail(tag T, err error) error {
	return b.push(BulkItem[T]{Tag: tag, Err: err})
}

func (b *Bulk[T]) push(it BulkItem[T]) error {
	b.cur = append(b.cur, it)
	if len(b.cur) < batchSize && b.size < batchBytes {
		return nil
	}
	return b.send()
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
	select {
	case b.jobs <- b.cur:
		b.cur, b.size = nil, 0
		return nil
	case <-b.stop:
		return b.err
	}
}

// Close writes what is queued, waits for every batch to be reported and
// returns the error that stopped the load, if any.
func (b *Bulk[T]) Close() error {
	err := b.send()
	b.closed.Do(func() { close(b.jobs) })
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
	for items := range b.jobs {
		if stopped {
			continue // drained until Close
		}
		var docs []Document
		for _, it := range items {
			if it.Doc != nil {
				docs = append(docs, *it.Doc)
			}
		}
		var res []PutResult
		var err error
		if len(docs) > 0 {
			res, err = b.ix.Put(b.ctx, docs)
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
				items[i].Err = err
			}
			n++
		}
		if err := b.report(items); err != nil {
			b.err, stopped = err, true
			close(b.stop)
		}
	}
}
