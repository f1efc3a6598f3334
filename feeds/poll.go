package feeds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"policysearch/index"
)

const (
	// maxSeen bounds the remembered items of one feed: those in the feed
	// now plus the most recent others, so an item that drops out and
	// comes back soon is still known, and memory stays flat.
	maxSeen = 1000
	// putBatch is how many articles one Put carries, so the first ones of
	// a long feed become searchable while the rest are fetched.
	putBatch = 16
	// maxRefetch bounds the articles fetched again in one poll, so a
	// feed's whole backlog coming due at once is spread over polls.
	maxRefetch = 10
	// acceptFeed and acceptPage are the Accept headers of the two kinds
	// of request.
	acceptFeed = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
	acceptPage = "text/html, application/xhtml+xml, application/pdf;q=0.9, */*;q=0.5"
)

// outcome is what one poll found, applied to the feed under the lock.
type outcome struct {
	notModified                   bool
	title, etag, lastModified     string
	seen                          map[string]string
	order                         []string
	fetched                       map[string]int64
	newItems, added, updated, fbk int
	refetched                     int
	retryAfter                    time.Duration
}

// Poll runs one sync step for feed id: a conditional GET of the feed
// (unconditional when an article is due to be fetched again), then every
// item not seen before, changed since, or whose article was fetched
// longer than RefetchAfter ago (a few per poll) is fetched,
// extracted and put, and the watermark is saved. Running it again at once
// changes nothing. The scheduler calls it; tests and "poll now" may too.
// The error, if any, is also recorded in the feed's status.
func (s *Service) Poll(ctx context.Context, id string) error {
	s.mu.Lock()
	f, ok := s.feeds[id]
	if !ok {
		s.mu.Unlock()
		return &index.Error{Kind: index.NotFound, Code: "not_found", Message: fmt.Sprintf("no feed with id %q", id)}
	}
	if s.running[id] {
		s.mu.Unlock()
		return &index.Error{Kind: index.Conflict, Code: "poll_running", Message: "this feed is being polled already"}
	}
	s.running[id] = true
	sub, etag, lm := f.Subscription, f.ETag, f.LastModified
	seen, order, fetched := maps.Clone(f.Seen), slices.Clone(f.SeenOrder), maps.Clone(f.Fetched)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, id)
		s.mu.Unlock()
		s.trigger() // the scheduler re-plans around this feed's new next poll
	}()

	start := time.Now()
	if s.refetchDue(fetched, s.clock()) {
		etag, lm = "", "" // the items are needed even if the feed has not changed
	}
	out, err := s.pollOnce(ctx, sub, etag, lm, pollState{seen, order, fetched})
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: not the feed's failure
	}
	s.record(id, out, err)
	if err != nil {
		s.cfg.Log.Warn("feed poll failed", "feed", sub.URL, "err", err)
	} else if out.added+out.updated > 0 {
		s.cfg.Log.Info("feed polled", "feed", sub.URL, "new_items", out.newItems, "added", out.added, "updated", out.updated, "refetched", out.refetched,
			"took", time.Since(start).Round(time.Millisecond))
	}
	return err
}

// record applies a poll's outcome to the feed's status and watermark and
// saves them. On failure the next poll is backed off exponentially.
func (s *Service) record(id string, out *outcome, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.polls != nil {
		s.polls.Inc()
	}
	if err != nil && s.errors != nil {
		s.errors.Inc()
	}
	f, ok := s.feeds[id]
	if !ok {
		return // unsubscribed meanwhile
	}
	now := time.Now().UTC()
	f.Polls++
	f.LastPoll = now
	if out != nil {
		if out.title != "" {
			f.Title = out.title
		}
		f.ItemsSeen += out.newItems
		f.ItemsAdded += out.added
		f.ItemsUpdated += out.updated
		f.ItemsRefetched += out.refetched
		f.PageFallbacks += out.fbk
		if out.seen != nil {
			// Items put before a failure count as seen: Put is idempotent,
			// so keeping them only saves fetches.
			f.Seen, f.SeenOrder, f.Fetched = out.seen, out.order, out.fetched
		}
	}
	if err != nil {
		f.ConsecutiveFailures++
		f.LastError = err.Error()
		f.LastErrorAt = now
		wait := backoff(time.Duration(f.Interval), f.ConsecutiveFailures, s.cfg.MaxBackoff)
		if out != nil && out.retryAfter > wait {
			wait = min(out.retryAfter, s.cfg.MaxBackoff)
		}
		f.NextPoll = now.Add(wait)
	} else {
		f.ConsecutiveFailures = 0
		f.LastSuccess = now
		if out.notModified {
			f.NotModified++
		} else {
			f.ETag, f.LastModified = out.etag, out.lastModified
		}
		f.NextPoll = now.Add(time.Duration(f.Interval))
	}
	if err := s.st.save(f); err != nil {
		s.cfg.Log.Error("save feed state", "feed", f.URL, "err", err)
	}
}

// backoff is interval × 2^failures, capped.
func backoff(interval time.Duration, failures int, limit time.Duration) time.Duration {
	d := interval
	for i := 0; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// pollState is what a poll reads and updates of a feed's watermark.
type pollState struct {
	seen    map[string]string
	order   []string
	fetched map[string]int64
}

// refetchDue reports whether some article of the feed is due to be
// fetched again.
func (s *Service) refetchDue(fetched map[string]int64, now time.Time) bool {
	if s.cfg.RefetchAfter < 0 {
		return false
	}
	for _, at := range fetched {
		if now.Sub(time.Unix(at, 0)) >= s.cfg.RefetchAfter {
			return true
		}
	}
	return false
}

func (s *Service) pollOnce(ctx context.Context, sub Subscription, etag, lm string, st pollState) (*outcome, error) {
	seen, order, fetched := st.seen, st.order, st.fetched
	u, err := checkURL(sub.URL, s.cfg.AllowPrivate)
	if err != nil {
		return nil, err
	}
	resp, err := s.fetch(ctx, u, acceptFeed, etag, lm, s.cfg.MaxFeedBytes)
	if err != nil {
		return nil, err
	}
	out := &outcome{retryAfter: resp.retryAfter}
	switch {
	case resp.status == http.StatusNotModified:
		out.notModified = true
		return out, nil
	case resp.status != http.StatusOK:
		return out, fmt.Errorf("feed answered %d %s", resp.status, http.StatusText(resp.status))
	}
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(resp.body))
	if err != nil {
		return out, fmt.Errorf("cannot read the feed: %v", err)
	}
	out.title, out.etag, out.lastModified = strings.TrimSpace(parsed.Title), resp.etag, resp.lastModified
	if seen == nil {
		seen = map[string]string{}
	}
	if fetched == nil {
		fetched = map[string]int64{}
	}
	now := s.clock()
	base, _ := url.Parse(resp.finalURL)
	if l, err := url.Parse(parsed.Link); err == nil && l.IsAbs() {
		base = l // item links are relative to the site, when they are
	}

	var batch []index.Document
	var keys []string // item keys of the batch, marked seen once it is put
	hashes := map[string]string{}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := s.ix.Put(ctx, batch)
		if err != nil {
			return fmt.Errorf("index articles: %w", err)
		}
		for _, r := range res {
			switch r.Status {
			case index.Added:
				out.added++
			case index.Updated:
				out.updated++
			}
		}
		for _, k := range keys {
			seen[k], fetched[k] = hashes[k], now.Unix()
		}
		batch, keys = batch[:0], keys[:0]
		return nil
	}
	current := make([]string, 0, len(parsed.Items))
	// Feeds list newest first; oldest first makes a long backlog land in
	// publication order.
	for i := len(parsed.Items) - 1; i >= 0; i-- {
		it := parsed.Items[i]
		if it == nil {
			continue
		}
		key, hash := itemKey(it), itemHash(it)
		current = append(current, key)
		old, known := seen[key]
		at, fetchedBefore := fetched[key]
		refetch := false
		if known && old == hash {
			if !fetchedBefore { // remembered from before fetch times were kept
				fetched[key] = now.Unix()
			}
			if !fetchedBefore || s.cfg.RefetchAfter < 0 || now.Sub(time.Unix(at, 0)) < s.cfg.RefetchAfter || out.refetched == maxRefetch {
				continue
			}
			refetch = true
			out.refetched++
		}
		if !known {
			out.newItems++
		}
		doc, fellBack := s.article(ctx, sub, out.title, base, it, key)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if fellBack && refetch {
			// The page failed this time; the article indexed before is
			// better than the item's summary. Try again after RefetchAfter.
			fetched[key] = now.Unix()
			continue
		}
		if fellBack {
			out.fbk++
		}
		check := doc
		if err := check.Normalize(); err != nil {
			// An item with neither title nor text: nothing to index, and
			// retrying will not help.
			s.cfg.Log.Warn("feed item skipped", "feed", sub.URL, "item", key, "err", err)
			seen[key], fetched[key] = hash, now.Unix()
			continue
		}
		batch = append(batch, doc)
		keys = append(keys, key)
		hashes[key] = hash
		if len(batch) >= putBatch {
			if err := flush(); err != nil {
				out.seen, out.order, out.fetched = trimSeen(seen, current, order, fetched)
				return out, err
			}
		}
	}
	err = flush()
	out.seen, out.order, out.fetched = trimSeen(seen, current, order, fetched)
	return out, err
}

// trimSeen keeps the items of the feed as it is now, then the most
// recently seen others, up to maxSeen; fetch times only for the items of
// the feed now, since only those are fetched again.
func trimSeen(seen map[string]string, current, order []string, fetched map[string]int64) (map[string]string, []string, map[string]int64) {
	inFeed := make(map[string]int64, len(current))
	for _, k := range current {
		if at, ok := fetched[k]; ok {
			inFeed[k] = at
		}
	}
	slices.Reverse(current) // back to the feed's own order, newest first
	keep := make([]string, 0, min(maxSeen, len(current)+len(order)))
	in := map[string]bool{}
	for _, list := range [][]string{current, order} {
		for _, k := range list {
			if len(keep) == maxSeen {
				break
			}
			if _, ok := seen[k]; ok && !in[k] {
				in[k] = true
				keep = append(keep, k)
			}
		}
	}
	out := make(map[string]string, len(keep))
	for _, k := range keep {
		out[k] = seen[k]
	}
	return out, keep, inFeed
}

// itemKey names an item across polls: its GUID, else its link, else a
// hash of its title and content.
func itemKey(it *gofeed.Item) string {
	switch {
	case strings.TrimSpace(it.GUID) != "":
		return "guid:" + strings.TrimSpace(it.GUID)
	case strings.TrimSpace(it.Link) != "":
		return "link:" + strings.TrimSpace(it.Link)
	}
	sum := sha256.Sum256([]byte(it.Title + "\x00" + it.Description + "\x00" + it.Content))
	return "hash:" + hex.EncodeToString(sum[:12])
}

// itemHash changes when the publisher changes the item, so an updated
// article is fetched again.
func itemHash(it *gofeed.Item) string {
	h := sha256.New()
	for _, s := range []string{it.Title, it.Link, it.Updated, it.Published, it.Description, it.Content} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
