package replica

import (
	"context"
	"fmt"

	"policysearch/index"
)

// refillBatch is how many documents one Append of a refill carries.
const refillBatch = 500

// RecordSet is one kind of record a refill publishes besides documents:
// a node's snapshots or saved alerts (see HandleRecords).
type RecordSet struct {
	Kind string
	// Each calls fn with every record's id and data.
	Each func(fn func(id string, data []byte) error) error
}

// Refill publishes every document of the node's store to the log, which
// must be empty, and then the records of sets; the node must not be
// running (Run), as in the relog command: the way back when the stream
// was lost or is suspect (see docs/SCALING.md). The store's applied mark
// is then reset, so this node applies the new log from its start like the
// others. It returns how many documents and records it published and the
// log's last sequence. Vectors are not published: every node keeps its
// own, and a new node's jobs find them in the worker's embedding store.
func (n *Node) Refill(ctx context.Context, sets ...RecordSet) (int, uint64, error) {
	s, err := n.js.Stream(ctx, n.cfg.Stream)
	if err != nil {
		return 0, 0, err
	}
	if last := s.CachedInfo().State.LastSeq; last > 0 {
		return 0, 0, fmt.Errorf("stream %s already holds entries up to sequence %d; refill only into an empty stream (delete it first)", n.cfg.Stream, last)
	}
	var ops []index.LogOp
	count := 0
	var seq uint64
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		s, err := n.Append(ctx, ops)
		if err != nil {
			return err
		}
		count, seq, ops = count+len(ops), s, ops[:0]
		return nil
	}
	err = n.ix.Walk(ctx, func(d *index.Document) error {
		ops = append(ops, index.LogOp{Put: d})
		if len(ops) == refillBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	for _, set := range sets {
		if err != nil {
			break
		}
		err = set.Each(func(id string, data []byte) error {
			s, err := n.AppendRecord(ctx, set.Kind, id, data)
			if err == nil {
				count, seq = count+1, s
			}
			return err
		})
	}
	if err != nil {
		return count, seq, err
	}
	return count, seq, n.ix.ResetLogMark()
}
