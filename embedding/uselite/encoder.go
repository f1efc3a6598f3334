package uselite

import (
	"fmt"
	"math"
	"sync"

	"policysearch/embedding/uselite/internal/weightfile"
)

// The graph's hyper-parameters. cmd/convert checks them against model.json
// (attention scales, heads, layer norm epsilon, clip length), so a
// different export of the model fails conversion instead of running wrong.
const (
	embDim    = 256
	heads     = 4
	ffnDim    = 1536
	layerNorm = float32(1e-6)
)

// linear is y = x·w + b with w stored row-major as [in][out], as in the
// graph (MatMul, and Conv2D with a 1x1 kernel).
type linear struct {
	in, out int
	w, b    []float32
	packed  packedMatrix
}

// layer is one transformer block of the KonaTransformer stack: pre-norm
// attention and feed-forward, each added to a residual. Layer 0 widens
// 256 → 512, so its residual goes through a dense projection ("res").
type layer struct {
	dim, headDim int
	scale        float32
	ln1g, ln1b   []float32
	res          *linear
	qkv, out     linear
	ln2g, ln2b   []float32
	ffn1, ffn2   linear
}

type encoder struct {
	vocabSize int
	emb       []float32 // [vocabSize][embDim]
	timing    []float32 // [embDim/2] inverse timescales
	layers    [2]layer
	final     linear // tanh layer, 512 → 512
	scratch   sync.Pool
}

func newEncoder(ts map[string]*weightfile.Tensor) (*encoder, error) {
	var missing []string
	get := func(name string, shape ...int) []float32 {
		t, ok := ts[name]
		if !ok {
			missing = append(missing, name)
			return nil
		}
		if len(t.Shape) != len(shape) {
			missing = append(missing, fmt.Sprintf("%s (shape %v)", name, t.Shape))
			return nil
		}
		for i := range shape {
			if shape[i] >= 0 && t.Shape[i] != shape[i] {
				missing = append(missing, fmt.Sprintf("%s (shape %v)", name, t.Shape))
				return nil
			}
		}
		return t.Data
	}
	lin := func(name string, in, out int) linear {
		return linear{in: in, out: out, w: get(name+".w", in, out), b: get(name+".b", out)}
	}
	e := &encoder{}
	e.emb = get("emb", -1, embDim)
	if t, ok := ts["emb"]; ok {
		e.vocabSize = t.Shape[0]
	}
	e.timing = get("timing", embDim/2)
	for l := range e.layers {
		in := embDim
		if l > 0 {
			in = dims
		}
		p := fmt.Sprintf("l%d.", l)
		ly := &e.layers[l]
		ly.dim = in
		ly.headDim = in / heads
		ly.scale = float32(1 / math.Sqrt(float64(ly.headDim)))
		ly.ln1g, ly.ln1b = get(p+"ln1.g", in), get(p+"ln1.b", in)
		if in != dims {
			r := lin(p+"res", in, dims)
			ly.res = &r
		}
		ly.qkv = lin(p+"qkv", in, 3*in)
		ly.out = lin(p+"out", in, dims)
		ly.ln2g, ly.ln2b = get(p+"ln2.g", dims), get(p+"ln2.b", dims)
		ly.ffn1 = lin(p+"ffn1", dims, ffnDim)
		ly.ffn2 = lin(p+"ffn2", ffnDim, dims)
	}
	e.final = lin("final", dims, dims)
	if len(missing) > 0 {
		return nil, fmt.Errorf("weight file lacks %v", missing)
	}
	for _, l := range e.linears() {
		l.packed = pack(l.w, l.in, l.out)
		l.w = nil // the packed copy is all the forward pass reads
	}
	return e, nil
}

func (e *encoder) linears() []*linear {
	var ls []*linear
	for i := range e.layers {
		ly := &e.layers[i]
		if ly.res != nil {
			ls = append(ls, ly.res)
		}
		ls = append(ls, &ly.qkv, &ly.out, &ly.ffn1, &ly.ffn2)
	}
	return append(ls, &e.final)
}

// buffers are one forward pass's activations, sized for maxTokens and
// pooled: a pass allocates nothing but its result.
type buffers struct {
	x, h, r, qkv, att, ffn []float32
	scores                 []float32
	keys, values           packedMatrix
	par                    int
}

func (e *encoder) getBuffers() *buffers {
	if b, ok := e.scratch.Get().(*buffers); ok {
		return b
	}
	return &buffers{
		x:      make([]float32, maxTokens*dims),
		h:      make([]float32, maxTokens*dims),
		r:      make([]float32, maxTokens*dims),
		qkv:    make([]float32, maxTokens*3*dims),
		att:    make([]float32, maxTokens*dims),
		ffn:    make([]float32, maxTokens*ffnDim),
		scores: make([]float32, maxTokens*maxTokens),
	}
}

// embed runs the graph on one input's ids (1 to maxTokens of them) and
// returns its unit vector.
// par > 1 splits each weight product's columns across that many
// goroutines, for a lone input (a query) that would otherwise use one core.
func (e *encoder) embed(ids []int32, par int) []float32 {
	n := len(ids)
	b := e.getBuffers()
	defer e.scratch.Put(b)
	b.par = par

	// Input: the graph adds the embedding to (embedding + timing signal),
	// so a token starts as 2·emb + [sin(pos·ts), cos(pos·ts)].
	x := b.x[:n*embDim]
	half := embDim / 2
	for t, id := range ids {
		row := x[t*embDim : (t+1)*embDim]
		src := e.emb[int(id)*embDim : (int(id)+1)*embDim]
		pos := float32(t)
		for i := range half {
			arg := float64(pos * e.timing[i])
			row[i] = src[i] + (src[i] + float32(math.Sin(arg)))
			row[half+i] = src[half+i] + (src[half+i] + float32(math.Cos(arg)))
		}
	}
	for l := range e.layers {
		x = e.layers[l].forward(x, n, b)
	}

	// Mean over the tokens, then tanh(pool·W + b), then unit length.
	pool := make([]float32, dims)
	for t := range n {
		for i, v := range x[t*dims : (t+1)*dims] {
			pool[i] += v
		}
	}
	inv := 1 / float32(n)
	for i := range pool {
		pool[i] *= inv
	}
	vec := make([]float32, dims)
	e.final.apply(vec, pool, 1, b.par)
	var ss float64
	for i, v := range vec {
		v = float32(math.Tanh(float64(v)))
		vec[i] = v
		ss += float64(v) * float64(v)
	}
	if ss > 0 {
		s := float32(1 / math.Sqrt(ss))
		for i := range vec {
			vec[i] *= s
		}
	}
	return vec
}

// forward runs one block on x ([n][ly.dim]) and returns the new activations
// ([n][dims]), which live in b.x.
func (ly *layer) forward(x []float32, n int, b *buffers) []float32 {
	d := ly.dim
	h := b.h[:n*d]
	layerNormRows(h, x, n, d, ly.ln1g, ly.ln1b)
	r := b.r[:n*dims]
	if ly.res != nil {
		ly.res.apply(r, x, n, b.par)
	} else {
		copy(r, x)
	}
	qkv := b.qkv[:n*3*d]
	ly.qkv.apply(qkv, h, n, b.par)
	att := b.att[:n*d]
	ly.attention(att, qkv, n, b)
	y := b.x[:n*dims]
	ly.out.apply(y, att, n, b.par)
	for i := range y {
		y[i] += r[i]
	}
	z := b.h[:n*dims]
	layerNormRows(z, y, n, dims, ly.ln2g, ly.ln2b)
	f := b.ffn[:n*ffnDim]
	ly.ffn1.apply(f, z, n, b.par)
	for i, v := range f {
		f[i] = max(v, 0)
	}
	ly.ffn2.apply(r, f, n, b.par)
	for i := range y {
		y[i] += r[i]
	}
	return y
}

// attention is softmax(q·kᵀ·scale)·v per head over one unpadded sequence
// (so no padding mask is needed), written into dst ([n][ly.dim]).
func (ly *layer) attention(dst, qkv []float32, n int, b *buffers) {
	d, hd := ly.dim, ly.headDim
	stride := 3 * d
	scores := b.scores[:n*n]
	clear(dst[:n*d])
	for hh := range heads {
		qo, ko, vo := hh*hd, d+hh*hd, 2*d+hh*hd
		b.keys.packFrom(qkv[ko:], hd, n, stride, true)
		clear(scores)
		gemm(scores, n, qkv[qo:], stride, n, &b.keys)
		for i := range n {
			softmaxScaled(scores[i*n:(i+1)*n], ly.scale)
		}
		b.values.packFrom(qkv[vo:], n, hd, stride, false)
		gemm(dst[qo:], d, scores, n, n, &b.values)
	}
}

// softmaxScaled replaces row with softmax(row·scale).
func softmaxScaled(row []float32, scale float32) {
	m := float32(math.Inf(-1))
	for j, v := range row {
		v *= scale
		row[j] = v
		m = max(m, v)
	}
	var sum float32
	for j, v := range row {
		e := float32(math.Exp(float64(v - m)))
		row[j] = e
		sum += e
	}
	inv := 1 / sum
	for j := range row {
		row[j] *= inv
	}
}

// layerNormRows normalises each of n rows of width d: (x-mean)/sqrt(var+ε)
// scaled by g and shifted by b, as the graph's layer_norm subgraph does.
func layerNormRows(dst, src []float32, n, d int, g, b []float32) {
	for t := range n {
		row := src[t*d : (t+1)*d]
		var mean float32
		for _, v := range row {
			mean += v
		}
		mean /= float32(d)
		var variance float32
		for _, v := range row {
			variance += (v - mean) * (v - mean)
		}
		variance /= float32(d)
		inv := float32(1 / math.Sqrt(float64(variance+layerNorm)))
		out := dst[t*d : (t+1)*d]
		for i, v := range row {
			out[i] = (v-mean)*(g[i]*inv) + b[i]
		}
	}
}

// apply computes dst[n][out] = src[n][in]·w + b, on par goroutines.
func (l *linear) apply(dst, src []float32, n, par int) {
	for t := range n {
		copy(dst[t*l.out:(t+1)*l.out], l.b)
	}
	np := l.packed.numPanels()
	if par < 2 || np < 2 {
		gemm(dst, l.out, src, l.in, n, &l.packed)
		return
	}
	per := (np + par - 1) / par
	var wg sync.WaitGroup
	for p0 := per; p0 < np; p0 += per {
		wg.Go(func() { gemmPanels(dst, l.out, src, l.in, n, &l.packed, p0, min(np, p0+per)) })
	}
	gemmPanels(dst, l.out, src, l.in, n, &l.packed, 0, per)
	wg.Wait()
}
