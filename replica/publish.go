package replica

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"policysearch/index"
)

// appendTimeout bounds one Append: long enough to ride out a stream leader
// election (a few seconds after a kill -9), short enough that a client is
// not left hanging when the log is really gone.
const appendTimeout = 30 * time.Second

// subjectFor is the document's subject.
func (n *Node) subjectFor(id string) string { return n.subject + "." + subjectToken(id) }

// subjectToken stands for a document id in subjects: a hash, because ids
// may hold characters NATS subjects may not ('.', '*', '>', spaces) and
// any length.
func subjectToken(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}

// Append publishes ops and returns when the stream has stored every one
// (a quorum of its replicas has it on disk), with the sequence of the
// last. Messages go out together and their acks are awaited together, so
// a batch costs about one round of consensus. A failed publish is retried
// with the same Nats-Msg-Id, so the stream stores it once however often
// it is sent.
func (n *Node) Append(ctx context.Context, ops []index.LogOp) (uint64, error) {
	batch := newMsgID()
	msgs := make([]*nats.Msg, len(ops))
	for i, op := range ops {
		data, err := json.Marshal(op)
		if err != nil {
			return 0, err
		}
		if int64(len(data)) > n.nc.MaxPayload() {
			return 0, &index.Error{Kind: index.TooLarge, Code: "document_too_large",
				Message: fmt.Sprintf("document %q is %d bytes; the cluster's log takes at most %d (nats max_payload)", op.ID(), len(data), n.nc.MaxPayload())}
		}
		msgs[i] = &nats.Msg{Subject: n.subjectFor(op.ID()), Data: data, Header: nats.Header{}}
		msgs[i].Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s-%d", batch, i))
	}
	seq, err := n.appendMsgs(ctx, msgs)
	if err == nil && n.emb != nil {
		n.publishJobs(ops, seq)
	}
	return seq, err
}

// appendMsgs publishes msgs, each with its Nats-Msg-Id, and returns when
// the stream has stored every one, with the sequence of the last.
func (n *Node) appendMsgs(ctx context.Context, msgs []*nats.Msg) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		f, err := n.js.PublishMsgAsync(m)
		if err != nil {
			break // the rest are sent one by one below
		}
		futures[i] = f
	}
	var last uint64
	for i, m := range msgs {
		var ack *jetstream.PubAck
		if futures[i] != nil {
			select {
			case ack = <-futures[i].Ok():
			case <-futures[i].Err():
			case <-ctx.Done():
			}
		}
		if ack == nil {
			var err error
			if ack, err = n.publish(ctx, m); err != nil {
				return 0, err
			}
		}
		last = max(last, ack.Sequence)
	}
	return last, nil
}

// publish sends m until the stream acknowledges it or ctx ends.
func (n *Node) publish(ctx context.Context, m *nats.Msg) (*jetstream.PubAck, error) {
	var ack *jetstream.PubAck
	err := n.retry(ctx, func(ctx context.Context) error {
		// A fresh message: one that went out async may still be referenced.
		again := &nats.Msg{Subject: m.Subject, Data: m.Data, Header: m.Header}
		var err error
		ack, err = n.js.PublishMsg(ctx, again)
		return err
	})
	return ack, err
}

// newMsgID is a random id for one Append; message i's id is id-i.
func newMsgID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
