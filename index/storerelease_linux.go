package index

import (
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// release drops the store's mapped pages from this process's resident
// set. The walk after Open (storecheck.go) reads every page of
// documents.db once, through bbolt's read-only shared mapping, and those
// pages then counted as the server's memory until the kernel needed them:
// at 10^6 passages 2 GiB of a 5.6 GiB resident set, against a 2.2 GiB
// index. The file's pages stay in the page cache; a page read later is
// mapped again by a minor fault. The read transaction holds bbolt's
// mapping lock, so the range is the live mapping, not one a growing file
// replaced.
func (s *store) release() error {
	return s.db.View(func(tx *bolt.Tx) error {
		n := tx.Size()
		if n <= 0 {
			return nil
		}
		// The mapping's address comes as a number; madvise takes one.
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, s.db.Info().Data, uintptr(n), unix.MADV_DONTNEED); e != 0 {
			return e
		}
		return nil
	})
}
