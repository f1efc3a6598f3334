package alerts

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"policysearch/index"
)

// Alerts cannot stall the service. Matching runs in two lanes, each its
// own goroutine over every changed document: the plain lane holds the
// alerts whose queries are plain words and phrases, the costly lane those
// with fuzzy or prefix terms (index.QueryCost > 1), which can take a
// second each. So a plain alert never waits for a costly one. Within a
// lane, alerts run cheapest first (by how long each took last time), and
// each alert's match is cut at MatchTimeout, logged as "alert matching
// over its time bound": a slow alert delays the others of its lane by at
// most that, and the documents of a cut match go to the alert's backlog
// (backlog.go), so they are matched later rather than never. Each lane
// logs "lane matched documents" per batch. Queries are bounded as searches are (index/cost.go), so
// even a cut match ends soon, and shutdown (ctx) stops a lane between
// two alerts.

// DefaultMatchTimeout bounds one alert's match against one batch.
const DefaultMatchTimeout = 2 * time.Second

// lane is a queue of changed documents and the alerts that match them.
type lane struct {
	plain bool
	mu    sync.Mutex
	queue []docRef
	wake  chan struct{}
	done  time.Time // newest indexing time this lane has matched up to
}

func newLanes() []*lane {
	return []*lane{{plain: true, wake: make(chan struct{}, 1)}, {wake: make(chan struct{}, 1)}}
}

func (l *lane) name() string {
	if l.plain {
		return "plain"
	}
	return "costly"
}

// enqueue gives documents to every lane; front puts them first (the
// catch-up after a restart).
func (s *Service) enqueue(refs []docRef, front bool) {
	for _, l := range s.lanes {
		l.mu.Lock()
		if front {
			l.queue = append(slices.Clone(refs), l.queue...)
		} else {
			l.queue = append(l.queue, refs...)
		}
		l.mu.Unlock()
		signal(l.wake)
	}
}

func (s *Service) matcher(ctx context.Context, l *lane) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		for ctx.Err() == nil {
			l.mu.Lock()
			n := min(len(l.queue), matchBatch)
			batch := l.queue[:n:n]
			l.queue = l.queue[n:]
			if l.plain && n > 0 {
				s.plainBusy.Store(true) // before the queue looks empty (see yield)
			}
			l.mu.Unlock()
			if n == 0 {
				break
			}
			err := s.matchLane(ctx, l, batch)
			if l.plain {
				s.plainBusy.Store(false)
			}
			if err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("alerts: match documents", "documents", n, "err", err)
			}
		}
	}
}

// yield holds the costly lane (and the backlog) while the plain lane has
// documents to match: on a machine with few cores the plain alerts would
// otherwise share them with slow ones (and with the garbage those make).
// The costly lane yields before it builds its in-memory index of a batch
// and before each alert. It waits at most MatchTimeout, so a busy plain
// lane cannot starve the costly one.
func (s *Service) yield(ctx context.Context) {
	for wait := time.Now().Add(s.cfg.MatchTimeout); s.plainPending() && ctx.Err() == nil && time.Now().Before(wait); {
		time.Sleep(10 * time.Millisecond)
	}
}

// plainPending says whether the plain lane is matching or has documents
// queued.
func (s *Service) plainPending() bool {
	if s.plainBusy.Load() {
		return true
	}
	pl := s.lanes[0]
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return len(pl.queue) > 0
}

// costly says whether an alert's query has fuzzy or prefix terms.
func costly(a *active) bool { return index.QueryCost(a.q.Text) > 1 }

// alerts are the lane's alerts, cheapest first.
func (l *lane) alerts(s *Service) []*active {
	var out []*active
	for _, a := range s.alerts() {
		if costly(a) != l.plain {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b *active) int {
		return cmp.Or(cmp.Compare(a.took.Load(), b.took.Load()), cmp.Compare(index.QueryCost(a.q.Text), index.QueryCost(b.q.Text)))
	})
	return out
}

// errCut is a match cut at its time bound; its documents go to the
// alert's backlog (backlog.go) to be matched again.
var errCut = errors.New("alert matching over its time bound")

// matchOne matches one alert against the percolated documents within
// bound, and remembers how long it took. A match cut at its bound
// returns errCut. At shutdown it returns at once: bleve cannot cancel a
// fuzzy or prefix term's expansion, so the work may go on for a while on
// its own goroutine, and running (which the caller waits for before
// closing the percolator) counts it.
func (s *Service) matchOne(ctx context.Context, perc *index.Percolator, running *sync.WaitGroup, a *active, docs int, bound time.Duration) ([]index.Match, error) {
	mctx, cancel := context.WithTimeout(ctx, bound)
	start := time.Now()
	type result struct {
		ms  []index.Match
		err error
	}
	done := make(chan result, 1)
	running.Go(func() {
		defer cancel()
		ms, err := perc.MatchSaved(mctx, a.saved)
		done <- result{ms, err}
	})
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	a.took.Store(int64(time.Since(start)))
	switch {
	case r.err == nil || ctx.Err() != nil:
	case mctx.Err() != nil:
		s.cfg.Log.Warn("alerts: alert matching over its time bound; these documents will be matched again, fewer at a time",
			"alert", a.ID, "documents", docs, "bound", bound, "took", time.Since(start).Round(time.Millisecond))
		return nil, errCut
	default:
		s.cfg.Log.Warn("alerts: keyword match failed", "alert", a.ID, "err", r.err)
	}
	return r.ms, r.err
}

// closeAfter closes a percolator once the matches still running on it
// (abandoned at shutdown) have ended.
func closeAfter(perc *index.Percolator, running *sync.WaitGroup) {
	if perc == nil {
		return
	}
	go func() {
		running.Wait()
		perc.Close()
	}()
}

// advance records a lane's progress (l may be nil) and moves the stored
// watermark, from which a restart catches up, to the lane furthest
// behind, and never past a document an alert's backlog still holds.
func (s *Service) advance(l *lane, t time.Time) error {
	s.wmu.Lock()
	if l != nil && t.After(l.done) {
		l.done = t
	}
	oldest := s.lanes[0].done
	for _, o := range s.lanes {
		if o.done.Before(oldest) {
			oldest = o.done
		}
	}
	s.wmu.Unlock()
	for _, a := range s.alerts() {
		if b, ok := a.behind.oldest(); ok && !b.After(oldest) {
			oldest = b.Add(-time.Nanosecond)
		}
	}
	if oldest.IsZero() {
		return nil
	}
	return s.st.advance(oldest)
}
