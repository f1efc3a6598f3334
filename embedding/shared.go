package embedding

import (
	"context"
	"fmt"

	"policysearch/index"
)

// Source delivers the vectors a document lacks from elsewhere than this
// process's model: a cluster's shared work queue (package replica), where
// one node embeds each document for all. With a source set the service
// never embeds documents itself; its model still embeds queries.
type Source interface {
	// Want asks for the vectors of document id at content hash; they
	// come back through AddVectors. It must not block.
	Want(id, contentHash string)
}

// SetSource hands the embedding of documents to src. Call before Start.
func (s *Service) SetSource(src Source) { s.source = src }

// Missing reports whether document id at content hash still waits for
// vectors on this node.
func (s *Service) Missing(id, contentHash string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.plans[id]
	return p != nil && p.content == contentHash && len(p.missing) > 0
}

// EmbedDocuments is one node's share of the cluster's work: for each
// document the vectors of every passage, in passage order with their
// input hashes. Vectors this node has stored cost nothing; the others
// are requested from the model together, in batches of BatchSize
// (retried as for background embedding), and stored.
func (s *Service) EmbedDocuments(ctx context.Context, docs []*index.Document) (hashes [][]string, vecs [][][]float32, err error) {
	hashes = make([][]string, len(docs))
	inputs := map[string]string{}
	var all []string
	for i, d := range docs {
		_, ins, _ := Inputs(s.model, s.cfg.PassagePrefix, d.Title, d.Text)
		hashes[i] = make([]string, len(ins))
		for k, in := range ins {
			h := Hash(in)
			hashes[i][k] = h
			if _, seen := inputs[h]; !seen {
				inputs[h] = in
				all = append(all, h)
			}
		}
	}
	have, err := s.store.Get(s.cfg.Model, all)
	if err != nil {
		return nil, nil, err
	}
	var todo []string // hashes, in first-seen order
	for _, h := range all {
		if have[h] == nil {
			todo = append(todo, h)
		}
	}
	for start := 0; start < len(todo); start += s.cfg.BatchSize {
		part := todo[start:min(start+s.cfg.BatchSize, len(todo))]
		texts := make([]string, len(part))
		for i, h := range part {
			texts[i] = inputs[h]
		}
		got, err := s.embedWithRetry(ctx, texts)
		if err != nil {
			return nil, nil, err
		}
		batch := make(map[string][]float32, len(got))
		for i, v := range got {
			batch[part[i]], have[part[i]] = v, v
		}
		if err := s.store.Put(s.cfg.Model, batch); err != nil {
			return nil, nil, err
		}
	}
	vecs = make([][][]float32, len(docs))
	for i := range docs {
		vecs[i] = make([][]float32, len(hashes[i]))
		for k, h := range hashes[i] {
			vecs[i][k] = have[h]
		}
	}
	return hashes, vecs, nil
}

// AddVectors stores vectors other nodes computed, in one transaction,
// and makes each document searchable by meaning once none of its
// passages lacks one (for the content hash the vectors are for). Vectors
// of another shape than the stored ones are refused, the whole call.
func (s *Service) AddVectors(sets []index.DocVectors) error {
	dims := s.store.Dims(s.cfg.Model)
	if _, _, d := s.vecs.stats(); d != 0 {
		dims = d
	}
	got := map[string][]float32{}
	for _, set := range sets {
		if len(set.Hashes) != len(set.Vectors) {
			return fmt.Errorf("vectors for %q: %d hashes, %d vectors", set.ID, len(set.Hashes), len(set.Vectors))
		}
		for i, v := range set.Vectors {
			if len(v) == 0 || (dims != 0 && len(v) != dims) {
				return fmt.Errorf("vectors for %q have %d dimensions, this node holds %d", set.ID, len(v), dims)
			}
			got[set.Hashes[i]] = v
		}
	}
	if len(got) == 0 {
		return nil
	}
	if err := s.store.Put(s.cfg.Model, got); err != nil {
		return err
	}
	var ready []string
	var plans []*plan
	s.mu.Lock()
	for _, set := range sets {
		p := s.plans[set.ID]
		if p == nil || p.content != set.ContentHash {
			continue
		}
		for _, h := range set.Hashes {
			delete(p.missing, h)
		}
		if len(p.missing) == 0 {
			delete(s.plans, set.ID)
			ready, plans = append(ready, set.ID), append(plans, p)
		}
	}
	s.mu.Unlock()
	signal(s.room)
	for i, id := range ready {
		if err := s.install(id, plans[i]); err != nil {
			s.fail([]string{id}, err)
		}
	}
	return nil
}
