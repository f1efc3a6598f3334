package querylang

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks the invariants the index relies on: Parse and Words
// never panic, parse errors point into the query, String round-trips every
// parsed AST, and the Words fallback always parses.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"tariffs allies",
		`"exact phrase"~3^2 title:"a b" -author:smith`,
		"a b AND c OR -(d e) NOT f*",
		"fuzzy~ fuzzy~2 boosted^2.5 well-known covid-19",
		"Note: the budget (see annex 2) grew 3.5% — “roughly” as planned.",
		"a AND (b OR (c AND NOT d))",
		`unclosed "quote`,
		"NOT NOT NOT x",
		"-(-x) +(NOT y)",
		"\xff\xfe(\x80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		e, err := Parse(q, testFields)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T is not *SyntaxError", q, err)
			}
			if n := utf8.RuneCountInString(q); se.Pos < 1 || se.Pos > n+1 {
				t.Fatalf("Parse(%q) error position %d outside 1..%d", q, se.Pos, n+1)
			}
			if e != nil {
				t.Fatalf("Parse(%q) returned both an Expr and an error", q)
			}
		} else {
			checkPositions(t, q, e)
			checkRoundTrip(t, q, e)
		}
		checkWords(t, q)
	})
}

// TestRandomQueries complements the fuzzer, which rarely assembles several
// operators, signs and suffixes in one input: it glues syntax fragments
// together at random and checks the same invariants.
func TestRandomQueries(t *testing.T) {
	pieces := []string{
		"a", "b", "é", "AND", "OR", "NOT", "(", ")", `"`, `"x y"`, "-", "+",
		"*", "~", "~2", "~3", "^2", "^", ":", "title:", "Author:", "foo:",
		"\xff", "0", ".5", "c", "AND", "OR", "(a", "b)", "x", "y",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		var b strings.Builder
		for range 1 + r.IntN(16) {
			b.WriteString(pieces[r.IntN(len(pieces))])
			if r.IntN(3) > 0 {
				b.WriteByte(' ') // mostly separate, or operators stay rare
			}
		}
		q := b.String()
		e, err := Parse(q, testFields)
		if err == nil {
			checkPositions(t, q, e)
			checkRoundTrip(t, q, e)
		}
		checkWords(t, q)
	}
}

// TestGeneratedQueries builds well-formed queries from the grammar, so
// deep mixes of every construct are exercised: all must parse and
// round-trip.
func TestGeneratedQueries(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var b strings.Builder
		genSeq(r, &b, 0)
		q := b.String()
		e, err := Parse(q, testFields)
		if err != nil {
			t.Fatalf("Parse(%q): unexpected error %v", q, err)
		}
		checkPositions(t, q, e)
		checkRoundTrip(t, q, e)
	}
}

func genSeq(r *rand.Rand, b *strings.Builder, depth int) {
	for i := range 1 + r.IntN(4) {
		if i > 0 {
			b.WriteByte(' ')
		}
		genUnary(r, b, depth)
		for r.IntN(3) == 0 {
			b.WriteString([]string{" AND ", " OR "}[r.IntN(2)])
			genUnary(r, b, depth)
		}
	}
}

func genUnary(r *rand.Rand, b *strings.Builder, depth int) {
	for r.IntN(4) == 0 {
		b.WriteString("NOT ")
	}
	if r.IntN(4) == 0 {
		b.WriteByte("+-"[r.IntN(2)])
	}
	if depth < 4 && r.IntN(5) == 0 {
		b.WriteByte('(')
		genSeq(r, b, depth+1)
		b.WriteByte(')')
		return
	}
	if r.IntN(4) == 0 {
		b.WriteString([]string{"title:", "AUTHOR:", "year:"}[r.IntN(3)])
	}
	if r.IntN(4) == 0 {
		b.WriteString([]string{`"a b"`, `""`, `"(x) AND"`, `"é"~3`, `"c d"~10^0.5`}[r.IntN(5)])
		return
	}
	b.WriteString([]string{"a", "b:c", "covid-19", "é", "AND*", "x*y", "~5%", "\xff", "NOTE"}[r.IntN(9)])
	b.WriteString([]string{"", "", "", "*", "~", "~1", "~2", "^2", "~2^1.5", "*^3"}[r.IntN(10)])
}

// checkPositions asserts every node of e starts inside q.
func checkPositions(t *testing.T, q string, e Expr) {
	t.Helper()
	n := utf8.RuneCountInString(q)
	var walk func(Expr)
	walk = func(e Expr) {
		if p := e.Position(); p < 1 || p > n {
			t.Fatalf("Parse(%q): node %s starts at %d, outside 1..%d", q, dump(e), p, n)
		}
		switch e := e.(type) {
		case *Seq:
			for _, c := range e.Clauses {
				walk(c.Expr)
			}
		case *And:
			for _, x := range e.Exprs {
				walk(x)
			}
		case *Or:
			for _, x := range e.Exprs {
				walk(x)
			}
		case *Not:
			walk(e.Expr)
		}
	}
	if e != nil {
		walk(e)
	}
}

// checkWords asserts that the fallback's rendering parses back to itself.
func checkWords(t *testing.T, q string) {
	t.Helper()
	w := Words(q)
	s := String(w)
	back, err := Parse(s, testFields)
	if err != nil {
		t.Fatalf("Words(%q) renders as %q, which does not parse: %v", q, s, err)
	}
	if !reflect.DeepEqual(withoutPos(back), withoutPos(w)) {
		t.Fatalf("Words(%q) = %s, but its rendering %q parses as %s", q, dump(w), s, dump(back))
	}
}

// checkRoundTrip asserts Parse(String(e)) gives e again (ignoring
// positions) and that String is stable.
func checkRoundTrip(t *testing.T, q string, e Expr) {
	t.Helper()
	s := String(e)
	back, err := Parse(s, testFields)
	if err != nil {
		t.Fatalf("Parse(%q) renders as %q, which does not parse: %v", q, s, err)
	}
	if !reflect.DeepEqual(withoutPos(back), withoutPos(e)) {
		t.Fatalf("Parse(%q) = %s, but its rendering %q parses as %s", q, dump(e), s, dump(back))
	}
	if s2 := String(back); s2 != s {
		t.Fatalf("String is not stable for %q: %q then %q", q, s, s2)
	}
}
