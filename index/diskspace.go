package index

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/blevesearch/bleve/v2"
)

// diskReserve is free space a write leaves untouched. Bleve must never
// meet a full disk in the middle of a batch: a segment whose persist fails
// stays half-closed in memory, and the next search that reaches it panics
// on a goroutine no handler can recover, ending the process. So writes are
// refused (507) while the data directory has less free space than this
// plus a multiple of what the write adds; merges, which rewrite segments
// before freeing the old ones, live off the reserve.
const diskReserve = 16 << 20

// errNoSpace is the refusal of a write for want of disk space.
func errNoSpace(err error) *Error {
	return &Error{Kind: NoSpace, Code: "insufficient_storage",
		Message: "the server's disk is full; nothing was stored, try again later", Err: err}
}

// IsDiskFull reports whether err comes from a full disk or quota, however
// it was wrapped (bleve flattens some causes to text).
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	var e *Error
	if errors.As(err, &e) && e.Kind == NoSpace {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "no space left on device") || strings.Contains(msg, "disk quota exceeded")
}

// roomFor refuses a write of w when the data directory's file system
// would be left with less than diskReserve. Bleve, bolt and a merge each
// may hold the text again, hence the factor.
func (ix *Index) roomFor(w weight) error {
	free, ok := freeBytes(ix.dir)
	if !ok {
		return nil
	}
	if need := uint64(diskReserve + 4*w.bytes); free < need {
		return errNoSpace(nil)
	}
	return nil
}

// diskError turns a full disk into NoSpace and leaves others alone.
func diskError(err error) error {
	if IsDiskFull(err) {
		var e *Error
		if errors.As(err, &e) && e.Kind == NoSpace {
			return err
		}
		return errNoSpace(err)
	}
	return err
}

// deferIndexing handles a bleve batch that failed after its documents
// were stored: they stay marked pending and the write stands. The live
// index is reopened from disk, because a failed batch can leave a
// half-closed segment in bleve's memory that would crash a later search;
// the next write (or the next start) indexes the pending documents.
// Caller holds ix.mu.
func (ix *Index) deferIndexing(cause error) {
	ix.log.Error("index batch failed after the store took it; indexing deferred", "err", cause)
	ix.unsettled = true
	name := ix.liveName()
	old := ix.live
	ix.swapMu.Lock() // no reader is being taken from old meanwhile (linked.go)
	defer ix.swapMu.Unlock()
	if err := old.Close(); err != nil {
		ix.log.Warn("close index after a failed batch", "err", err)
	}
	idx, err := bleve.Open(filepath.Join(ix.dir, indexesDir, name))
	if err != nil {
		// Searches answer errors (not crashes) until a restart rebuilds it.
		ix.log.Error("reopen index after a failed batch", "err", err)
		return
	}
	ix.alias.Swap([]bleve.Index{idx}, []bleve.Index{old})
	ix.live = idx
	ix.gen.Add(1)
}

// settleDeferred indexes documents a failed batch left pending before a
// new write goes ahead, so writes resume, in order, once space returns.
// Caller holds ix.mu.
func (ix *Index) settleDeferred() error {
	if !ix.unsettled {
		return nil
	}
	if err := ix.roomFor(weight{}); err != nil {
		return err
	}
	if err := ix.recover(); err != nil {
		ix.deferIndexing(err)
		return diskError(err)
	}
	ix.unsettled = false
	return nil
}
