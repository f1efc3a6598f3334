// Package querylang parses the search box's query language into a small AST
// that the index translates into bleve queries; it knows nothing about bleve.
package querylang

import "fmt"

// Occur says how a clause of a Seq takes part in matching.
type Occur int

const (
	// Should clauses are optional; they add to the score (ranked OR).
	Should Occur = iota
	// Must clauses are required (the "+" prefix).
	Must
	// MustNot clauses exclude documents (the "-" prefix, or NOT in a sequence).
	MustNot
)

func (o Occur) String() string {
	switch o {
	case Should:
		return "should"
	case Must:
		return "must"
	case MustNot:
		return "must not"
	}
	return fmt.Sprintf("Occur(%d)", int(o))
}

// Kind says how a Term's Value is matched.
type Kind int

const (
	// Word is plain text; the analyzer may still split it into several tokens.
	Word Kind = iota
	// Phrase is the text between double quotes, matched in order.
	Phrase
	// Prefix matches words starting with Value (written "value*").
	Prefix
	// Fuzzy matches words within Fuzziness edits of Value (written "value~").
	Fuzzy
)

func (k Kind) String() string {
	switch k {
	case Word:
		return "word"
	case Phrase:
		return "phrase"
	case Prefix:
		return "prefix"
	case Fuzzy:
		return "fuzzy"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Expr is a node of the query AST: *Term, *Seq, *And, *Or or *Not.
type Expr interface {
	// Position is the 1-based rune position in the query where the node starts.
	Position() int
}

// Term is a leaf: a word, phrase, prefix or fuzzy term, optionally limited
// to one field. Value is the raw text without quotes, star or tilde; it may
// still analyse to nothing (a phrase of punctuation, an empty phrase).
type Term struct {
	Field     string // lowercase known field name; "" means the default fields
	Value     string
	Kind      Kind
	Fuzziness int     // 1 or 2 for Fuzzy, else 0
	Slop      int     // 0..10 for Phrase, else 0
	Boost     float64 // 0 means the default
	Pos       int
}

// Clause is one member of a Seq.
type Clause struct {
	Occur Occur
	Expr  Expr
}

// Seq is juxtaposition, the loosest binding: clauses written side by side.
// Parse never returns a Seq of a single clause.
type Seq struct {
	Clauses []Clause
	Pos     int
}

// And requires all of Exprs. Nested Ands are flattened.
type And struct {
	Exprs []Expr
	Pos   int
}

// Or requires any of Exprs. Nested Ors are flattened.
type Or struct {
	Exprs []Expr
	Pos   int
}

// Not excludes Expr. Inside a Seq a negation becomes a MustNot clause
// instead, so Not appears only where that is impossible: an operand of
// AND/OR/NOT, a parenthesised group, or a whole query such as "-x".
type Not struct {
	Expr Expr
	Pos  int
}

// Position implements Expr.
func (t *Term) Position() int { return t.Pos }

// Position implements Expr.
func (s *Seq) Position() int { return s.Pos }

// Position implements Expr.
func (a *And) Position() int { return a.Pos }

// Position implements Expr.
func (o *Or) Position() int { return o.Pos }

// Position implements Expr.
func (n *Not) Position() int { return n.Pos }

// SyntaxError reports where and why a query does not parse. Msg is short
// and meant for users; Pos is the 1-based rune position in the query.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("position %d: %s", e.Pos, e.Msg)
}
