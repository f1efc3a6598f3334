package replica

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"policysearch/index"
)

// lookupTimeout bounds Last and Latest, the reads a write makes before it
// appends: enough for a stream leader election (2–8 s measured after a
// kill -9). A write through a node is thus answered within lookupTimeout
// + appendTimeout + the apply wait.
const lookupTimeout = 10 * time.Second

// Last is the stream's last sequence, read from its leader; while the
// stream elects a leader it retries up to lookupTimeout.
func (n *Node) Last(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	var last uint64
	err := n.retry(ctx, func(ctx context.Context) error {
		s, err := n.js.Stream(ctx, n.cfg.Stream)
		if err != nil {
			return err
		}
		last = s.CachedInfo().State.LastSeq
		return nil
	})
	return last, err
}

// Latest is the newest entry on id's subject: the document's current
// version or its tombstone, whatever this node has applied so far.
func (n *Node) Latest(ctx context.Context, id string) (index.LogOp, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	var op index.LogOp
	found := false
	err := n.retry(ctx, func(ctx context.Context) error {
		s, err := n.js.Stream(ctx, n.cfg.Stream)
		if err != nil {
			return err
		}
		m, err := s.GetLastMsgForSubject(ctx, n.subjectFor(id))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(m.Data, &op); err != nil {
			// Every node passes over such an entry (apply): the log
			// says nothing about the document.
			n.log.Error("log entry does not decode", "sequence", m.Sequence, "id", id, "err", err)
			return nil
		}
		found = true
		return nil
	})
	return op, found, err
}

// retry runs fn, each try bounded to 2 s, until it succeeds or ctx ends,
// at most appendTimeout (a stream leader election, a server gone); the
// error then is the Unavailable one a client may retry.
func (n *Node) retry(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	wait := 100 * time.Millisecond
	for {
		tctx, tcancel := context.WithTimeout(ctx, 2*time.Second)
		err := fn(tctx)
		tcancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return &index.Error{Kind: index.Unavailable, Code: "log_unavailable",
				Message: "the cluster's write log did not acknowledge the write; retry it", Err: err}
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}
