package embedding

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"policysearch/index"
)

// planner turns queued documents into passages, finds which vectors are
// missing from the store, and queues only those inputs. A document whose
// every passage is stored is installed at once, with no request.
func (s *Service) planner(ctx context.Context) {
	for {
		s.mu.Lock()
		batch := s.intake
		s.intake, s.planning = nil, len(batch)
		stopped := s.stopped
		s.mu.Unlock()
		if stopped {
			return
		}
		for _, d := range batch {
			if err := s.plan(d); err != nil {
				s.fail([]string{d.ID}, err)
			}
		}
		s.mu.Lock()
		s.planning = 0
		s.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.planWake:
			}
		}
	}
}

func (s *Service) plan(d *index.Document) error {
	spans, ins, over := Inputs(s.model, s.cfg.PassagePrefix, d.Title, d.Text)
	p := &plan{spans: spans, hashes: make([]string, len(spans)), missing: map[string]bool{}, over: over}
	inputs := make(map[string]string, len(spans))
	for i, in := range ins {
		h := Hash(in)
		p.hashes[i] = h
		inputs[h] = in
	}
	if s.vecs.confirm(d.ID, spans, p.hashes) { // unchanged since the snapshot: no store read
		s.mu.Lock()
		if st := s.status[d.ID]; st != nil {
			st.Status, st.Passages, st.Error, st.UpdatedAt = "done", len(spans), "", time.Now().UTC()
		}
		s.mu.Unlock()
		return nil
	}
	have, err := s.store.Has(s.cfg.Model, p.hashes)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if old := s.plans[d.ID]; old != nil {
		s.unwaitLocked(d.ID, old)
	}
	for h := range inputs {
		if !have[h] {
			p.missing[h] = true
		}
	}
	if len(p.missing) == 0 {
		delete(s.plans, d.ID)
		s.mu.Unlock()
		return s.install(d.ID, p)
	}
	if s.source != nil {
		p.content = d.Hash // AddVectors fills it
		s.plans[d.ID] = p
		s.mu.Unlock()
		s.source.Want(d.ID, d.Hash)
		return nil
	}
	s.plans[d.ID] = p
	for h := range p.missing {
		if len(s.waiting[h]) == 0 && !s.inFlight[h] {
			s.jobs = append(s.jobs, job{hash: h, input: inputs[h]})
		}
		s.waiting[h] = append(s.waiting[h], d.ID)
	}
	s.mu.Unlock()
	signal(s.jobWake)
	return nil
}

// unwaitLocked detaches a superseded plan from the inputs it waited on.
func (s *Service) unwaitLocked(id string, p *plan) {
	for h := range p.missing {
		w := s.waiting[h]
		for i, x := range w {
			if x == id {
				w = append(w[:i], w[i+1:]...)
				break
			}
		}
		if len(w) == 0 {
			delete(s.waiting, h) // its job is skipped when a sender takes it
		} else {
			s.waiting[h] = w
		}
	}
}

// install loads a document's vectors from the store into the searchable set.
func (s *Service) install(id string, p *plan) error {
	vecs, err := s.store.Get(s.cfg.Model, p.hashes)
	if err != nil {
		return err
	}
	list := make([][]float32, len(p.hashes))
	for i, h := range p.hashes {
		v := vecs[h]
		if v == nil {
			return fmt.Errorf("vector %s vanished from the store", h[:12])
		}
		if _, _, dims := s.vecs.stats(); dims != 0 && len(v) != dims {
			return fmt.Errorf("stored vector has %d dimensions, the index holds %d", len(v), dims)
		}
		list[i] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status[id]
	if st == nil { // deleted while its vectors were loading
		return nil
	}
	s.vecs.set(id, p.spans, list, p.hashes)
	st.Status, st.Passages, st.Error, st.UpdatedAt = "done", len(list), "", time.Now().UTC()
	st.OverLimit = p.over
	return nil
}

// sender takes up to BatchSize queued inputs, waiting briefly so that a
// burst of small documents shares requests, and embeds them.
func (s *Service) sender(ctx context.Context) {
	for {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return
		}
		if len(s.jobs) > 0 && len(s.jobs) < s.cfg.BatchSize {
			s.mu.Unlock()
			select { // let a burst fill the batch
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
			s.mu.Lock()
		}
		var batch []job
		for len(s.jobs) > 0 && len(batch) < s.cfg.BatchSize {
			j := s.jobs[0]
			s.jobs = s.jobs[1:]
			// Skipped when nobody waits any more, or when a request for
			// the same input is out already.
			if len(s.waiting[j.hash]) > 0 && !s.inFlight[j.hash] {
				s.inFlight[j.hash] = true
				batch = append(batch, j)
			}
		}
		more := len(s.jobs) > 0
		s.mu.Unlock()
		if more {
			signal(s.jobWake)
		}
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.jobWake:
			}
			continue
		}
		s.embedBatch(ctx, batch)
	}
}

// embedBatch sends one batch with retries and files the vectors.
func (s *Service) embedBatch(ctx context.Context, batch []job) {
	inputs := make([]string, len(batch))
	for i, j := range batch {
		inputs[i] = j.input
	}
	vecs, err := s.embedWithRetry(ctx, inputs)
	if err == nil {
		got := map[string][]float32{}
		for i, j := range batch {
			got[j.hash] = vecs[i]
		}
		err = s.store.Put(s.cfg.Model, got)
	}
	s.mu.Lock()
	var ready []string
	var readyPlans []*plan
	var failed []string
	for _, j := range batch {
		for _, id := range s.waiting[j.hash] {
			p := s.plans[id]
			if p == nil {
				continue
			}
			if err != nil {
				s.unwaitLocked(id, p)
				delete(s.plans, id)
				failed = append(failed, id)
				continue
			}
			delete(p.missing, j.hash)
			if len(p.missing) == 0 {
				delete(s.plans, id)
				ready, readyPlans = append(ready, id), append(readyPlans, p)
			}
		}
		delete(s.waiting, j.hash)
		delete(s.inFlight, j.hash)
	}
	s.mu.Unlock()
	signal(s.room)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("embedding batch failed", "inputs", len(batch), "documents", len(failed), "err", err)
			s.fail(failed, err)
		}
		return
	}
	for i, id := range ready {
		if err := s.install(id, readyPlans[i]); err != nil {
			s.fail([]string{id}, err)
		}
	}
}

// embedWithRetry retries timeouts, 429s and 5xx with exponential backoff
// and jitter, waiting at least as long as a Retry-After asks.
func (s *Service) embedWithRetry(ctx context.Context, inputs []string) ([][]float32, error) {
	backoff := 500 * time.Millisecond
	var err error
	for attempt := 1; attempt <= s.cfg.MaxAttempts; attempt++ {
		var vecs [][]float32
		vecs, err = s.embed(ctx, inputs)
		if err == nil {
			return vecs, nil
		}
		var ee *EndpointError
		if !errors.As(err, &ee) || !ee.Retryable || attempt == s.cfg.MaxAttempts {
			return nil, err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		wait = max(wait, min(ee.RetryAfter, 2*time.Minute))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	return nil, err
}

// embed is one request, counted, with the dimension check that keeps
// vectors of another shape out of the store.
func (s *Service) embed(ctx context.Context, inputs []string) ([][]float32, error) {
	s.requests.Add(1)
	s.inputs.Add(int64(len(inputs)))
	start := time.Now()
	vecs, err := s.model.Embed(ctx, inputs)
	if fn := s.observe.Load(); fn != nil {
		(*fn)(time.Since(start), err)
	}
	if err == nil {
		if _, _, dims := s.vecs.stats(); dims != 0 && len(vecs[0]) != dims {
			err = &EndpointError{Msg: fmt.Sprintf("endpoint returned %d-dimensional vectors, the index holds %d; a different model needs a different model name", len(vecs[0]), dims)}
		} else if dims := s.store.Dims(s.cfg.Model); dims != 0 && len(vecs[0]) != dims {
			err = &EndpointError{Msg: fmt.Sprintf("endpoint returned %d-dimensional vectors, the store holds %d for this model", len(vecs[0]), dims)}
		}
	}
	if err != nil {
		s.failures.Add(1)
		return nil, err
	}
	return vecs, nil
}

// ObserveRequests has fn called after every request to the endpoint with
// its duration and error (metrics); it may be set while the service runs.
func (s *Service) ObserveRequests(fn func(time.Duration, error)) { s.observe.Store(&fn) }

func (s *Service) fail(ids []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if st := s.status[id]; st != nil {
			st.Status, st.Error, st.UpdatedAt = "failed", err.Error(), time.Now().UTC()
		}
	}
}

// RetryFailed queues every failed document again and says how many.
func (s *Service) RetryFailed(ctx context.Context, docs Docs) (int, error) {
	s.mu.Lock()
	var ids []string
	for id, st := range s.status {
		if st.Status == "failed" {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		d, err := docs.Get(ctx, id)
		if err != nil {
			continue // deleted since
		}
		s.Enqueue(d)
	}
	return len(ids), nil
}
