package alerts

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"policysearch/index"
)

// matchBatch bounds how many documents one round of matching takes: the
// ids go into one query per alert.
const matchBatch = 256

// Start begins matching and delivering in the background until ctx ends;
// Close waits for it. It first catches up with documents indexed while
// the service was not running (a crash, or a CLI add with the server
// down), then resumes deliveries left in the outbox.
func (s *Service) Start(ctx context.Context) {
	s.start.Do(func() {
		for _, l := range s.lanes {
			s.wg.Go(func() { s.matcher(ctx, l) })
		}
		s.wg.Go(func() { s.retrier(ctx) })
		if !s.cfg.NoDelivery {
			s.wg.Go(func() { s.sender(ctx) })
		}
		if s.cfg.Vectors != nil {
			s.wg.Go(func() { s.semanticWaiter(ctx) })
		}
		s.wg.Go(func() { s.catchUp(ctx) })
	})
}

// OnChange is registered with the index. It queues the new and updated
// documents and returns at once: the write path never waits for matching.
func (s *Service) OnChange(ev index.ChangeEvent) {
	if len(ev.Put) == 0 {
		return
	}
	refs := make([]docRef, len(ev.Put))
	for i, d := range ev.Put {
		refs[i] = ref(d)
	}
	s.enqueue(refs, false)
}

func ref(d *index.Document) docRef {
	return docRef{id: d.ID, hash: d.Hash, indexedAt: d.IndexedAt, doc: d}
}

// catchUp queues stored documents indexed after the watermark. With no
// alerts there is nothing to catch up with (an alert created later only
// sees documents indexed after it), so the store is not read at all.
func (s *Service) catchUp(ctx context.Context) {
	if len(s.alerts()) == 0 {
		return
	}
	since := s.st.watermark()
	var refs []docRef
	err := s.ix.Walk(ctx, func(d *index.Document) error {
		if d.IndexedAt.After(since) {
			refs = append(refs, ref(d))
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Error("alerts: catch up with documents indexed while stopped", "err", err)
		}
		return
	}
	if len(refs) > 0 {
		s.cfg.Log.Info("alerts: matching documents indexed while stopped", "documents", len(refs))
		s.enqueue(refs, true)
	}
}

// matchDocs matches documents against every alert, lane by lane.
func (s *Service) matchDocs(ctx context.Context, docs ...docRef) error {
	for _, l := range s.lanes {
		if err := s.matchLane(ctx, l, docs); err != nil {
			return err
		}
	}
	return nil
}

// matchLane matches documents against the lane's alerts by keywords now,
// cheapest first, each within MatchTimeout; records and queues the
// matches; and (the plain lane) leaves documents that semantic alerts
// must compare waiting for their vectors. The documents are percolated:
// indexed in memory, so each alert's query looks at them only.
func (s *Service) matchLane(ctx context.Context, l *lane, docs []docRef) error {
	docs = latest(docs)
	if len(docs) == 0 {
		return nil
	}
	if !l.plain {
		s.yield(ctx)
	}
	byID := make(map[string]docRef, len(docs))
	list := make([]*index.Document, len(docs))
	newest := time.Time{}
	for i, d := range docs {
		byID[d.id], list[i] = d, d.doc
		if d.indexedAt.After(newest) {
			newest = d.indexedAt
		}
	}
	// The in-memory index is built for the first keyword alert that needs
	// it: without one, matching indexes nothing a second time.
	var perc *index.Percolator
	var running sync.WaitGroup
	defer func() { closeAfter(perc, &running) }()
	var err error
	var ps []pending
	anySemantic := false
	if l.plain {
		for _, a := range s.alerts() {
			anySemantic = anySemantic || (a.semantic && len(eligible(a, docs)) > 0)
		}
	}
	start, matched, cut := time.Now(), 0, 0
	for _, a := range l.alerts(s) {
		if !l.plain {
			s.yield(ctx)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ok := eligible(a, docs)
		if len(ok) == 0 || !a.keyword {
			continue
		}
		if perc == nil {
			if perc, err = s.ix.NewPercolator(list); err != nil {
				return err
			}
		}
		matched++
		ms, err := s.matchOne(ctx, perc, &running, a, len(docs), s.cfg.MatchTimeout)
		if errors.Is(err, errCut) {
			cut++
			s.behind(a, docs, ok)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			continue
		}
		for _, m := range ms {
			if ok[m.ID] {
				ps = append(ps, s.pendingFor(a, byID[m.ID], m))
			}
		}
	}
	if matched > 0 {
		s.cfg.Log.Info("alerts: lane matched documents", "lane", l.name(), "documents", len(docs),
			"alerts", matched, "cut", cut, "took", time.Since(start).Round(time.Millisecond))
	}
	if ps, err = s.stillIndexed(ctx, ps); err != nil {
		return err
	}
	if err := s.save(ps); err != nil {
		return err
	}
	if anySemantic {
		s.qmu.Lock()
		for _, d := range docs {
			s.waiting[d.id] = d
		}
		s.qmu.Unlock()
	}
	return s.advance(l, newest)
}

// stillIndexed drops matches of documents deleted since they changed.
func (s *Service) stillIndexed(ctx context.Context, ps []pending) ([]pending, error) {
	if len(ps) == 0 {
		return ps, nil
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.entry.Document.ID
	}
	exists, err := s.ix.Existing(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := ps[:0]
	for _, p := range ps {
		if exists[p.entry.Document.ID] {
			out = append(out, p)
		}
	}
	return out, nil
}

// latest keeps the last of several changes to one document.
func latest(docs []docRef) []docRef {
	seen := make(map[string]int, len(docs))
	out := make([]docRef, 0, len(docs))
	for _, d := range docs {
		if i, ok := seen[d.id]; ok {
			out[i] = d
			continue
		}
		seen[d.id] = len(out)
		out = append(out, d)
	}
	return out
}

// eligible are the documents indexed after the alert was created.
func eligible(a *active, docs []docRef) map[string]bool {
	ids := make(map[string]bool, len(docs))
	for _, d := range docs {
		if !d.indexedAt.Before(a.Created) {
			ids[d.id] = true
		}
	}
	return ids
}

func (s *Service) alerts() []*active {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*active, 0, len(s.active))
	for _, a := range s.active {
		out = append(out, a)
	}
	return out
}

func (s *Service) pendingFor(a *active, d docRef, m index.Match) pending {
	e := Entry{ID: entryID(a.ID, d.id, d.hash), AlertID: a.ID, MatchedAt: time.Now().UTC(),
		Document: Doc{ID: m.ID, Title: m.Title, URL: m.URL, Source: m.Source, Published: m.Published, ContentHash: d.hash},
		Match:    Evidence{Kind: m.Kind, Terms: m.Terms, Phrases: m.Phrases, Similarity: m.Similarity, Passage: m.Passage, PassageHTML: m.PassageHTML}}
	if s.cfg.BaseURL != "" {
		e.Document.Link = s.cfg.BaseURL + "/doc/" + url.PathEscape(m.ID)
	}
	return pending{entry: e, webhook: a.WebhookURL != "" && !s.cfg.NoDelivery}
}

// save records matches and wakes the sender for new deliveries.
func (s *Service) save(ps []pending) error {
	recorded, queued, err := s.st.record(ps, s.cfg.MaxEntries)
	if err != nil {
		return err
	}
	for _, e := range recorded {
		s.cfg.Log.Info("alert matched", "alert", e.AlertID, "doc", e.Document.ID, "kind", e.Match.Kind)
	}
	if queued > 0 {
		signal(s.sendWake)
	}
	return nil
}

// semanticWaiter compares documents with semantic alerts once their
// vectors exist. Embedding runs in the background after indexing, so a
// document waits here (up to SemanticWait) until its status is done.
func (s *Service) semanticWaiter(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	var retryAt time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Now().Before(retryAt) {
			continue
		}
		ready := s.readyForSemantic()
		if len(ready) == 0 {
			continue
		}
		if err := s.matchSemantic(ctx, ready); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.cfg.Log.Warn("alerts: semantic matching failed; retrying", "documents", len(ready), "err", err)
			retryAt = time.Now().Add(5 * time.Second)
			s.qmu.Lock()
			for _, d := range ready {
				if _, newer := s.waiting[d.id]; !newer {
					s.waiting[d.id] = d
				}
			}
			s.qmu.Unlock()
		}
	}
}

// readyForSemantic takes the waiting documents whose vectors are in, and
// drops those deleted, failed or waiting too long.
func (s *Service) readyForSemantic() []docRef {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	var ready []docRef
	for id, d := range s.waiting {
		st := s.cfg.Vectors.DocStatus(id)
		switch {
		case st == nil:
			delete(s.waiting, id)
		case time.Since(d.indexedAt) > s.cfg.SemanticWait:
			s.cfg.Log.Warn("alerts: gave up waiting for a document's vectors", "doc", id, "status", st.Status)
			delete(s.waiting, id)
		case st.Status == "done" && !st.UpdatedAt.Before(d.indexedAt):
			ready = append(ready, d)
			delete(s.waiting, id)
		case st.Status == "failed":
			s.cfg.Log.Warn("alerts: document could not be embedded; semantic alerts skip it", "doc", id, "err", st.Error)
			delete(s.waiting, id)
		}
	}
	return ready
}

func (s *Service) matchSemantic(ctx context.Context, docs []docRef) error {
	byID := make(map[string]docRef, len(docs))
	for _, d := range docs {
		byID[d.id] = d
	}
	var ps []pending
	for _, a := range s.alerts() {
		if !a.semantic {
			continue
		}
		ok := eligible(a, docs)
		if len(ok) == 0 {
			continue
		}
		ids := make([]string, 0, len(ok))
		for id := range ok {
			ids = append(ids, id)
		}
		ms, err := s.ix.MatchSemantic(ctx, a.q, ids, a.Threshold)
		if err != nil {
			if len(ps) > 0 {
				_ = s.save(ps) // keep what matched before the failure
			}
			return err
		}
		for _, m := range ms {
			ps = append(ps, s.pendingFor(a, byID[m.ID], m))
		}
	}
	return s.save(ps)
}
