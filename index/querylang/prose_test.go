package querylang

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Researchers and journalists paste paragraphs into the search box. These
// must parse as words (and the odd phrase or group) without an error.
func TestProsePastes(t *testing.T) {
	tests := []struct {
		name, q, want string
	}{
		{
			name: "commission work programme",
			q: "The Commission's 2024 work programme (COM(2023) 638) sets out 43 new initiatives: " +
				"on competitiveness, defence and the green transition. Note: the budget rises 3.5% — " +
				"“roughly in line” with inflation.",
			want: "The Commission's 2024 work programme (COM 2023 638) sets out 43 new initiatives: " +
				"on competitiveness, defence and the green transition. Note: the budget rises 3.5% — " +
				"“roughly in line” with inflation.",
		},
		{
			name: "urls and e-mail",
			q: "According to the IMF, global growth will slow to 2.9% in 2024. See " +
				"https://www.imf.org/en/Publications/WEO?id=12&x=~user or e-mail press@imf.org for details; " +
				`figures are "preliminary" and subject to revision.`,
			want: "According to the IMF, global growth will slow to 2.9% in 2024. See " +
				"https://www.imf.org/en/Publications/WEO?id=12&x=~user or e-mail press@imf.org for details; " +
				`figures are "preliminary" and subject to revision.`,
		},
		{
			name: "quotation and aside",
			q: "Tariffs on steel and aluminium – first imposed in 2018 under Section 232 – remain in place.\n" +
				`The U.S. Trade Representative said: "We will not back down." Critics (including several allies) disagree.`,
			want: "Tariffs on steel and aluminium – first imposed in 2018 under Section 232 – remain in place. " +
				`The U.S. Trade Representative said: "We will not back down." Critics (including several allies) disagree.`,
		},
		{
			name: "apostrophes and symbols",
			q: "It's not the 1,000,000 jobs… it's the $4.5bn question, i.e. who pays? At 10:30 the Q&A " +
				"on 50/50 cost-sharing began (see p. 12); #budget @treasury said 'no comment'.",
			want: "It's not the 1,000,000 jobs… it's the $4.5bn question, i.e. who pays? At 10:30 the Q&A " +
				"on 50/50 cost-sharing began (see p. 12) ; #budget @treasury said 'no comment'.",
		},
		{
			name: "capitalised heading with AND",
			q:    "RESEARCH AND DEVELOPMENT spending rose. Status: final.",
			want: "RESEARCH AND DEVELOPMENT spending rose. Status: final.",
		},
		{
			name: "other scripts",
			q:    "Die Bundesregierung hat am 3. März beschlossen: „Wir handeln.“ 中国的经济增长放缓。 Ça va: très bien.",
			want: "Die Bundesregierung hat am 3. März beschlossen: „Wir handeln.“ 中国的经济增长放缓。 Ça va: très bien.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.q, testFields)
			if err != nil {
				t.Fatalf("Parse: unexpected error %v", err)
			}
			if got := String(e); got != tc.want {
				t.Errorf("String(Parse(q))\n got %q\nwant %q", got, tc.want)
			}
			for _, term := range terms(e) {
				if term.Kind != Word && term.Kind != Phrase {
					t.Errorf("term %q is %v, want word or phrase", term.Value, term.Kind)
				}
			}
			checkRoundTrip(t, tc.q, e)
		})
	}
}

// Some pastes really are malformed. They must fail to parse, and the Words
// fallback must still find every word.
func TestMalformedPastes(t *testing.T) {
	tests := []struct {
		name, q string
		pos     int
		words   string
	}{
		{
			name:  "lone quote",
			q:     `He said "we will act, and left. The vote (on Tuesday) passed.`,
			pos:   9,
			words: "He said we will act, and left. The vote on Tuesday passed.",
		},
		{
			name:  "numbered list",
			q:     "Three priorities: 1) energy, 2) defence: (i) air; (ii) land.",
			pos:   20,
			words: "Three priorities 1 energy, 2 defence i air; ii land.",
		},
		{
			name:  "spaced hyphens",
			q:     "The gap - widening since 2019 - worries economists. +/- 2%.",
			pos:   9,
			words: "The gap widening since 2019 worries economists. /- 2%.",
		},
		{
			name:  "known field as a label",
			q:     "Title: Global Trends 2040. Author: NIC. AND OR NOT in capitals.",
			pos:   1,
			words: "Title Global Trends 2040. Author NIC. and or not in capitals.",
		},
		{
			name:  "a height in feet and inches",
			q:     "The envoy, at 5'10\", is \"tall\" by most accounts.",
			pos:   30,
			words: "The envoy, at 5'10 , is tall by most accounts.",
		},
		{
			name:  "maths",
			q:     "Output grew as x^y (roughly); the envoy is 5'10\" tall.",
			pos:   17,
			words: "Output grew as x y roughly ; the envoy is 5'10 tall.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.q, testFields)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %s, %v; want a *SyntaxError", dump(e), err)
			}
			if se.Pos != tc.pos {
				t.Errorf("error %v at %d, want position %d", se.Msg, se.Pos, tc.pos)
			}
			w := Words(tc.q)
			if got := String(w); got != tc.words {
				t.Errorf("String(Words(q))\n got %q\nwant %q", got, tc.words)
			}
			if _, err := Parse(String(w), testFields); err != nil {
				t.Errorf("Words rendering does not parse: %v", err)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"", nil},
		{" \t ", nil},
		{"-- + - *", nil},
		{"one", []string{"one"}},
		{`title:"trade war"~2^3 -steel +(a OR b*) c~ d^2`, []string{"title", "trade", "war", "2", "3", "steel", "a", "or", "b", "c", "d", "2"}},
		{"well-known +-x AND", []string{"well-known", "x", "and"}},
		{"NOT NOTE", []string{"not", "NOTE"}},
		{"\xff:\xfe", []string{"\xff", "\xfe"}},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			e := Words(tc.q)
			var got []string
			for _, term := range terms(e) {
				got = append(got, term.Value)
				if term.Kind != Word || term.Field != "" {
					t.Errorf("term %q is %v in field %q, want a plain word", term.Value, term.Kind, term.Field)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Words(%q) = %q, want %q", tc.q, got, tc.want)
			}
			if s, ok := e.(*Seq); ok {
				for _, c := range s.Clauses {
					if c.Occur != Should {
						t.Errorf("clause %s is %v, want should", dump(c.Expr), c.Occur)
					}
				}
			}
		})
	}
}

func TestWordsPositions(t *testing.T) {
	got := dump(Words("é -(x)"))
	want := `Seq@1{should Term{"" "é" word f0 s0 b0 @1}, should Term{"" "x" word f0 s0 b0 @5}}`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// Large inputs must stay fast: each pattern is ~1 MB, which a quadratic
// step would not finish in the test timeout.
func TestLargeInputs(t *testing.T) {
	for name, q := range map[string]string{
		"prose":     strings.Repeat("The budget: 3.5% (roughly) “as planned” — well-known. ", 20000),
		"operators": "a" + strings.Repeat(" AND b OR c", 100000),
		"nots":      strings.Repeat("NOT ", 250000) + "x",
		"parens":    strings.Repeat("(", 500000) + "x",
		"signs":     strings.Repeat("-a +b ", 150000),
		"tildes":    strings.Repeat("a~b", 300000),
	} {
		t.Run(name, func(t *testing.T) {
			if e, err := Parse(q, testFields); err == nil {
				_ = String(e)
			}
			_ = String(Words(q))
		})
	}
}

// terms lists the leaves of e in order.
func terms(e Expr) []*Term {
	switch e := e.(type) {
	case *Term:
		return []*Term{e}
	case *Seq:
		var out []*Term
		for _, c := range e.Clauses {
			out = append(out, terms(c.Expr)...)
		}
		return out
	case *And:
		return termsOf(e.Exprs)
	case *Or:
		return termsOf(e.Exprs)
	case *Not:
		return terms(e.Expr)
	}
	return nil
}

func termsOf(es []Expr) []*Term {
	var out []*Term
	for _, e := range es {
		out = append(out, terms(e)...)
	}
	return out
}
