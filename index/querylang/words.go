package querylang

import (
	"strings"
	"unicode/utf8"
)

// Words is the fallback for text that does not parse: every word of q as a
// Should Term of Kind Word with no field. Syntax characters are separators
// (parentheses, quotes, * ~ ^ :) or stripped (+ and - at the start of a
// word), and the operators AND, OR and NOT are lowercased, so String of the
// result always parses back to the same terms. It returns nil when q has no
// words.
func Words(q string) Expr {
	var clauses []Clause
	start, startPos, pos := -1, 0, 1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := strings.TrimLeft(q[start:end], "+-")
		startPos += len(q[start:end]) - len(w) // the signs are ASCII
		if w == "AND" || w == "OR" || w == "NOT" {
			w = strings.ToLower(w)
		}
		if w != "" {
			clauses = append(clauses, Clause{Expr: &Term{Value: w, Pos: startPos}})
		}
		start = -1
	}
	for i := 0; i < len(q); {
		r, w := utf8.DecodeRuneInString(q[i:])
		if isDelim(r) || strings.ContainsRune("*~^:", r) {
			flush(i)
		} else if start < 0 {
			start, startPos = i, pos
		}
		i += w
		pos++
	}
	flush(len(q))
	switch len(clauses) {
	case 0:
		return nil
	case 1:
		return clauses[0].Expr
	}
	return &Seq{Clauses: clauses, Pos: clauses[0].Expr.Position()}
}
