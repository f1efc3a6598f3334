package alerts

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"policysearch/index"
)

// A match cut at its time bound is not lost. Its documents join the
// alert's backlog, its own place in the stream of changed documents,
// which one goroutine (the retrier) works off beside the lanes: each
// round gives every alert with a backlog one try, at half as many
// documents as its last cut try, so no alert waits for another's
// backlog for more than one try. Down to one document, a cut doubles the
// alert's bound instead, up to MaxMatchTimeout; a document that alone
// needs more than that is given up for that alert, logged as an error.
// Like the costly lane, the retrier yields to the plain lane, and the
// stored watermark stays before the oldest document a backlog holds, so
// a restart matches it again (recorded matches are not delivered twice).

// backlog is what an alert still has to match.
type backlog struct {
	mu    sync.Mutex
	docs  []docRef
	chunk int           // documents of the next try
	bound time.Duration // time bound of the next try
}

// oldest is the indexing time of the oldest document waiting.
func (b *backlog) oldest() (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.docs) == 0 {
		return time.Time{}, false
	}
	t := b.docs[0].indexedAt
	for _, d := range b.docs[1:] {
		if d.indexedAt.Before(t) {
			t = d.indexedAt
		}
	}
	return t, true
}

func (b *backlog) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.docs)
}

// next are the documents and bound of the alert's next try.
func (b *backlog) next() ([]docRef, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(b.chunk, len(b.docs))
	return slices.Clone(b.docs[:n]), b.bound
}

// add queues documents whose match of tried documents was cut.
func (b *backlog) add(docs []docRef, tried int, bound time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.docs) == 0 {
		b.chunk, b.bound = max(1, tried/2), bound
	}
	b.docs = latest(append(b.docs, docs...))
}

// cut shrinks the next try after a cut one of tried documents; at one
// document it doubles the bound, and past limit it gives the document
// up, returning it.
func (b *backlog) cut(tried []docRef, limit time.Duration) (gaveUp *docRef) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case len(tried) > 1:
		b.chunk = len(tried) / 2
	case b.bound*2 <= limit:
		b.bound *= 2
	default:
		b.remove(tried)
		gaveUp = &tried[0]
	}
	return gaveUp
}

// matched forgets the tried documents and tries twice as many next time.
func (b *backlog) matched(tried []docRef, bound time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.remove(tried)
	b.chunk = min(2*b.chunk, matchBatch)
	if len(b.docs) == 0 {
		b.bound = bound
	}
}

// remove drops the tried documents (a newer version of one stays).
func (b *backlog) remove(tried []docRef) {
	gone := make(map[docRef]bool, len(tried))
	for _, d := range tried {
		gone[docRef{id: d.id, hash: d.hash, indexedAt: d.indexedAt}] = true
	}
	b.docs = slices.DeleteFunc(b.docs, func(d docRef) bool {
		return gone[docRef{id: d.id, hash: d.hash, indexedAt: d.indexedAt}]
	})
}

// behind puts the eligible documents of a cut match in the alert's
// backlog and wakes the retrier.
func (s *Service) behind(a *active, docs []docRef, eligible map[string]bool) {
	var out []docRef
	for _, d := range docs {
		if eligible[d.id] {
			out = append(out, d)
		}
	}
	a.behind.add(out, len(docs), s.cfg.MatchTimeout)
	signal(s.retryWake)
}

// retrier works off the backlogs until ctx ends.
func (s *Service) retrier(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.retryWake:
		}
		for ctx.Err() == nil && s.retryRound(ctx) {
		}
	}
}

// retryRound gives each alert with a backlog one try and says whether
// any backlog is left. After a failure other than a cut (the store, say)
// it waits a second before the next round.
func (s *Service) retryRound(ctx context.Context) bool {
	left, failed := false, false
	for _, a := range s.alerts() {
		docs, bound := a.behind.next()
		if len(docs) == 0 {
			continue
		}
		s.yield(ctx)
		if ctx.Err() != nil {
			return false
		}
		if err := s.retry(ctx, a, docs, bound); err != nil {
			if ctx.Err() != nil {
				return false
			}
			s.cfg.Log.Error("alerts: match an alert's backlog", "alert", a.ID, "documents", len(docs), "err", err)
			failed = true
		}
		left = left || a.behind.size() > 0
	}
	if err := s.advance(nil, time.Time{}); err != nil && ctx.Err() == nil {
		s.cfg.Log.Error("alerts: move the watermark", "err", err)
	}
	if failed {
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return left
}

// retry matches one try of an alert's backlog and records its matches.
func (s *Service) retry(ctx context.Context, a *active, docs []docRef, bound time.Duration) error {
	list := make(map[string]docRef, len(docs))
	percDocs := make([]*index.Document, len(docs))
	for i, d := range docs {
		list[d.id], percDocs[i] = d, d.doc
	}
	perc, err := s.ix.NewPercolator(percDocs)
	if err != nil {
		return err
	}
	var running sync.WaitGroup
	defer closeAfter(perc, &running)
	ms, err := s.matchOne(ctx, perc, &running, a, len(docs), bound)
	if errors.Is(err, errCut) {
		if d := a.behind.cut(docs, s.cfg.MaxMatchTimeout); d != nil {
			s.cfg.Log.Error("alerts: gave up matching a document against an alert: alone it needs more than the longest bound",
				"alert", a.ID, "doc", d.id, "bound", s.cfg.MaxMatchTimeout)
		}
		return nil
	}
	if err != nil {
		return err
	}
	ps := make([]pending, 0, len(ms))
	for _, m := range ms {
		if d, ok := list[m.ID]; ok {
			ps = append(ps, s.pendingFor(a, d, m))
		}
	}
	if ps, err = s.stillIndexed(ctx, ps); err != nil {
		return err
	}
	if err := s.save(ps); err != nil {
		return err
	}
	a.behind.matched(docs, s.cfg.MatchTimeout)
	return nil
}
