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

// EmbedDocument is one node's share of the cluster's work: the vectors of
// every passage of d, in passage order with their input hashes. Vectors
// this node has stored cost nothing; the others are requested from the
// model in batches (retried as for background embedding) and stored.
func (s *Service) EmbedDocument(ctx context.Context, d *index.Document) (hashes []string, vecs [][]float32, err error) {
	_, ins, _ := Inputs(s.model, s.cfg.PassagePrefix, d.Title, d.Text)
	hashes = make([]string, len(ins))
	for i, in := range ins {
		hashes[i] = Hash(in)
	}
	have, err := s.store.Get(s.cfg.Model, hashes)
	if err != nil {
		return nil, nil, err
	}
	var todo []string
	var todoHashes []string
	seen := map[string]bool{}
	for i, h := range hashes {
		if have[h] == nil && !seen[h] {
			seen[h] = true
			todo, todoHashes = append(todo, ins[i]), append(todoHashes, h)
		}
	}
	for start := 0; start < len(todo); start += s.cfg.BatchSize {
		end := min(start+s.cfg.BatchSize, len(todo))
		got, err := s.embedWithRetry(ctx, todo[start:end])
		if err != nil {
			return nil, nil, err
		}
		batch := make(map[string][]float32, len(got))
		for i, v := range got {
			batch[todoHashes[start+i]] = v
			have[todoHashes[start+i]] = v
		}
		if err := s.store.Put(s.cfg.Model, batch); err != nil {
			return nil, nil, err
		}
	}
	vecs = make([][]float32, len(hashes))
	for i, h := range hashes {
		vecs[i] = have[h]
	}
	return hashes, vecs, nil
}

// AddVectors stores vectors another node computed for document id at
// content hash, and makes the document searchable by meaning once none of
// its passages lacks one. Vectors of another shape than the stored ones
// are refused.
func (s *Service) AddVectors(id, contentHash string, hashes []string, vecs [][]float32) error {
	if len(hashes) != len(vecs) {
		return fmt.Errorf("vectors for %q: %d hashes, %d vectors", id, len(hashes), len(vecs))
	}
	dims := s.store.Dims(s.cfg.Model)
	if _, _, d := s.vecs.stats(); d != 0 {
		dims = d
	}
	got := make(map[string][]float32, len(vecs))
	for i, v := range vecs {
		if len(v) == 0 || (dims != 0 && len(v) != dims) {
			return fmt.Errorf("vectors for %q have %d dimensions, this node holds %d", id, len(v), dims)
		}
		got[hashes[i]] = v
	}
	if err := s.store.Put(s.cfg.Model, got); err != nil {
		return err
	}
	s.mu.Lock()
	p := s.plans[id]
	if p == nil || p.content != contentHash {
		s.mu.Unlock()
		return nil
	}
	for h := range got {
		delete(p.missing, h)
	}
	if len(p.missing) > 0 {
		s.mu.Unlock()
		return nil
	}
	delete(s.plans, id)
	s.mu.Unlock()
	return s.install(id, p)
}
