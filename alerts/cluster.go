package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"

	"policysearch/index"
)

// Log is a cluster's write log (package replica provides one). With a
// log set, creating and deleting an alert go through it and every node
// applies them (ApplyRecord): any node serves any alert and its feed.
// Webhooks are then sent by one node only (Config.NoDelivery on the
// others), or each match would be posted once per node.
type Log interface {
	AppendRecord(ctx context.Context, kind, id string, data []byte) (uint64, error)
	// LatestRecord is the log's newest entry for id: nil data for a
	// tombstone, found false when the log has none.
	LatestRecord(ctx context.Context, kind, id string) (data []byte, found bool, err error)
	// WaitApplied waits, within a bound, until this node has applied seq.
	WaitApplied(ctx context.Context, seq uint64) bool
}

// LogKind names saved alerts in the log's subjects.
const LogKind = "alert"

// SetLog routes Create and Delete through l. Call before Start.
func (s *Service) SetLog(l Log) { s.log = l }

// logCreate appends a validated alert, secret included (the delivering
// node signs with it), and waits for this node to apply it.
func (s *Service) logCreate(ctx context.Context, a Alert) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	seq, err := s.log.AppendRecord(ctx, LogKind, a.ID, data)
	if err != nil {
		return err
	}
	s.log.WaitApplied(ctx, seq)
	return nil
}

// logDelete appends the alert's tombstone. Whether the alert exists is
// decided against the log, not this node's copy, which may not have
// applied a create through another node yet.
func (s *Service) logDelete(ctx context.Context, id string) error {
	if !idPattern.MatchString(id) {
		return notFound(id)
	}
	data, found, err := s.log.LatestRecord(ctx, LogKind, id)
	if err != nil {
		return err
	}
	if !found || data == nil {
		return notFound(id)
	}
	seq, err := s.log.AppendRecord(ctx, LogKind, id, nil)
	if err != nil {
		return err
	}
	s.log.WaitApplied(ctx, seq)
	return nil
}

// ApplyRecord applies an alert entry of the cluster's log: the alert's
// definition (this node keeps its own match counts and delivery state),
// or with nil data its deletion.
func (s *Service) ApplyRecord(id string, data []byte) error {
	if !idPattern.MatchString(id) {
		return nil
	}
	if data == nil {
		err := s.st.deleteAlert(id)
		s.mu.Lock()
		delete(s.active, id)
		s.mu.Unlock()
		if index.KindOf(err) == index.NotFound {
			return nil
		}
		return err
	}
	var a Alert
	if err := json.Unmarshal(data, &a); err != nil || a.ID != id {
		return nil // passed over on every node alike
	}
	old, err := s.st.getAlert(id)
	switch {
	case err == nil:
		a.Matches, a.LastMatch, a.LastDelivery = old.Matches, old.LastMatch, old.LastDelivery
	case index.KindOf(err) != index.NotFound:
		return err
	}
	if err := s.st.putAlert(a); err != nil {
		return err
	}
	if err := s.activate(a); err != nil {
		s.cfg.Log.Warn("alert from the log does not parse here; it will not match", "alert", id, "err", err)
	}
	return nil
}

// EachRecord calls fn with every alert's id and full definition, secret
// included, as the log carries it (to refill a cluster's log).
func (s *Service) EachRecord(fn func(id string, data []byte) error) error {
	all, err := s.st.list()
	if err != nil {
		return err
	}
	for _, a := range all {
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := fn(a.ID, data); err != nil {
			return err
		}
	}
	return nil
}

// entryID names the match of an alert with a document's content: the
// same on every node, and as a webhook delivery id the same however
// often it is retried. One delivery per (alert, document, content hash).
func entryID(alertID, docID, hash string) string {
	sum := sha256.Sum256([]byte(alertID + "\x00" + docID + "\x00" + hash))
	return strings.ToLower(b32.EncodeToString(sum[:]))[:24]
}
