package replica

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"policysearch/index"
)

// RecordSink stores one kind of record the log carries besides documents
// (snapshots, saved alerts), so that every node serves them.
type RecordSink interface {
	// ApplyRecord stores record id as data, or removes it when data is
	// nil (a tombstone). Applying the same entry twice must be harmless:
	// a crash can make a node apply it again.
	ApplyRecord(id string, data []byte) error
}

// recordMsg is a record in the log, on subject <stream>.<kind>.<id>: the
// latest version of each record is kept, as for documents. Data is
// gzipped (a snapshot of a thousand hits is mostly repeated field names).
type recordMsg struct {
	ID      string `json:"id"`
	Data    []byte `json:"gz,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

// recordID is what a record id may be: one subject token.
var recordID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// HandleRecords has records of kind (a subject token: "snap", "alert")
// applied to sink as the log delivers them. Call before Run.
func (n *Node) HandleRecords(kind string, sink RecordSink) {
	if n.records == nil {
		n.records = map[string]RecordSink{}
	}
	n.records[n.recordPrefix(kind)] = sink
}

func (n *Node) recordPrefix(kind string) string { return strings.ToLower(n.cfg.Stream) + "." + kind }

// AppendRecord logs record id of kind (data nil: its tombstone) and
// returns the log's sequence for it; every node, this one included,
// stores it when it applies that entry.
func (n *Node) AppendRecord(ctx context.Context, kind, id string, data []byte) (uint64, error) {
	if !recordID.MatchString(id) {
		return 0, fmt.Errorf("record id %q is not a subject token", id)
	}
	m := recordMsg{ID: id, Deleted: data == nil}
	if data != nil {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(data); err != nil {
			return 0, err
		}
		if err := zw.Close(); err != nil {
			return 0, err
		}
		m.Data = buf.Bytes()
	}
	body, err := json.Marshal(m)
	if err != nil {
		return 0, err
	}
	if int64(len(body)) > n.nc.MaxPayload() {
		return 0, &index.Error{Kind: index.TooLarge, Code: "record_too_large",
			Message: fmt.Sprintf("this %s is %d bytes compressed; the cluster's log takes at most %d (nats max_payload)", kind, len(body), n.nc.MaxPayload())}
	}
	msg := &nats.Msg{Subject: n.recordPrefix(kind) + "." + id, Data: body, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, newMsgID())
	return n.appendMsgs(ctx, []*nats.Msg{msg})
}

// LatestRecord is the log's newest entry for record id of kind: its data,
// nil for a tombstone; found is false when the log has none.
func (n *Node) LatestRecord(ctx context.Context, kind, id string) (data []byte, found bool, err error) {
	if !recordID.MatchString(id) {
		return nil, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	err = n.retry(ctx, func(ctx context.Context) error {
		s, err := n.js.Stream(ctx, n.cfg.Stream)
		if err != nil {
			return err
		}
		raw, err := s.GetLastMsgForSubject(ctx, n.recordPrefix(kind)+"."+id)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var m recordMsg
		if json.Unmarshal(raw.Data, &m) != nil {
			return nil // passed over by every node alike (applyRecord)
		}
		found = true
		data, err = m.data()
		return err
	})
	return data, found, err
}

// WaitApplied waits, up to the configured apply wait, until this node has
// applied the log up to seq, and reports whether it has.
func (n *Node) WaitApplied(ctx context.Context, seq uint64) bool {
	return n.ix.WaitApplied(ctx, seq, n.cfg.ApplyWait)
}

func (m *recordMsg) data() ([]byte, error) {
	if m.Deleted {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(m.Data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, 64<<20))
}

// applyRecord hands a record entry to its sink. It reports false when the
// subject is not a record's. An entry that does not decode is logged and
// passed over, as on every node; the sink's own failure (a disk) is
// returned, so the entry is applied again.
func (n *Node) applyRecord(subject string, body []byte) (bool, error) {
	i := strings.LastIndexByte(subject, '.')
	if i < 0 {
		return false, nil
	}
	sink, ok := n.records[subject[:i]]
	if !ok {
		return false, nil
	}
	var m recordMsg
	if err := json.Unmarshal(body, &m); err != nil || m.ID == "" {
		n.log.Error("record in the log does not decode; passed over", "subject", subject, "err", err)
		return true, nil
	}
	data, err := m.data()
	if err != nil {
		n.log.Error("record in the log does not decompress; passed over", "subject", subject, "err", err)
		return true, nil
	}
	return true, sink.ApplyRecord(m.ID, data)
}
