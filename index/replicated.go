package index

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// WriteLog is a cluster's shared, ordered write log (package replica
// provides one over NATS JetStream). With a log set, Put and Delete do not
// write the store: they append to the log, and every node, this one
// included, applies the log in order through ApplyLog.
type WriteLog interface {
	// Append durably appends ops and returns the log sequence of the last
	// one. When it returns without error the log has every op.
	Append(ctx context.Context, ops []LogOp) (uint64, error)
	// Last is the log's last sequence: every entry acknowledged before
	// the call is at or below it.
	Last(ctx context.Context) (uint64, error)
	// Latest is the log's newest entry for id; ok is false when the log
	// holds none.
	Latest(ctx context.Context, id string) (op LogOp, ok bool, err error)
}

// LogOp is one entry of the write log: a document's new version, or the
// id of a deleted document (a tombstone).
type LogOp struct {
	Put    *Document `json:"put,omitempty"`
	Delete string    `json:"delete,omitempty"`
}

// ID is the document the op is about.
func (op LogOp) ID() string {
	if op.Put != nil {
		return op.Put.ID
	}
	return op.Delete
}

// Accepted is what Delete returns when the log has the delete but this node
// has not applied it within the wait bound: the write is acknowledged, and
// Seq says which log position will make it visible here.
type Accepted struct{ Seq uint64 }

func (a *Accepted) Error() string {
	return fmt.Sprintf("accepted at log sequence %d; not yet applied on this node", a.Seq)
}

// replication is the state of an index fed by a write log.
type replication struct {
	log  WriteLog
	wait time.Duration // how long a write waits to see itself applied here

	mu      sync.Mutex
	applied uint64        // last log sequence in the store; guarded by mu
	moved   chan struct{} // closed and replaced when applied moves
}

// SetWriteLog routes Put and Delete through l. A write then returns when
// this node has applied it, or after wait with its results marked Pending.
// Call it before the index is shared.
func (ix *Index) SetWriteLog(l WriteLog, wait time.Duration) error {
	seq, err := ix.store.logSeq()
	if err != nil {
		return err
	}
	ix.repl = &replication{log: l, wait: wait, applied: seq, moved: make(chan struct{})}
	return nil
}

// AppliedSeq is the last log sequence this node has applied; 0 without a
// log or before the first entry.
func (ix *Index) AppliedSeq() uint64 {
	if ix.repl == nil {
		seq, _ := ix.store.logSeq()
		return seq
	}
	ix.repl.mu.Lock()
	defer ix.repl.mu.Unlock()
	return ix.repl.applied
}

// WaitApplied waits until this node has applied seq, ctx ends or wait
// passes, and reports whether it has.
func (ix *Index) WaitApplied(ctx context.Context, seq uint64, wait time.Duration) bool {
	r := ix.repl
	if r == nil {
		return false
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		r.mu.Lock()
		applied, moved := r.applied, r.moved
		r.mu.Unlock()
		if applied >= seq {
			return true
		}
		select {
		case <-moved:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// setApplied records seq as applied and wakes the writers waiting on it.
func (r *replication) setApplied(seq uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq > r.applied {
		r.applied = seq
		close(r.moved)
		r.moved = make(chan struct{})
	}
}

// syncWait bounds how long a write waits for this node to apply the log up
// to its end before deciding against the local copy; past it, the write
// is decided without the local copy (see putLogged).
const syncWait = time.Second

// synced waits until this node has applied every entry the log had
// acknowledged when it was called, so the local copy answers for every
// write that came before (a client's write through another node
// included), and reports whether it has.
func (ix *Index) synced(ctx context.Context) bool {
	last, err := ix.repl.log.Last(ctx)
	if err != nil {
		return false
	}
	return ix.WaitApplied(ctx, last, min(syncWait, max(ix.repl.wait, 10*time.Millisecond)))
}

// putLogged is Put on a replicated index: docs are prepared (normalised,
// hashed). Documents whose content this node already holds are reported
// Unchanged and not logged, so seeds and re-scans cost nothing; that is
// decided only once the node has applied the log up to its end, else an
// older copy here could pass a write off as unchanged that differs from
// the cluster's latest (a put after a delete through another node). A
// node that cannot catch up in time logs every document: applying one
// that is unchanged costs a hash comparison.
func (ix *Index) putLogged(ctx context.Context, docs []*Document) ([]PutResult, error) {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	current := ix.synced(ctx)
	old, err := ix.store.hashes(ids)
	if err != nil {
		return nil, err
	}
	results := make([]PutResult, len(docs))
	last := map[string]int{} // a batch naming one id twice logs the last
	now := time.Now().UTC()
	for i, d := range docs {
		switch h, ok := old[d.ID]; {
		case !ok:
			results[i] = PutResult{ID: d.ID, Status: Added}
		case h == d.Hash && current:
			results[i] = PutResult{ID: d.ID, Status: Unchanged}
			continue
		default:
			results[i] = PutResult{ID: d.ID, Status: Updated}
		}
		d.IndexedAt = now
		last[d.ID] = i
	}
	var ops []LogOp
	for i, d := range docs {
		if j, ok := last[d.ID]; ok && j == i {
			ops = append(ops, LogOp{Put: d})
		}
	}
	if len(ops) == 0 {
		return results, nil
	}
	seq, err := ix.repl.log.Append(ctx, ops)
	if err != nil {
		return nil, err
	}
	pending := !ix.WaitApplied(ctx, seq, ix.repl.wait)
	for i := range results {
		if results[i].Status != Unchanged {
			results[i].Sequence, results[i].Pending = seq, pending
		}
	}
	return results, nil
}

// deleteLogged is Delete on a replicated index: a tombstone in the log.
// NotFound is decided against the log, not the local copy, which may not
// have applied a put through another node yet: the document's latest
// entry is a tombstone, or the log has none and neither does this node (a
// document from before the node joined a log is only in its store).
func (ix *Index) deleteLogged(ctx context.Context, id string) error {
	op, logged, err := ix.repl.log.Latest(ctx, id)
	if err != nil {
		return err
	}
	exists := logged && op.Put != nil
	if !logged {
		d, err := ix.store.get(id)
		if err != nil {
			return err
		}
		exists = d != nil
	}
	if !exists {
		return &Error{Kind: NotFound, Code: "not_found", Message: fmt.Sprintf("no document with id %q", truncate(id, 80))}
	}
	seq, err := ix.repl.log.Append(ctx, []LogOp{{Delete: id}})
	if err != nil {
		return err
	}
	if !ix.WaitApplied(ctx, seq, ix.repl.wait) {
		return &Accepted{Seq: seq}
	}
	return nil
}
