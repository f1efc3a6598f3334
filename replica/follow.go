package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"policysearch/index"
)

// applyBatch bounds one ApplyLog call, by entries and by bytes, like a Put
// batch: one fsync amortised over many, memory flat on a long catch-up.
const (
	applyBatch      = 512
	applyBatchBytes = 4 << 20
)

// Run applies the stream to the index until ctx ends, and keeps the log's
// last sequence fresh for Status. Errors (a NATS server gone, a failed
// write) are logged and the reading starts again from the applied mark,
// so it never applies an entry twice or skips one.
func (n *Node) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { n.watchLog(ctx) })
	if n.emb != nil {
		wg.Go(func() { n.askLoop(ctx) })
		wg.Go(func() { n.workLoop(ctx) })
	}
	wait := 250 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		err := n.follow(ctx)
		if ctx.Err() != nil {
			break
		}
		n.log.Warn("following the log stopped; resuming from the applied mark", "err", err, "applied", n.ix.AppliedSeq())
		if time.Since(start) > 10*time.Second {
			wait = 250 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 4*time.Second)
	}
	wg.Wait()
}

// follow reads the stream from the entry after the applied mark with an
// ordered consumer (in order, no acks, recreated by the client when its
// server goes) and applies it in batches.
func (n *Node) follow(ctx context.Context) error {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if applied := n.ix.AppliedSeq(); applied > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, applied+1
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	cons, err := n.js.OrderedConsumer(cctx, n.cfg.Stream, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("create consumer: %w", err)
	}
	done := make(chan struct{})
	defer close(done)
	msgs := make(chan jetstream.Msg, applyBatch)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case msgs <- m:
		case <-done:
		}
	}, jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			n.log.Debug("consumer", "err", err)
		}))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	defer cc.Stop()
	for {
		var batch []jetstream.Msg
		select {
		case m := <-msgs:
			batch = append(batch, m)
		case <-ctx.Done():
			return nil
		}
		size := len(batch[0].Data())
	more:
		for len(batch) < applyBatch && size < applyBatchBytes {
			select {
			case m := <-msgs:
				batch = append(batch, m)
				size += len(m.Data())
			default:
				break more
			}
		}
		if err := n.apply(ctx, batch); err != nil {
			return err
		}
	}
}

// apply decodes batch and hands it to the index with its last sequence,
// then the vectors in it to the embedding service. An entry that does not
// decode is logged and passed over on every node alike, so one bad
// message cannot stop the cluster.
func (n *Node) apply(ctx context.Context, batch []jetstream.Msg) error {
	applied := n.ix.AppliedSeq()
	var ops []index.LogOp
	var vecs []vectorsMsg
	var seq uint64
	for _, m := range batch {
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("log entry metadata: %w", err)
		}
		s := md.Sequence.Stream
		if s <= applied || s <= seq {
			continue // already applied: a consumer restarted behind the mark
		}
		seq = s
		n.sawSequence(s, md.NumPending)
		// Records first: applying one again after a crash is harmless,
		// missing one under the applied mark is not.
		if isRecord, err := n.applyRecord(m.Subject(), m.Data()); isRecord {
			if err != nil {
				return fmt.Errorf("apply %s: %w", m.Subject(), err)
			}
			continue
		}
		if strings.HasPrefix(m.Subject(), n.vecPrefix+".") {
			var v vectorsMsg
			if err := json.Unmarshal(m.Data(), &v); err != nil || v.ID == "" {
				n.log.Error("vectors in the log do not decode; passed over", "sequence", s, "subject", m.Subject(), "err", err)
				continue
			}
			vecs = append(vecs, v)
			continue
		}
		var op index.LogOp
		if err := json.Unmarshal(m.Data(), &op); err != nil || op.ID() == "" {
			n.log.Error("log entry does not decode; passed over", "sequence", s, "subject", m.Subject(), "err", err)
			continue
		}
		ops = append(ops, op)
	}
	if seq == 0 {
		return nil
	}
	if err := n.ix.ApplyLog(ctx, seq, ops); err != nil {
		return err
	}
	// Vectors are not under the applied mark: one lost to a crash here is
	// read from the log again when the document is found without them.
	n.applyVectors(ctx, vecs)
	return nil
}

// sawSequence updates the log's known end from a delivered entry: pending
// entries follow it, so the end is at least seq+pending.
func (n *Node) sawSequence(seq, pending uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if end := seq + pending; end > n.last {
		n.last = end
	}
}

// watchLog reads the stream's last sequence and leader every half second.
func (n *Node) watchLog(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		if err := n.readLog(ctx); err != nil && !errors.Is(err, context.Canceled) {
			n.log.Debug("stream info", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Node) readLog(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := n.js.Stream(ctx, n.cfg.Stream)
	if err != nil {
		return err
	}
	info := s.CachedInfo()
	applied := n.ix.AppliedSeq()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.last, n.seen = info.State.LastSeq, time.Now()
	if info.Cluster != nil {
		n.leader = info.Cluster.Leader
	}
	if n.last <= applied+n.cfg.MaxLag {
		n.caughtUp = true
	}
	return nil
}
