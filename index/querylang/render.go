package querylang

import (
	"strconv"
	"strings"
)

// String renders e in canonical query syntax: single spaces, uppercase
// operators, explicit fuzziness, parentheses only where precedence needs
// them. For any e returned by Parse or Words, Parse(String(e)) gives an
// equal AST apart from positions. A nil Expr renders as "".
func String(e Expr) string {
	var b strings.Builder
	writeTop(&b, e)
	return b.String()
}

// writeTop writes e where nothing binds looser: a whole query or the inside
// of parentheses.
func writeTop(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case nil:
	case *Seq:
		for i, c := range e.Clauses {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeClause(b, c)
		}
	case *Not:
		// Alone, "NOT x" parses back as a one-clause Seq, which simplifies
		// to this same Not.
		writeNot(b, e)
	default:
		writeOr(b, e)
	}
}

func writeClause(b *strings.Builder, c Clause) {
	switch c.Occur {
	case Must:
		b.WriteByte('+')
		writePrimary(b, c.Expr)
	case MustNot:
		b.WriteByte('-')
		writePrimary(b, c.Expr)
	default:
		switch c.Expr.(type) {
		case *Seq, *Not:
			// A bare NOT would become a MustNot clause.
			writeGroup(b, c.Expr)
		default:
			writeOr(b, c.Expr)
		}
	}
}

// writeOr writes e where an OR chain may stand unparenthesised.
func writeOr(b *strings.Builder, e Expr) {
	o, ok := e.(*Or)
	if !ok {
		writeAnd(b, e)
		return
	}
	for i, x := range o.Exprs {
		if i > 0 {
			b.WriteString(" OR ")
		}
		if _, nested := x.(*Or); nested {
			writeGroup(b, x)
		} else {
			writeAnd(b, x)
		}
	}
}

// writeAnd writes e where an AND chain may stand unparenthesised.
func writeAnd(b *strings.Builder, e Expr) {
	a, ok := e.(*And)
	if !ok {
		writeUnary(b, e)
		return
	}
	for i, x := range a.Exprs {
		if i > 0 {
			b.WriteString(" AND ")
		}
		if _, nested := x.(*And); nested {
			writeGroup(b, x)
		} else {
			writeUnary(b, x)
		}
	}
}

// writeUnary writes e as an operand of AND, OR or NOT.
func writeUnary(b *strings.Builder, e Expr) {
	if n, ok := e.(*Not); ok {
		writeNot(b, n)
		return
	}
	writePrimary(b, e)
}

func writeNot(b *strings.Builder, n *Not) {
	b.WriteString("NOT ")
	if _, double := n.Expr.(*Not); double {
		// "NOT NOT x" would parse as plain x; the group keeps both.
		writeGroup(b, n.Expr)
		return
	}
	writePrimary(b, n.Expr)
}

// writePrimary writes a term bare and anything else in parentheses.
func writePrimary(b *strings.Builder, e Expr) {
	if t, ok := e.(*Term); ok {
		writeTerm(b, t)
		return
	}
	writeGroup(b, e)
}

func writeGroup(b *strings.Builder, e Expr) {
	b.WriteByte('(')
	writeTop(b, e)
	b.WriteByte(')')
}

func writeTerm(b *strings.Builder, t *Term) {
	if t == nil {
		return
	}
	if t.Field != "" {
		b.WriteString(t.Field)
		b.WriteByte(':')
	}
	switch t.Kind {
	case Phrase:
		b.WriteByte('"')
		b.WriteString(t.Value)
		b.WriteByte('"')
		if t.Slop > 0 {
			b.WriteByte('~')
			b.WriteString(strconv.Itoa(t.Slop))
		}
	case Prefix:
		b.WriteString(t.Value)
		b.WriteByte('*')
	case Fuzzy:
		b.WriteString(t.Value)
		b.WriteByte('~')
		b.WriteString(strconv.Itoa(max(1, t.Fuzziness)))
	default:
		b.WriteString(t.Value)
	}
	if t.Boost > 0 {
		b.WriteByte('^')
		// 'f' keeps to plain decimals, the only boost syntax Parse accepts.
		b.WriteString(strconv.FormatFloat(t.Boost, 'f', -1, 64))
	}
}
