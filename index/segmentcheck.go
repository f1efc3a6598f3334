package index

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Zap segments never change once written, so a segment whose checksum
// passed need not be read again at every start: at a million passages the
// index is gigabytes, read whole by checkSegments. Open checks the live
// segments not yet verified (new since the last start, or with another
// size or modification time: an edit in place changes the time) and
// records them in verifiedFile; the recorded ones are checked again after
// Open, in the background (storecheck.go), so damage that left the stamp
// alone (a disk's bit rot) is still found: the record is dropped, so the
// next start checks every segment before serving, and the index is
// rebuilt from the store at once.

// verifiedFile, in an index's directory, lists the segments whose
// checksum passed, one "name size mtime" a line.
const verifiedFile = "verified-segments"

// segmentStamp is what an unchanged segment keeps: its size and time.
type segmentStamp struct{ size, mtime int64 }

func stampOf(path string) (segmentStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return segmentStamp{}, err
	}
	return segmentStamp{fi.Size(), fi.ModTime().UnixNano()}, nil
}

func readVerified(indexDir string) map[string]segmentStamp {
	out := map[string]segmentStamp{}
	f, err := os.Open(filepath.Join(indexDir, verifiedFile))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var name string
		var s segmentStamp
		if _, err := fmt.Sscanf(sc.Text(), "%s %d %d", &name, &s.size, &s.mtime); err == nil {
			out[name] = s
		}
	}
	return out
}

// writeVerified replaces the record (written aside, then renamed; a lost
// record only means checking again).
func writeVerified(indexDir string, verified map[string]segmentStamp) error {
	var b strings.Builder
	for name, s := range verified {
		fmt.Fprintf(&b, "%s %d %d\n", name, s.size, s.mtime)
	}
	tmp := filepath.Join(indexDir, verifiedFile+".tmp")
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(indexDir, verifiedFile))
}

// checkNewSegments checks the live segments the record does not vouch for
// and records those that pass; it returns the ones it skipped, for the
// background check.
func checkNewSegments(indexDir string) (skipped []string, err error) {
	names, err := liveSegments(indexDir)
	if err != nil {
		return nil, fmt.Errorf("read the index's segment list: %w", err)
	}
	known := readVerified(indexDir)
	verified := map[string]segmentStamp{}
	for _, name := range names {
		path := filepath.Join(indexDir, "store", name)
		stamp, err := stampOf(path)
		if err != nil {
			return nil, fmt.Errorf("segment %s: %w", name, err)
		}
		if known[name] == stamp {
			skipped = append(skipped, name)
		} else if err := checkSegment(path); err != nil {
			return nil, fmt.Errorf("segment %s: %w", name, err)
		}
		verified[name] = stamp
	}
	if len(verified) != len(known) || len(skipped) != len(names) {
		_ = writeVerified(indexDir, verified) // best effort: the check stands either way
	}
	return skipped, nil
}

// recheckSegments checks again the segments Open skipped. On damage it
// drops the record, so that the next start checks every segment first.
func recheckSegments(indexDir string, names []string, stop <-chan struct{}) error {
	for _, name := range names {
		select {
		case <-stop:
			return nil
		default:
		}
		err := checkSegment(filepath.Join(indexDir, "store", name))
		if err != nil && !errors.Is(err, os.ErrNotExist) { // merged away since: nothing to check
			os.Remove(filepath.Join(indexDir, verifiedFile))
			return fmt.Errorf("segment %s: %w", name, err)
		}
	}
	return nil
}
