package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"policysearch/index"
)

// The embedding work queue: one job per (document, content hash) in a
// WorkQueue stream beside the log, taken through one durable consumer
// that every node pulls from, so each job goes to one node. That node
// embeds the document and publishes the vectors in the log, where every
// node applies them. A job not acknowledged within Config.EmbedAckWait
// (its node died mid-call) goes to another node.
const (
	embedConsumer = "embedders"
	// embedMaxDeliver bounds the tries of one job; with the back-off
	// below, about ten minutes of a failing endpoint. A document whose
	// job ran out is asked for again when a node restarts.
	embedMaxDeliver = 20
	embedFetch      = 4 // jobs one node takes at a time
)

// embedJob is one document version to embed. Sequence is a log position
// at or after the document's put, which the worker applies before it
// reads the document.
type embedJob struct {
	ID          string `json:"id"`
	ContentHash string `json:"content_hash"`
	Sequence    uint64 `json:"sequence"`
}

func (n *Node) jobStream() string { return n.cfg.Stream + "_EMBED" }

// jobStreamConfig is the work queue: a job leaves it when acknowledged;
// Duplicates makes the nodes that all ask for the same document's
// vectors within two minutes make one job.
func jobStreamConfig(name, subject string, replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        name,
		Description: "policysearch embedding jobs: each taken by one node",
		Subjects:    []string{subject + ".*"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  2 * time.Minute,
	}
}

// ShareEmbeddings makes this node take part in embedding once per
// cluster: it applies vectors from the log to e, asks the cluster for the
// vectors e lacks (Want) and takes embedding jobs. Call before Run.
func (n *Node) ShareEmbeddings(e Embeddings) {
	n.emb = e
	n.wanted = map[embedJob]bool{}
	n.wantWake = make(chan struct{}, 1)
}

// Want asks the cluster for the vectors of document id at content hash
// (embedding.Source): they come through the log. It never blocks.
func (n *Node) Want(id, contentHash string) {
	n.wmu.Lock()
	n.wanted[embedJob{ID: id, ContentHash: contentHash}] = true
	n.wmu.Unlock()
	select {
	case n.wantWake <- struct{}{}:
	default:
	}
}

// askLoop turns wants into jobs. It waits while the node catches up: the
// vectors of documents embedded before are further on in the log. Then,
// for a document still without vectors, it reads them from the log if
// they are there (applied before this node's embedding store had the
// document planned, or lost in a crash after the applied mark moved) and
// otherwise publishes the job.
func (n *Node) askLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.wantWake:
		}
		if err := n.WaitReady(ctx); err != nil {
			return
		}
		n.wmu.Lock()
		batch := n.wanted
		n.wanted = map[embedJob]bool{}
		n.wmu.Unlock()
		var retry []embedJob
		for j := range batch {
			if ctx.Err() != nil {
				return
			}
			if !n.emb.Missing(j.ID, j.ContentHash) {
				continue
			}
			if err := n.ask(ctx, j); err != nil {
				n.log.Warn("asking for vectors", "id", j.ID, "err", err)
				retry = append(retry, j)
			}
		}
		if len(retry) > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			for _, j := range retry {
				n.Want(j.ID, j.ContentHash)
			}
		}
	}
}

// ask applies the vectors the log holds for j, or publishes j.
func (n *Node) ask(ctx context.Context, j embedJob) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	parts, ok, err := n.loggedVectors(ctx, j.ID, j.ContentHash)
	if err != nil {
		return err
	}
	if ok {
		for i := range parts {
			if err := n.addVectors(&parts[i]); err != nil {
				return err
			}
		}
		return nil
	}
	j.Sequence = n.ix.AppliedSeq()
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	m := &nats.Msg{Subject: n.jobPrefix + "." + subjectToken(j.ID), Data: data, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, "embed-"+subjectToken(j.ID)+"-"+j.ContentHash)
	_, err = n.js.PublishMsg(ctx, m)
	return err
}

// workLoop takes embedding jobs from the shared consumer until ctx ends.
func (n *Node) workLoop(ctx context.Context) {
	wait := 250 * time.Millisecond
	for ctx.Err() == nil {
		err := n.work(ctx)
		if ctx.Err() != nil {
			return
		}
		n.log.Debug("embedding jobs", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 4*time.Second)
	}
}

func (n *Node) work(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	cons, err := n.js.CreateOrUpdateConsumer(cctx, n.jobStream(), jetstream.ConsumerConfig{
		Durable:       embedConsumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       n.cfg.EmbedAckWait,
		MaxDeliver:    embedMaxDeliver,
		MaxAckPending: 1000,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("embedding consumer: %w", err)
	}
	for ctx.Err() == nil {
		// A short wait: Run waits for this loop when the node stops.
		batch, err := cons.Fetch(embedFetch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		for m := range batch.Messages() {
			n.do(ctx, m)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
	}
	return nil
}

// do runs one job: a stale job (the document changed or went) and one
// whose vectors the log already holds are acknowledged without a call to
// the model; a failed call is handed back, to be tried later by any node.
func (n *Node) do(ctx context.Context, m jetstream.Msg) {
	var j embedJob
	if err := json.Unmarshal(m.Data(), &j); err != nil || j.ID == "" {
		n.log.Error("embedding job does not decode; dropped", "err", err)
		_ = m.Term()
		return
	}
	if !n.ix.WaitApplied(ctx, j.Sequence, 5*time.Second) {
		_ = m.NakWithDelay(2 * time.Second) // this node is behind: later, or another node
		return
	}
	d, err := n.ix.Get(ctx, j.ID)
	if err != nil || d.Hash != j.ContentHash {
		_ = m.Ack()
		return
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, logged, err := n.loggedVectors(lctx, j.ID, j.ContentHash)
	cancel()
	if err == nil && logged {
		_ = m.Ack()
		return
	}
	// Tell the server the job is alive while the model works.
	busy, done := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(n.cfg.EmbedAckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-busy.Done():
				return
			case <-t.C:
				_ = m.InProgress()
			}
		}
	}()
	err = n.embedAndPublish(busy, d)
	done()
	if err != nil {
		tries := uint64(1)
		if md, merr := m.Metadata(); merr == nil {
			tries = md.NumDelivered
		}
		n.log.Warn("embedding job failed; handed back", "id", j.ID, "tries", tries, "err", err)
		_ = m.NakWithDelay(min(time.Duration(1<<min(tries, 6))*time.Second, time.Minute))
		return
	}
	_ = m.Ack()
	n.embedded.Add(1)
}

// embedAndPublish embeds d and appends its vectors to the log.
func (n *Node) embedAndPublish(ctx context.Context, d *index.Document) error {
	hashes, vecs, err := n.emb.EmbedDocument(ctx, d)
	if err != nil {
		return err
	}
	msgs, err := n.vectorMsgs(d, n.emb.Model(), hashes, vecs)
	if err != nil {
		return err
	}
	_, err = n.appendMsgs(ctx, msgs)
	return err
}
