package ann

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The saved form holds the links, not the vectors: the caller keeps those
// elsewhere already (the embedding store) and gives them back with
// SetVector after Read, so the graph costs no second copy on disk.
const magic = "policysearch-ann-1"

// Write saves the graph's structure (parameters, levels, links, deletes).
func (g *Graph) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(magic)
	put := func(v uint32) { binary.Write(bw, binary.LittleEndian, v) }
	for _, v := range []uint32{uint32(g.dims), uint32(g.m), uint32(g.efBuild), uint32(g.entry), uint32(g.top), uint32(len(g.nodes))} {
		put(v)
	}
	for _, n := range g.nodes {
		flags := uint32(0)
		if n.links != nil {
			flags = 1
			if n.deleted {
				flags = 2
			}
		}
		put(flags | uint32(len(n.links))<<8)
		for _, ls := range n.links {
			put(uint32(len(ls)))
			if err := binary.Write(bw, binary.LittleEndian, ls); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// Read loads a graph saved by Write. Every live and deleted node's vector
// must then be given with SetVector before the graph is searched or
// changed. seed is as for Options.
func Read(r io.Reader, seed uint64) (*Graph, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != magic {
		return nil, errors.New("ann: not a saved graph")
	}
	var hdr [6]uint32
	if err := binary.Read(br, binary.LittleEndian, &hdr); err != nil {
		return nil, fmt.Errorf("ann: header: %w", err)
	}
	dims, m, ef, entry, top, count := hdr[0], hdr[1], hdr[2], int32(hdr[3]), int(hdr[4]), int(hdr[5])
	if dims == 0 || dims > 1<<16 || m < 2 || m > 1<<10 || count > 1<<31 || int(entry) >= count || top > 64 {
		return nil, errors.New("ann: implausible header")
	}
	g := New(int(dims), Options{M: int(m), EfConstruction: int(ef), Seed: seed ^ uint64(count)})
	g.entry, g.top = entry, top
	if count > 0 {
		g.grow(uint32(count - 1))
	}
	var w uint32
	for i := range count {
		if err := binary.Read(br, binary.LittleEndian, &w); err != nil {
			return nil, fmt.Errorf("ann: node %d: %w", i, err)
		}
		flags, levels := w&0xff, int(w>>8)
		if flags == 0 {
			continue
		}
		if levels == 0 || levels > 65 || flags > 2 {
			return nil, fmt.Errorf("ann: node %d: bad flags", i)
		}
		n := &g.nodes[i]
		n.links = make([][]uint32, levels)
		n.deleted = flags == 2
		if !n.deleted {
			g.live++
		}
		for l := range n.links {
			if err := binary.Read(br, binary.LittleEndian, &w); err != nil {
				return nil, fmt.Errorf("ann: node %d: %w", i, err)
			}
			if int(w) > g.maxLinks(l)*3/2 {
				return nil, fmt.Errorf("ann: node %d: %d links at level %d", i, w, l)
			}
			ls := make([]uint32, w, g.maxLinks(l)*3/2+1)
			if err := binary.Read(br, binary.LittleEndian, ls); err != nil {
				return nil, fmt.Errorf("ann: node %d: %w", i, err)
			}
			for _, x := range ls {
				if int(x) >= count {
					return nil, fmt.Errorf("ann: node %d links to %d of %d", i, x, count)
				}
			}
			n.links[l] = ls
		}
	}
	if entry >= 0 && g.nodes[entry].links == nil {
		return nil, errors.New("ann: entry node missing")
	}
	return g, nil
}

// SetVector stores node id's vector without relinking: for a graph just
// read, whose links were made for these very vectors.
func (g *Graph) SetVector(id uint32, vec []float32) {
	g.grow(id)
	copy(g.Vector(id), vec)
}
