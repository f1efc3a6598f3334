package uselite

import (
	"strings"
	"sync"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"policysearch/embedding/uselite/internal/weightfile"
)

// wordStart is SentencePiece's mark for a piece that begins a word.
const wordStart = '\u2581'

// reservedPieces are the first ids (unknown, <s>, </s>, three extra): they
// never match text. Id 0 is what an unknown symbol becomes.
const reservedPieces = 6

// tokenizer is the SentencePiece unigram (Viterbi) tokenizer of the
// tfjs/EnergeticAI port, reproduced decision for decision so the ids equal
// the reference's: the same trie, the same candidate order (by start
// ascending), the same "score >= best" tie rule, the same zero-initialised
// best scores and the same merging of consecutive unknowns.
type tokenizer struct {
	nodes []trieNode
	edges map[trieEdge]int32
	// backLen is each piece's length in UTF-16 code units: the port walks
	// back by the JavaScript string length, not by code points.
	backLen []int
	scratch sync.Pool // *tokenScratch
}

type trieNode struct {
	end   bool
	runes int // piece length in code points
	score float64
	id    int32
}

type trieEdge struct {
	parent int32
	r      rune
}

type tokenScratch struct {
	symbols []rune
	best    []float64
	words   []int32
	ids     []int32
}

func newTokenizer(vocab []weightfile.Piece) *tokenizer {
	t := &tokenizer{nodes: make([]trieNode, 1), edges: make(map[trieEdge]int32, 4*len(vocab))}
	t.backLen = make([]int, len(vocab))
	for id, p := range vocab {
		t.backLen[id] = len(utf16.Encode([]rune(p.Text)))
		if id < reservedPieces {
			continue
		}
		node, runes := int32(0), 0
		for _, r := range p.Text {
			e := trieEdge{node, r}
			child, ok := t.edges[e]
			if !ok {
				child = int32(len(t.nodes))
				t.nodes = append(t.nodes, trieNode{})
				t.edges[e] = child
			}
			node = child
			runes++
		}
		// A piece listed twice keeps its last entry, as the port's trie does.
		t.nodes[node] = trieNode{end: true, runes: runes, score: p.Score, id: int32(id)}
	}
	return t
}

// isJSSpace reports whether r is in JavaScript's \s class (which trim()
// also uses); unicode.IsSpace differs on U+0085 and U+FEFF.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// NormalizeWhitespace turns every run of whitespace into one space and trims
// the ends, as SentencePiece's own normaliser does and the reference server
// does before tokenising (the JavaScript port would turn a newline into an
// unknown piece and glue the next word on without its word-start mark).
func NormalizeWhitespace(text string) string {
	clean := true
	prevSpace := true
	for _, r := range text {
		sp := isJSSpace(r)
		if sp && (prevSpace || r != ' ') {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean && !prevSpace {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	pending := false
	for _, r := range text {
		if isJSSpace(r) {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// encode appends the piece ids of text (whitespace already normalised) to
// s.ids, all of them: the caller truncates.
func (t *tokenizer) encode(text string, s *tokenScratch) {
	s.ids = s.ids[:0]
	text = norm.NFKC.String(text)
	if text == "" {
		return
	}
	s.symbols = append(s.symbols[:0], wordStart)
	for _, r := range text {
		if r == ' ' {
			r = wordStart
		}
		s.symbols = append(s.symbols, r)
	}
	n := len(s.symbols)
	s.best = resize(s.best, n+1)
	s.words = resize(s.words, n+1)
	clear(s.best)
	clear(s.words)
	// Forward Viterbi in start order: when start i is reached every piece
	// ending at i has been scored, so best[i] is final, and candidates for a
	// given end arrive by ascending start, the order the port uses.
	offer := func(end int, score float64, id int32) {
		if s.best[end] == 0 || score >= s.best[end] {
			s.best[end] = score
			s.words[end] = id
		}
	}
	for i := range n {
		found := false
		node := int32(0)
		for j := i; j < n; j++ {
			child, ok := t.edges[trieEdge{node, s.symbols[j]}]
			if !ok {
				break
			}
			node = child
			if nd := &t.nodes[node]; nd.end {
				offer(i+nd.runes, nd.score+s.best[i], nd.id)
				found = true
			}
		}
		if !found {
			offer(i+1, s.best[i], 0) // unknown symbol: score 0, id 0
		}
	}
	// Walk back from the end, then merge runs of unknowns and reverse.
	for iter := n; iter > 0; {
		id := s.words[iter]
		s.ids = append(s.ids, id)
		iter -= t.backLen[id]
	}
	out := s.ids[:0]
	prevUnknown := false
	for _, id := range s.ids {
		if !(prevUnknown && id == 0) {
			out = append(out, id)
		}
		prevUnknown = id == 0
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	s.ids = out
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (t *tokenizer) getScratch() *tokenScratch {
	if s, ok := t.scratch.Get().(*tokenScratch); ok {
		return s
	}
	return &tokenScratch{}
}

// tokenize returns the ids of the whitespace-normalised text (a new slice).
func (t *tokenizer) tokenize(text string) []int32 {
	s := t.getScratch()
	t.encode(NormalizeWhitespace(text), s)
	ids := append([]int32(nil), s.ids...)
	t.scratch.Put(s)
	return ids
}

// count is len(tokenize(text)) reusing pooled buffers.
func (t *tokenizer) count(text string) int {
	s := t.getScratch()
	t.encode(NormalizeWhitespace(text), s)
	n := len(s.ids)
	t.scratch.Put(s)
	return n
}
