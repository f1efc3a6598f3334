package querylang

import (
	"fmt"
	"strings"
)

// testFields are the fields the tests declare known, in mixed case to
// check that matching ignores case.
var testFields = []string{"title", "Author", "source", "year"}

// withoutPos copies e with every position zeroed, so ASTs can be compared
// with reflect.DeepEqual regardless of where nodes started.
func withoutPos(e Expr) Expr {
	switch e := e.(type) {
	case *Term:
		c := *e
		c.Pos = 0
		return &c
	case *Seq:
		c := &Seq{Clauses: make([]Clause, len(e.Clauses))}
		for i, cl := range e.Clauses {
			c.Clauses[i] = Clause{Occur: cl.Occur, Expr: withoutPos(cl.Expr)}
		}
		return c
	case *And:
		return &And{Exprs: mapExprs(e.Exprs)}
	case *Or:
		return &Or{Exprs: mapExprs(e.Exprs)}
	case *Not:
		return &Not{Expr: withoutPos(e.Expr)}
	}
	return e
}

func mapExprs(es []Expr) []Expr {
	out := make([]Expr, len(es))
	for i, e := range es {
		out[i] = withoutPos(e)
	}
	return out
}

// dump shows an AST's structure, positions included, for failure messages;
// String alone would hide the differences a round-trip failure is about.
func dump(e Expr) string {
	var b strings.Builder
	dumpTo(&b, e)
	return b.String()
}

func dumpTo(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case nil:
		b.WriteString("nil")
	case *Term:
		fmt.Fprintf(b, "Term{%q %q %v f%d s%d b%g @%d}", e.Field, e.Value, e.Kind, e.Fuzziness, e.Slop, e.Boost, e.Pos)
	case *Seq:
		fmt.Fprintf(b, "Seq@%d{", e.Pos)
		for i, c := range e.Clauses {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%v ", c.Occur)
			dumpTo(b, c.Expr)
		}
		b.WriteString("}")
	case *And:
		dumpList(b, fmt.Sprintf("And@%d", e.Pos), e.Exprs)
	case *Or:
		dumpList(b, fmt.Sprintf("Or@%d", e.Pos), e.Exprs)
	case *Not:
		fmt.Fprintf(b, "Not@%d{", e.Pos)
		dumpTo(b, e.Expr)
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "%T", e)
	}
}

func dumpList(b *strings.Builder, name string, es []Expr) {
	b.WriteString(name + "{")
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		dumpTo(b, e)
	}
	b.WriteString("}")
}
