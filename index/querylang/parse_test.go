package querylang

import (
	"reflect"
	"testing"
)

// Constructors for expected ASTs; positions are compared separately.
func word(v string) *Term             { return &Term{Value: v} }
func fword(f, v string) *Term         { return &Term{Field: f, Value: v} }
func phrase(v string, slop int) *Term { return &Term{Value: v, Kind: Phrase, Slop: slop} }
func prefix(v string) *Term           { return &Term{Value: v, Kind: Prefix} }
func fuzzy(v string, n int) *Term     { return &Term{Value: v, Kind: Fuzzy, Fuzziness: n} }
func boost(t *Term, b float64) *Term  { t.Boost = b; return t }
func and(es ...Expr) *And             { return &And{Exprs: es} }
func or(es ...Expr) *Or               { return &Or{Exprs: es} }
func not(e Expr) *Not                 { return &Not{Expr: e} }
func should(e Expr) Clause            { return Clause{Occur: Should, Expr: e} }
func must(e Expr) Clause              { return Clause{Occur: Must, Expr: e} }
func mustNot(e Expr) Clause           { return Clause{Occur: MustNot, Expr: e} }
func seq(cs ...Clause) *Seq           { return &Seq{Clauses: cs} }

func TestParseAST(t *testing.T) {
	tests := []struct {
		name, q string
		want    Expr
	}{
		{"empty", "", nil},
		{"whitespace", " \t\n\u00a0 ", nil},
		{"one word", "tariffs", word("tariffs")},
		{"words are should clauses", "tariffs allies", seq(should(word("tariffs")), should(word("allies")))},
		{"phrase", `"exact phrase"`, phrase("exact phrase", 0)},
		{"phrase slop", `"exact phrase"~3`, phrase("exact phrase", 3)},
		{"phrase slop 0 is exact", `"a b"~0`, phrase("a b", 0)},
		{"phrase slop 10", `"a b"~10`, phrase("a b", 10)},
		{"phrase slop and boost", `"a b"~2^1.5`, boost(phrase("a b", 2), 1.5)},
		{"empty phrase", `""`, phrase("", 0)},
		{"phrase keeps inner syntax", `"a (b) AND -c*"`, phrase("a (b) AND -c*", 0)},
		{"word glued to phrase", `foo"bar"baz`, seq(should(word("foo")), should(phrase("bar", 0)), should(word("baz")))},
		{"sign glued to phrase starts a clause", `"a"-b`, seq(should(phrase("a", 0)), mustNot(word("b")))},
		{"field", "title:brexit", fword("title", "brexit")},
		{"field is case-insensitive", "TITLE:Brexit author:Smith", seq(should(fword("title", "Brexit")), should(fword("author", "Smith")))},
		{"field phrase", `title:"trade war"~2`, &Term{Field: "title", Value: "trade war", Kind: Phrase, Slop: 2}},
		{"field prefix", "title:trade*", &Term{Field: "title", Value: "trade", Kind: Prefix}},
		{"field value keeps colons", "source:a:b", fword("source", "a:b")},
		{"field value may look like syntax", "title:AND title:-x", seq(should(fword("title", "AND")), should(fword("title", "-x")))},
		{"unknown field is text", "foo:bar", word("foo:bar")},
		{"unknown field before phrase", `foo:"a b"`, seq(should(word("foo:")), should(phrase("a b", 0)))},
		{"prose colon", "Note: the budget", seq(should(word("Note:")), should(word("the")), should(word("budget")))},
		{"colon first is text", ":title", word(":title")},
		{"must", "+tariffs", word("tariffs")},
		{"exclude alone", "-tariffs", not(word("tariffs"))},
		{"must and exclude", "+tariffs -steel allies", seq(must(word("tariffs")), mustNot(word("steel")), should(word("allies")))},
		{"sign on phrase", `-"trade war" x`, seq(mustNot(phrase("trade war", 0)), should(word("x")))},
		{"sign on field", "+year:2020 x", seq(must(fword("year", "2020")), should(word("x")))},
		{"sign on group", "x -(a b)", seq(should(word("x")), mustNot(seq(should(word("a")), should(word("b")))))},
		{"inner hyphens are text", "well-known covid-19 x-", seq(should(word("well-known")), should(word("covid-19")), should(word("x-")))},
		{"inner plus is text", "C++ a+b", seq(should(word("C++")), should(word("a+b")))},
		{"prefix", "tarif*", prefix("tarif")},
		{"inner star is text", "a*b", word("a*b")},
		{"lone star is text", "*", word("*")},
		{"double star", "a**", prefix("a*")},
		{"fuzzy default", "tarif~", fuzzy("tarif", 1)},
		{"fuzzy 1", "tarif~1", fuzzy("tarif", 1)},
		{"fuzzy 2", "tarif~2", fuzzy("tarif", 2)},
		{"tilde before text is text", "a~b ~5%", seq(should(word("a~b")), should(word("~5%")))},
		{"fuzzy then boost", "tarif~2^3", boost(fuzzy("tarif", 2), 3)},
		{"boost", "term^2.5", boost(word("term"), 2.5)},
		{"boost leading dot", "term^.5", boost(word("term"), 0.5)},
		{"prefix boost", "term*^2", boost(prefix("term"), 2)},
		{"caret first is text", "^2", word("^2")},
		{"last caret is the boost", "a^b^2", boost(word("a^b"), 2)},
		{"lowercase operators are words", "trade and or not", seq(should(word("trade")), should(word("and")), should(word("or")), should(word("not")))},
		{"operators need whole words", "ANDROID NOTE ORder", seq(should(word("ANDROID")), should(word("NOTE")), should(word("ORder")))},
		{"operator with star is a prefix", "AND*", prefix("AND")},
		{"and", "a AND b AND c", and(word("a"), word("b"), word("c"))},
		{"or", "a OR b", or(word("a"), word("b"))},
		{"and binds tighter than or", "a OR b AND c", or(word("a"), and(word("b"), word("c")))},
		{"and binds tighter than or, left", "a AND b OR c", or(and(word("a"), word("b")), word("c"))},
		{"seq is loosest (and)", "a b AND c", seq(should(word("a")), should(and(word("b"), word("c"))))},
		{"seq is loosest (or)", "a OR b c", seq(should(or(word("a"), word("b"))), should(word("c")))},
		{"not in seq is exclude", "a NOT b", seq(should(word("a")), mustNot(word("b")))},
		{"not binds tighter than and", "NOT a AND b", and(not(word("a")), word("b"))},
		{"and not", "a AND NOT b", and(word("a"), not(word("b")))},
		{"or not", "a OR NOT b", or(word("a"), not(word("b")))},
		{"minus under and", "-a AND b", and(not(word("a")), word("b"))},
		{"plus under or", "+a OR b", or(word("a"), word("b"))},
		{"double not cancels", "x NOT NOT y", seq(should(word("x")), should(word("y")))},
		{"not minus cancels", "x NOT -y", seq(should(word("x")), must(word("y")))},
		{"not of group", "NOT (a OR b)", not(or(word("a"), word("b")))},
		{"not of negated group", "NOT (NOT a)", not(not(word("a")))},
		{"minus of negated group", "x -(-y)", seq(should(word("x")), mustNot(not(word("y"))))},
		{"negated group as clause", "x (NOT y)", seq(should(word("x")), should(not(word("y"))))},
		{"parens", "(a OR b) AND c", and(or(word("a"), word("b")), word("c"))},
		{"redundant parens", "((a))", word("a")},
		{"group must collapses", "x (+y)", seq(should(word("x")), should(word("y")))},
		{"group seq", "x (a b)", seq(should(word("x")), should(seq(should(word("a")), should(word("b")))))},
		{"nested and flattens", "a AND (b AND c)", and(word("a"), word("b"), word("c"))},
		{"nested or flattens", "(a OR b) OR c", or(word("a"), word("b"), word("c"))},
		{"parens need no spaces", "(a)AND(b)", and(word("a"), word("b"))},
		{"not without space", "NOT(a)", not(word("a"))},
		{"word after paren", "(a)b", seq(should(word("a")), should(word("b")))},
		{"depth 32", nest(32, "x"), word("x")},
		{"long not run", repeat("NOT ", 1001) + "x", not(word("x"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.q, testFields)
			if err != nil {
				t.Fatalf("Parse(%q): unexpected error %v", tc.q, err)
			}
			if !reflect.DeepEqual(withoutPos(got), withoutPos(tc.want)) {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tc.q, dump(got), dump(tc.want))
			}
			if got != nil {
				checkRoundTrip(t, tc.q, got)
			}
		})
	}
}

// TestString pins the canonical rendering, which users see in the
// "searched as" notice.
func TestString(t *testing.T) {
	tests := []struct{ q, want string }{
		{"", ""},
		{"  tariffs   allies ", "tariffs allies"},
		{"a b AND c", "a b AND c"},
		{"(a OR b) c", "a OR b c"},
		{"a (b c)", "a (b c)"},
		{"a AND (b OR c)", "a AND (b OR c)"},
		{"(a AND b) OR c", "a AND b OR c"},
		{"-x", "NOT x"},
		{"x -y", "x -y"},
		{"x NOT y", "x -y"},
		{"x -(a OR b)", "x -(a OR b)"},
		{"x +(NOT y)", "x +(NOT y)"},
		{"NOT (NOT x)", "NOT (NOT x)"},
		{"NOT (a b)", "NOT (a b)"},
		{"x (-y)", "x (NOT y)"},
		{"fuzzy~", "fuzzy~1"},
		{`"a b"~0 "c"~4^2`, `"a b" "c"~4^2`},
		{"x^1.50", "x^1.5"},
		{"TITLE:x", "title:x"},
		{"a   AND\tb", "a AND b"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			e, err := Parse(tc.q, testFields)
			if err != nil {
				t.Fatalf("Parse(%q): unexpected error %v", tc.q, err)
			}
			if got := String(e); got != tc.want {
				t.Errorf("String(Parse(%q)) = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

// TestPositions checks that nodes know where they start, counted in runes.
func TestPositions(t *testing.T) {
	tests := []struct{ q, want string }{
		{"tariffs", `Term{"" "tariffs" word f0 s0 b0 @1}`},
		{"«é» x", `Seq@1{should Term{"" "«é»" word f0 s0 b0 @1}, should Term{"" "x" word f0 s0 b0 @5}}`},
		{`a -title:"b c"`, `Seq@1{should Term{"" "a" word f0 s0 b0 @1}, must not Term{"title" "b c" phrase f0 s0 b0 @4}}`},
		{"  -x", `Not@3{Term{"" "x" word f0 s0 b0 @4}}`},
		{"NOT a AND b", `And@1{Not@1{Term{"" "a" word f0 s0 b0 @5}}, Term{"" "b" word f0 s0 b0 @11}}`},
		{"x (a OR b)", `Seq@1{should Term{"" "x" word f0 s0 b0 @1}, should Or@4{Term{"" "a" word f0 s0 b0 @4}, Term{"" "b" word f0 s0 b0 @9}}}`},
		{"x (a b)", `Seq@1{should Term{"" "x" word f0 s0 b0 @1}, should Seq@3{should Term{"" "a" word f0 s0 b0 @4}, should Term{"" "b" word f0 s0 b0 @6}}}`},
		{"\xff y", `Seq@1{should Term{"" "\xff" word f0 s0 b0 @1}, should Term{"" "y" word f0 s0 b0 @3}}`},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			e, err := Parse(tc.q, testFields)
			if err != nil {
				t.Fatalf("Parse(%q): unexpected error %v", tc.q, err)
			}
			if got := dump(e); got != tc.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tc.q, got, tc.want)
			}
		})
	}
}

func nest(n int, inner string) string { return repeat("(", n) + inner + repeat(")", n) }

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}
