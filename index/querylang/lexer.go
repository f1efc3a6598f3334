package querylang

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tTerm
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tPlus
	tMinus
	tError // always last: the lexer stops at its first error
)

type token struct {
	kind tokKind
	pos  int
	term *Term        // tTerm
	err  *SyntaxError // tError
}

// name is how an operator token is called in error messages.
func (t token) name() string {
	switch t.kind {
	case tAnd:
		return "AND"
	case tOr:
		return "OR"
	case tNot:
		return "NOT"
	case tPlus:
		return `"+"`
	case tMinus:
		return `"-"`
	}
	return "query"
}

// lexer turns the query into tokens in one pass. Words end only at
// whitespace, parentheses and the ASCII double quote, so prose punctuation
// (commas, colons, curly quotes, dashes) stays inside words for the analyzer.
type lexer struct {
	src    string
	fields map[string]string // lowercase name -> name in the AST
	i      int               // byte offset into src
	pos    int               // rune position of src[i], 1-based
	toks   []token
}

func lex(src string, fields []string) []token {
	lx := &lexer{src: src, pos: 1, fields: make(map[string]string, len(fields))}
	for _, f := range fields {
		lx.fields[strings.ToLower(f)] = strings.ToLower(f)
	}
	for lx.i < len(lx.src) {
		if err := lx.step(); err != nil {
			lx.toks = append(lx.toks, token{kind: tError, pos: err.Pos, err: err})
			return lx.toks
		}
	}
	return append(lx.toks, token{kind: tEOF, pos: lx.pos})
}

func (lx *lexer) peekRune() (rune, int) {
	return utf8.DecodeRuneInString(lx.src[lx.i:])
}

func (lx *lexer) emit(k tokKind) {
	lx.toks = append(lx.toks, token{kind: k, pos: lx.pos})
}

// step consumes one token or one whitespace rune.
func (lx *lexer) step() *SyntaxError {
	r, w := lx.peekRune()
	switch {
	case unicode.IsSpace(r):
		lx.i += w
		lx.pos++
		return nil
	case r == '(':
		lx.emit(tLParen)
	case r == ')':
		lx.emit(tRParen)
	case r == '+' || r == '-':
		// Every word starts where a clause may start (after whitespace, a
		// parenthesis or a phrase), so a sign here is always a prefix; signs
		// inside words ("covid-19") never reach this point.
		k := tPlus
		if r == '-' {
			k = tMinus
		}
		lx.emit(k)
		// The parser never sees whitespace, so "a - b" is caught here.
		rest := lx.src[lx.i+w:]
		next, _ := utf8.DecodeRuneInString(rest)
		if rest == "" || (isDelim(next) && next != '(' && next != '"') {
			t := lx.toks[len(lx.toks)-1]
			return &SyntaxError{Pos: t.pos, Msg: t.name() + " needs a word right after it"}
		}
	case r == '"':
		return lx.phrase("", lx.pos)
	default:
		return lx.word()
	}
	lx.i += w
	lx.pos++
	return nil
}

func isDelim(r rune) bool {
	return r == '(' || r == ')' || r == '"' || unicode.IsSpace(r)
}

// scanRun consumes runes up to the next delimiter and returns them.
func (lx *lexer) scanRun() string {
	start := lx.i
	for lx.i < len(lx.src) {
		r, w := lx.peekRune()
		if isDelim(r) {
			break
		}
		lx.i += w
		lx.pos++
	}
	return lx.src[start:lx.i]
}

func (lx *lexer) word() *SyntaxError {
	pos := lx.pos
	text := lx.scanRun()
	switch text {
	case "AND":
		lx.toks = append(lx.toks, token{kind: tAnd, pos: pos})
		return nil
	case "OR":
		lx.toks = append(lx.toks, token{kind: tOr, pos: pos})
		return nil
	case "NOT":
		lx.toks = append(lx.toks, token{kind: tNot, pos: pos})
		return nil
	}
	field, value, valuePos := "", text, pos
	if k := strings.IndexByte(text, ':'); k > 0 {
		if f, ok := lx.fields[strings.ToLower(text[:k])]; ok {
			field, value = f, text[k+1:]
			valuePos = pos + utf8.RuneCountInString(text[:k+1])
		}
	}
	if field != "" && value == "" {
		if lx.i < len(lx.src) && lx.src[lx.i] == '"' {
			return lx.phrase(field, pos)
		}
		return &SyntaxError{Pos: pos, Msg: `"` + field + `:" needs a value`}
	}
	t, err := newTerm(field, value, pos, valuePos)
	if err != nil {
		return err
	}
	lx.toks = append(lx.toks, token{kind: tTerm, pos: pos, term: t})
	return nil
}

// newTerm reads the optional suffixes of a word, outermost first:
// "value~N^B" or "value*^B". A suffix marker at the very start of the value
// is literal text ("~5%", "*"), so a term is never left with an empty value.
func newTerm(field, v string, pos, valuePos int) (*Term, *SyntaxError) {
	t := &Term{Field: field, Kind: Word, Pos: pos}
	at := func(k int) int { return valuePos + utf8.RuneCountInString(v[:k]) }
	if k := strings.LastIndexByte(v, '^'); k > 0 {
		b, ok := parseBoost(v[k+1:])
		if !ok {
			return nil, &SyntaxError{Pos: at(k), Msg: "boost must be a positive number"}
		}
		t.Boost, v = b, v[:k]
	}
	// A tilde followed by anything but digits is text ("a~b", URLs with
	// "~user"), but digits that are not 1 or 2 are a mistyped fuzziness.
	if k := strings.LastIndexByte(v, '~'); k > 0 && allDigits(v[k+1:]) {
		switch v[k+1:] {
		case "", "1":
			t.Fuzziness = 1
		case "2":
			t.Fuzziness = 2
		default:
			return nil, &SyntaxError{Pos: at(k), Msg: "fuzziness must be 1 or 2"}
		}
		t.Kind, t.Value = Fuzzy, v[:k]
		return t, nil
	}
	if len(v) > 1 && v[len(v)-1] == '*' {
		t.Kind, v = Prefix, v[:len(v)-1]
	}
	t.Value = v
	return t, nil
}

// phrase lexes `"..."` and its optional `~N` and `^B` suffixes; pos is
// where the term starts (the field name for `field:"..."`).
func (lx *lexer) phrase(field string, pos int) *SyntaxError {
	quotePos := lx.pos
	end := strings.IndexByte(lx.src[lx.i+1:], '"')
	if end < 0 {
		return &SyntaxError{Pos: quotePos, Msg: "unclosed quote"}
	}
	value := lx.src[lx.i+1 : lx.i+1+end]
	lx.pos += utf8.RuneCountInString(value) + 2
	lx.i += end + 2
	t := &Term{Field: field, Value: value, Kind: Phrase, Pos: pos}
	lx.toks = append(lx.toks, token{kind: tTerm, pos: pos, term: t})
	if lx.i >= len(lx.src) || (lx.src[lx.i] != '~' && lx.src[lx.i] != '^') {
		// Anything else glued to the closing quote starts a new clause.
		return nil
	}
	suffixPos := lx.pos
	s := lx.scanRun()
	if s[0] == '~' {
		n := len(s)
		if k := strings.IndexByte(s, '^'); k >= 0 {
			n = k
		}
		slop, err := strconv.Atoi(s[1:n])
		if err != nil || !allDigits(s[1:n]) || slop > 10 {
			return &SyntaxError{Pos: suffixPos, Msg: "phrase slop must be a whole number from 0 to 10"}
		}
		t.Slop = slop
		suffixPos += utf8.RuneCountInString(s[:n])
		s = s[n:]
	}
	if s != "" {
		b, ok := parseBoost(s[1:])
		if !ok {
			return &SyntaxError{Pos: suffixPos, Msg: "boost must be a positive number"}
		}
		t.Boost = b
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseBoost accepts plain decimals only ("2", "0.5", ".5"): strconv would
// also take "inf", hex and exponents, which String could not write back in
// the same form.
func parseBoost(s string) (float64, bool) {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.':
			dots++
		default:
			return 0, false
		}
	}
	if digits == 0 || dots > 1 {
		return 0, false
	}
	b, err := strconv.ParseFloat(s, 64)
	if err != nil || b <= 0 {
		return 0, false
	}
	return b, true
}
