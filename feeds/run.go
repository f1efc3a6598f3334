package feeds

import (
	"context"
	"sync"
	"time"
)

// Run polls every feed when it is due until ctx is done, then waits for
// the polls in flight to stop and returns nil. It sleeps until the
// earliest next poll, or until a subscription change wakes it. At most
// Config.Concurrency feeds poll at once.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, s.cfg.Concurrency)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-s.wake:
		}
		now := time.Now()
		due, next := s.due(now)
		for _, id := range due {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			s.mu.Lock()
			busy := s.running[id]
			s.mu.Unlock()
			if busy {
				<-slots
				continue
			}
			wg.Go(func() {
				defer func() { <-slots }()
				_ = s.Poll(ctx, id) // recorded in the feed's status
			})
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), 10*time.Millisecond)
		}
		timer.Reset(wait)
	}
}

// due lists the feeds whose next poll has come and are not being polled,
// and when the next of the others is due.
func (s *Service) due(now time.Time) (ids []string, next time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, f := range s.feeds {
		if s.running[id] {
			continue
		}
		if !f.NextPoll.After(now) {
			ids = append(ids, id)
			continue
		}
		if next.IsZero() || f.NextPoll.Before(next) {
			next = f.NextPoll
		}
	}
	return ids, next
}
