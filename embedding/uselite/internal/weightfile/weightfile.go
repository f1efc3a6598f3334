// Package weightfile reads and writes the compact file that holds the
// sentence encoder's tensors and SentencePiece vocabulary in one blob.
//
// Layout (little-endian): the magic "USELITE1"; a uint32 tensor count; per
// tensor a uint16 name length and name, a dtype byte, a rank byte, uint32
// dims, then the data; a uint32 piece count; per piece a uint16 length,
// the UTF-8 piece and its float64 score. Float16 and int8 tensors are
// decoded to float32 on read: the file is small, memory holds float32.
package weightfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

const magic = "USELITE1"

// DType is how a tensor's values are stored in the file.
type DType uint8

// Storage formats. Int8 stores one float32 scale per row (all dims but the
// last) and values rounded to scale*[-127,127].
const (
	Float32 DType = iota
	Float16
	Int8
)

// Tensor is one named array of float32 values in row-major order.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Piece is one SentencePiece vocabulary entry; its id is its position.
type Piece struct {
	Text  string
	Score float64
}

// File is the decoded content: tensors by name and the vocabulary.
type File struct {
	Tensors map[string]*Tensor
	Vocab   []Piece
}

// Write encodes tensors (each in the dtype chosen by store) and vocab.
func Write(w io.Writer, tensors []*Tensor, store func(*Tensor) DType, vocab []Piece) error {
	var b bytes.Buffer
	b.WriteString(magic)
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, uint32(len(tensors))))
	for _, t := range tensors {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if n != len(t.Data) {
			return fmt.Errorf("tensor %s: shape %v needs %d values, has %d", t.Name, t.Shape, n, len(t.Data))
		}
		dt := store(t)
		b.Write(le.AppendUint16(nil, uint16(len(t.Name))))
		b.WriteString(t.Name)
		b.WriteByte(byte(dt))
		b.WriteByte(byte(len(t.Shape)))
		for _, d := range t.Shape {
			b.Write(le.AppendUint32(nil, uint32(d)))
		}
		switch dt {
		case Float32:
			for _, v := range t.Data {
				b.Write(le.AppendUint32(nil, math.Float32bits(v)))
			}
		case Float16:
			for _, v := range t.Data {
				b.Write(le.AppendUint16(nil, ToHalf(v)))
			}
		case Int8:
			cols := t.Shape[len(t.Shape)-1]
			rows := n / cols
			q := make([]byte, 0, n)
			for r := range rows {
				row := t.Data[r*cols : (r+1)*cols]
				var m float32
				for _, v := range row {
					m = max(m, float32(math.Abs(float64(v))))
				}
				scale := m / 127
				b.Write(le.AppendUint32(nil, math.Float32bits(scale)))
				for _, v := range row {
					var x float64
					if scale > 0 {
						x = math.Round(float64(v / scale))
					}
					q = append(q, byte(int8(x)))
				}
			}
			b.Write(q)
		default:
			return fmt.Errorf("tensor %s: unknown dtype %d", t.Name, dt)
		}
	}
	b.Write(le.AppendUint32(nil, uint32(len(vocab))))
	for _, p := range vocab {
		b.Write(le.AppendUint16(nil, uint16(len(p.Text))))
		b.WriteString(p.Text)
		b.Write(le.AppendUint64(nil, math.Float64bits(p.Score)))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// reader walks the blob and remembers the first error, so Read stays flat.
type reader struct {
	buf []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.buf) {
		r.err = errors.New("weight file is truncated")
		return nil
	}
	p := r.buf[:n]
	r.buf = r.buf[n:]
	return p
}

func (r *reader) u8() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u16() int {
	if p := r.take(2); p != nil {
		return int(binary.LittleEndian.Uint16(p))
	}
	return 0
}

func (r *reader) u32() int {
	if p := r.take(4); p != nil {
		return int(binary.LittleEndian.Uint32(p))
	}
	return 0
}

// Read decodes a blob written by Write.
func Read(blob []byte) (*File, error) {
	r := &reader{buf: blob}
	if string(r.take(len(magic))) != magic {
		return nil, errors.New("not a uselite weight file (bad magic)")
	}
	f := &File{Tensors: map[string]*Tensor{}}
	count := r.u32()
	for range count {
		name := string(r.take(r.u16()))
		dt := DType(r.u8())
		shape := make([]int, r.u8())
		n := 1
		for i := range shape {
			shape[i] = r.u32()
			n *= shape[i]
		}
		if r.err != nil {
			break
		}
		t := &Tensor{Name: name, Shape: shape, Data: make([]float32, n)}
		switch dt {
		case Float32:
			p := r.take(4 * n)
			for i := range t.Data {
				if p != nil {
					t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
				}
			}
		case Float16:
			p := r.take(2 * n)
			for i := range t.Data {
				if p != nil {
					t.Data[i] = FromHalf(binary.LittleEndian.Uint16(p[2*i:]))
				}
			}
		case Int8:
			cols := 1
			if len(shape) > 0 {
				cols = shape[len(shape)-1]
			}
			rows := n / max(cols, 1)
			scales := r.take(4 * rows)
			q := r.take(n)
			if q == nil {
				break
			}
			for row := range rows {
				s := math.Float32frombits(binary.LittleEndian.Uint32(scales[4*row:]))
				for c := range cols {
					t.Data[row*cols+c] = float32(int8(q[row*cols+c])) * s
				}
			}
		default:
			return nil, fmt.Errorf("tensor %s: unknown dtype %d", name, dt)
		}
		f.Tensors[name] = t
	}
	pieces := r.u32()
	if r.err == nil {
		f.Vocab = make([]Piece, 0, pieces)
	}
	for range pieces {
		text := string(r.take(r.u16()))
		p := r.take(8)
		if r.err != nil {
			break
		}
		f.Vocab = append(f.Vocab, Piece{Text: text, Score: math.Float64frombits(binary.LittleEndian.Uint64(p))})
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.buf) != 0 {
		return nil, fmt.Errorf("weight file has %d trailing bytes", len(r.buf))
	}
	return f, nil
}
