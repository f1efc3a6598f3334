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
	// embedFetch is how many jobs one node takes at a time: their
	// passages share the model's calls (BatchSize inputs each).
	embedFetch = 16
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
	n.wanted = map[embedJob]time.Time{}
	n.wantWake = make(chan struct{}, 1)
}

// askGrace is how long a node waits for a document's vectors before it
// asks for them itself: the node that wrote the document published the
// job already (publishJobs), so usually the vectors come first and the
// node asks nothing, which spares NATS a lookup and a publish per
// document and node while documents pour in.
const askGrace = 10 * time.Second

// askRecheck is when a node that asked looks again: a job can run out of
// tries, and its vectors can be replaced in the log by an older
// version's (see ask).
const askRecheck = time.Minute

// publishJobs publishes the embedding jobs of the documents an Append
// just logged, without waiting for their acknowledgements: a job lost
// here is asked for by every node after askGrace.
func (n *Node) publishJobs(ops []index.LogOp, seq uint64) {
	for _, op := range ops {
		if op.Put == nil {
			continue
		}
		m, err := n.jobMsg(embedJob{ID: op.Put.ID, ContentHash: op.Put.Hash, Sequence: seq})
		if err == nil {
			_, err = n.js.PublishMsgAsync(m)
		}
		if err != nil {
			n.log.Debug("publish embedding job", "id", op.Put.ID, "err", err)
		}
	}
}

// jobMsg is j as a message; its Nats-Msg-Id makes every node's job for
// the same document version one job.
func (n *Node) jobMsg(j embedJob) (*nats.Msg, error) {
	data, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	m := &nats.Msg{Subject: n.jobPrefix + "." + subjectToken(j.ID), Data: data, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, "embed-"+subjectToken(j.ID)+"-"+j.ContentHash)
	return m, nil
}

// Want asks the cluster for the vectors of document id at content hash
// (embedding.Source): they come through the log. It never blocks.
func (n *Node) Want(id, contentHash string) {
	n.wmu.Lock()
	if _, ok := n.wanted[embedJob{ID: id, ContentHash: contentHash}]; !ok {
		n.wanted[embedJob{ID: id, ContentHash: contentHash}] = time.Now()
	}
	n.wmu.Unlock()
	select {
	case n.wantWake <- struct{}{}:
	default:
	}
}

// askLoop turns wants into jobs. It waits while the node catches up: the
// vectors of documents embedded before are further on in the log; and it
// gives each want askGrace. Then, for a document still without vectors,
// it reads them from the log if they are there (applied before this
// node's embedding store had the document planned, or lost in a crash
// after the applied mark moved) and otherwise publishes the job.
func (n *Node) askLoop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.wantWake:
		case <-timer.C:
		}
		if err := n.WaitReady(ctx); err != nil {
			return
		}
		var due []embedJob
		next := time.Duration(0)
		n.wmu.Lock()
		for j, at := range n.wanted {
			if wait := askGrace - time.Since(at); wait > 0 {
				if next == 0 || wait < next {
					next = wait
				}
				continue
			}
			due = append(due, j)
			delete(n.wanted, j)
		}
		n.wmu.Unlock()
		for _, j := range due {
			if ctx.Err() != nil {
				return
			}
			if !n.emb.Missing(j.ID, j.ContentHash) {
				continue
			}
			again := askRecheck // the job may still fail or its vectors be superseded
			if err := n.ask(ctx, j); err != nil {
				n.log.Warn("asking for vectors", "id", j.ID, "err", err)
				again = time.Second
			}
			n.wmu.Lock()
			n.wanted[j] = time.Now().Add(again - askGrace)
			n.wmu.Unlock()
			if next == 0 || again < next {
				next = again
			}
		}
		if next > 0 {
			timer.Reset(next)
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
		return n.addVectors(parts)
	}
	j.Sequence = n.ix.AppliedSeq()
	m, err := n.jobMsg(j)
	if err != nil {
		return err
	}
	ack, err := n.js.PublishMsg(ctx, m)
	if err != nil || !ack.Duplicate {
		return err
	}
	// The job was made before. If it is still queued, it will do; if it
	// was done and the log still lacks the vectors (a slower worker's
	// vectors for an older version replaced them on the subject), it
	// must be made again, under a new id.
	q, err := n.js.Stream(ctx, n.jobStream())
	if err != nil {
		return err
	}
	if _, err := q.GetLastMsgForSubject(ctx, m.Subject); err == nil || !errors.Is(err, jetstream.ErrMsgNotFound) {
		return err
	}
	m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s-%d", m.Header.Get(jetstream.MsgIDHeader), j.Sequence))
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
		var msgs []jetstream.Msg
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if len(msgs) > 0 {
			n.do(ctx, msgs)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
	}
	return nil
}

// do runs the jobs of one fetch, their documents embedded together (the
// model takes passages of several documents in one call). A stale job
// (the document changed or went) and one whose vectors the log already
// holds are acknowledged without a call; if the call fails, every job is
// handed back, to be tried later by any node.
func (n *Node) do(ctx context.Context, msgs []jetstream.Msg) {
	var todo []jetstream.Msg
	var docs []*index.Document
	for _, m := range msgs {
		if d := n.jobDocument(ctx, m); d != nil {
			todo, docs = append(todo, m), append(docs, d)
		}
	}
	if len(todo) == 0 {
		return
	}
	// Tell the server the jobs are alive while the model works.
	busy, done := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(n.cfg.EmbedAckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-busy.Done():
				return
			case <-t.C:
				for _, m := range todo {
					_ = m.InProgress()
				}
			}
		}
	}()
	err := n.embedAndPublish(busy, docs)
	done()
	if err != nil {
		tries := uint64(1)
		if md, merr := todo[0].Metadata(); merr == nil {
			tries = md.NumDelivered
		}
		n.log.Warn("embedding jobs failed; handed back", "documents", len(docs), "tries", tries, "err", err)
		for _, m := range todo {
			_ = m.NakWithDelay(min(time.Duration(1<<min(tries, 6))*time.Second, time.Minute))
		}
		return
	}
	for _, m := range todo {
		_ = m.Ack()
	}
	n.embedded.Add(int64(len(todo)))
}

// jobDocument is the document job m asks to embed, or nil when there is
// nothing to do now: m is then acknowledged (stale, done already, bad) or
// handed back (this node has not applied the document yet).
func (n *Node) jobDocument(ctx context.Context, m jetstream.Msg) *index.Document {
	var j embedJob
	if err := json.Unmarshal(m.Data(), &j); err != nil || j.ID == "" {
		n.log.Error("embedding job does not decode; dropped", "err", err)
		_ = m.Term()
		return nil
	}
	if !n.ix.WaitApplied(ctx, j.Sequence, 5*time.Second) {
		_ = m.NakWithDelay(2 * time.Second) // this node is behind: later, or another node
		return nil
	}
	d, err := n.ix.Get(ctx, j.ID)
	if err != nil || d.Hash != j.ContentHash {
		_ = m.Ack()
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, logged, err := n.loggedVectors(lctx, j.ID, j.ContentHash)
	cancel()
	if err == nil && logged {
		_ = m.Ack()
		return nil
	}
	return d
}

// embedAndPublish embeds docs and appends their vectors to the log.
func (n *Node) embedAndPublish(ctx context.Context, docs []*index.Document) error {
	hashes, vecs, err := n.emb.EmbedDocuments(ctx, docs)
	if err != nil {
		return err
	}
	var msgs []*nats.Msg
	for i, d := range docs {
		// A version applied here meanwhile makes these vectors stale;
		// published, they would replace the newer version's on the
		// subject if those went out first.
		if now, err := n.ix.Get(ctx, d.ID); err != nil || now.Hash != d.Hash {
			continue
		}
		m, err := n.vectorMsgs(d, n.emb.Model(), hashes[i], vecs[i])
		if err != nil {
			return err
		}
		msgs = append(msgs, m...)
	}
	if len(msgs) == 0 {
		return nil
	}
	_, err = n.appendMsgs(ctx, msgs)
	return err
}
