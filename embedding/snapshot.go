package embedding

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"policysearch/embedding/ann"
)

// The vector snapshot saves the search graph and what each of its slots
// holds (document, passage, the input's hash) when the service closes, so
// a restart does not relink every vector: building the graph costs about a
// millisecond per passage, a quarter of an hour at 10^6. The vectors
// themselves stay only in the store and are read back by hash. A snapshot
// that is missing, damaged or for another model is ignored, and documents
// are relinked as they are re-planned; a stale one (written before a
// crash) is corrected the same way, document by document, since an
// unchanged document keeps its nodes only when its hashes match and a
// restored document that no longer exists is swept after the start-up
// walk.
const snapshotMagic = "policysearch-vectors-1\n"

// save writes the snapshot to path through a temporary file, so a crash
// leaves the old snapshot or the new one.
func (v *vectors) save(path, model string) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.g == nil {
		return nil
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	w := bufio.NewWriterSize(f, 1<<16)
	w.WriteString(snapshotMagic)
	putString(w, model)
	putInt(w, v.dims)
	putInt(w, len(v.slots))
	for _, sl := range v.slots {
		putString(w, sl.doc)
		if sl.doc == "" {
			continue
		}
		putString(w, sl.hash)
		putInt(w, sl.passage)
		putInt(w, sl.span.Start)
		putInt(w, sl.span.End)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := v.g.Write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// load replaces the (empty) vectors with the snapshot at path, reading
// each vector from the store. It says how many documents it restored.
func (v *vectors) load(path, model string, st *Store) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	head := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != snapshotMagic {
		return 0, errors.New("not a vector snapshot")
	}
	m, err := getString(r)
	if err != nil || m != model {
		return 0, fmt.Errorf("snapshot is for model %q, not %q", m, model)
	}
	dims, err := getInt(r)
	if err != nil {
		return 0, err
	}
	n, err := getInt(r)
	if err != nil || n < 0 || n > 1<<31 {
		return 0, errors.New("damaged snapshot")
	}
	slots := make([]slot, n)
	for i := range slots {
		sl := &slot{}
		if sl.doc, err = getString(r); err != nil {
			return 0, err
		}
		if sl.doc == "" {
			continue
		}
		var start, end int
		if sl.hash, err = getString(r); err == nil {
			if sl.passage, err = getInt(r); err == nil {
				if start, err = getInt(r); err == nil {
					end, err = getInt(r)
				}
			}
		}
		if err != nil {
			return 0, err
		}
		sl.span = Passage{start, end}
		slots[i] = *sl
	}
	g, err := ann.Read(r, 1)
	if err != nil {
		return 0, err
	}
	if g.Dims() != dims || g.Cap() != n {
		return 0, errors.New("snapshot graph does not match its slots")
	}
	hashes := make([]string, 0, n)
	at := make([]int, 0, n)
	for i, sl := range slots {
		if sl.doc != "" {
			if !g.Live(uint32(i)) {
				return 0, fmt.Errorf("snapshot slot %d is held but not in the graph", i)
			}
			hashes, at = append(hashes, sl.hash), append(at, i)
		}
	}
	lost := map[string]bool{}
	err = st.Each(model, hashes, func(i int, vec []float32) {
		if vec == nil || len(vec) != dims {
			lost[slots[at[i]].doc] = true
			return
		}
		g.SetVector(uint32(at[i]), vec)
	})
	if err != nil {
		return 0, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.docs) != 0 {
		return 0, errors.New("vectors were set before the snapshot loaded")
	}
	v.dims, v.g, v.slots = dims, g, slots
	for i, sl := range slots {
		if sl.doc == "" || lost[sl.doc] {
			if sl.doc != "" {
				slots[i] = slot{}
				g.Delete(uint32(i))
			}
			v.free = append(v.free, i)
			continue
		}
		v.docs[sl.doc] = append(v.docs[sl.doc], i)
		v.restored[sl.doc] = true
	}
	v.gen.Add(1)
	return len(v.docs), nil
}

// sweep removes restored documents that the start-up walk did not see:
// deleted while the service was down.
func (v *vectors) sweep(seen map[string]bool) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	gone := 0
	for doc := range v.restored {
		if !seen[doc] {
			v.removeLocked(doc)
			gone++
		}
	}
	clear(v.restored)
	return gone
}

func putInt(w *bufio.Writer, n int) { w.Write(binary.AppendUvarint(nil, uint64(n))) }

func putString(w *bufio.Writer, s string) {
	putInt(w, len(s))
	w.WriteString(s)
}

func getInt(r *bufio.Reader) (int, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil || n > 1<<40 {
		return 0, errors.New("damaged snapshot")
	}
	return int(n), nil
}

func getString(r *bufio.Reader) (string, error) {
	n, err := getInt(r)
	if err != nil || n > 1<<20 {
		return "", errors.New("damaged snapshot")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", errors.New("damaged snapshot")
	}
	return string(b), nil
}
