package replica

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"policysearch/index"
)

// Embeddings is a node's embedding service as the cluster uses it
// (embedding.Service is one): documents are embedded once per cluster and
// their vectors travel through the log to every node.
type Embeddings interface {
	Model() string
	// Missing reports whether document id at content hash still waits
	// for vectors here.
	Missing(id, contentHash string) bool
	// EmbedDocuments returns, for each document, the input hash and
	// vector of every passage.
	EmbedDocuments(ctx context.Context, docs []*index.Document) (hashes [][]string, vecs [][][]float32, err error)
	// AddVectors takes vectors of documents, each for a content hash.
	AddVectors(sets []index.DocVectors) error
}

// vectorsMsg is one part of a document's vectors in the log, on subject
// <stream>.vec.<hash of id>.<part>; one part unless the vectors exceed
// what one message may carry. It is applied only where the document's
// content hash and the model match.
type vectorsMsg struct {
	ID          string   `json:"id"`
	ContentHash string   `json:"content_hash"`
	Model       string   `json:"model"`
	Part        int      `json:"part"`
	Parts       int      `json:"parts"`
	Hashes      []string `json:"input_hashes"`
	Vectors     [][]byte `json:"vectors"` // little-endian float32s
}

func (m *vectorsMsg) floats() ([][]float32, error) {
	out := make([][]float32, len(m.Vectors))
	for i, b := range m.Vectors {
		if len(b)%4 != 0 {
			return nil, fmt.Errorf("vector %d of %q is %d bytes, not float32s", i, m.ID, len(b))
		}
		v := make([]float32, len(b)/4)
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		}
		out[i] = v
	}
	return out, nil
}

func (n *Node) vecSubject(id string, part int) string {
	return n.vecPrefix + "." + subjectToken(id) + "." + strconv.Itoa(part)
}

// vectorMsgs cuts a document's vectors into messages of at most half the
// server's payload limit.
func (n *Node) vectorMsgs(d *index.Document, model string, hashes []string, vecs [][]float32) ([]*nats.Msg, error) {
	per := 1
	if len(vecs) > 0 {
		size := len(vecs[0])*4*4/3 + len(hashes[0]) + 16 // base64 and quoting
		per = max(1, int(n.nc.MaxPayload()/2)/size)
	}
	parts := max(1, (len(vecs)+per-1)/per)
	batch := newMsgID()
	msgs := make([]*nats.Msg, 0, parts)
	for p := range parts {
		lo, hi := p*per, min((p+1)*per, len(vecs))
		m := vectorsMsg{ID: d.ID, ContentHash: d.Hash, Model: model, Part: p, Parts: parts, Hashes: hashes[lo:hi]}
		for _, v := range vecs[lo:hi] {
			b := make([]byte, 4*len(v))
			for j, x := range v {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(x))
			}
			m.Vectors = append(m.Vectors, b)
		}
		data, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		msg := &nats.Msg{Subject: n.vecSubject(d.ID, p), Data: data, Header: nats.Header{}}
		// A retried publish is stored once; a job made again (ask) must
		// publish anew, so the id is not derived from the content.
		msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("vec-%s-%d", batch, p))
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// applyVectors hands vectors from the log to the embedding service, after
// the documents of the same batch and in one store transaction: vectors
// for a content hash the node no longer holds (changed or deleted since)
// are dropped.
func (n *Node) applyVectors(ctx context.Context, msgs []vectorsMsg) {
	if n.emb == nil {
		return
	}
	var keep []vectorsMsg
	for _, m := range msgs {
		if m.Model != n.emb.Model() {
			continue
		}
		d, err := n.ix.Get(ctx, m.ID)
		if err != nil || d.Hash != m.ContentHash {
			continue
		}
		keep = append(keep, m)
	}
	if err := n.addVectors(keep); err != nil {
		n.log.Warn("vectors from the log not applied; asked for again when their documents are planned", "documents", len(keep), "err", err)
	}
}

func (n *Node) addVectors(msgs []vectorsMsg) error {
	sets := make([]index.DocVectors, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		vecs, err := m.floats()
		if err != nil {
			return err
		}
		if len(vecs) != len(m.Hashes) {
			return fmt.Errorf("%q: %d vectors for %d input hashes", m.ID, len(vecs), len(m.Hashes))
		}
		sets = append(sets, index.DocVectors{ID: m.ID, ContentHash: m.ContentHash, Hashes: m.Hashes, Vectors: vecs})
	}
	if len(sets) == 0 {
		return nil
	}
	return n.emb.AddVectors(sets)
}

// loggedVectors reads the vectors the log holds for document id at
// content hash: every part, or ok false when any is missing or is for
// another content or model.
func (n *Node) loggedVectors(ctx context.Context, id, contentHash string) (parts []vectorsMsg, ok bool, err error) {
	s, err := n.js.Stream(ctx, n.cfg.Stream)
	if err != nil {
		return nil, false, err
	}
	for p, total := 0, 1; p < total; p++ {
		raw, err := s.GetLastMsgForSubject(ctx, n.vecSubject(id, p))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		var m vectorsMsg
		if err := json.Unmarshal(raw.Data, &m); err != nil || m.ID != id || m.ContentHash != contentHash || m.Model != n.emb.Model() || m.Parts < 1 {
			return nil, false, nil
		}
		total = m.Parts
		parts = append(parts, m)
	}
	return parts, true, nil
}
