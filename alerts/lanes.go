package alerts

import (
	"cmp"
	"context"
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
// most that. Queries are bounded as searches are (index/cost.go), so
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
			l.mu.Unlock()
			if n == 0 {
				break
			}
			if l.plain {
				s.plainBusy.Store(true)
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

// yield holds the costly lane while the plain lane works: on a machine
// with few cores the plain alerts would otherwise share them with slow
// ones. It waits at most MatchTimeout, so a busy plain lane cannot
// starve the costly one.
func (s *Service) yield(ctx context.Context, l *lane) {
	if l.plain {
		return
	}
	for wait := time.Now().Add(s.cfg.MatchTimeout); s.plainBusy.Load() && ctx.Err() == nil && time.Now().Before(wait); {
		time.Sleep(10 * time.Millisecond)
	}
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

// matchOne matches one alert against the percolated documents within
// MatchTimeout, and remembers how long it took.
func (s *Service) matchOne(ctx context.Context, perc *index.Percolator, a *active, docs int) ([]index.Match, error) {
	mctx, cancel := context.WithTimeout(ctx, s.cfg.MatchTimeout)
	defer cancel()
	start := time.Now()
	ms, err := perc.MatchSaved(mctx, a.saved)
	a.took.Store(int64(time.Since(start)))
	switch {
	case err == nil || ctx.Err() != nil:
	case mctx.Err() != nil:
		s.cfg.Log.Warn("alerts: alert matching over its time bound; these documents are not matched against it",
			"alert", a.ID, "documents", docs, "bound", s.cfg.MatchTimeout, "took", time.Since(start).Round(time.Millisecond))
	default:
		s.cfg.Log.Warn("alerts: keyword match failed", "alert", a.ID, "err", err)
	}
	return ms, err
}

// advance records a lane's progress and moves the stored watermark (from
// which a restart catches up) to the lane furthest behind.
func (s *Service) advance(l *lane, t time.Time) error {
	s.wmu.Lock()
	if t.After(l.done) {
		l.done = t
	}
	oldest := l.done
	for _, o := range s.lanes {
		if o.done.Before(oldest) {
			oldest = o.done
		}
	}
	s.wmu.Unlock()
	if oldest.IsZero() {
		return nil
	}
	return s.st.advance(oldest)
}
