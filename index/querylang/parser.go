package querylang

// maxDepth bounds parenthesis nesting: the parser, String and the index's
// translation all recurse per level.
const maxDepth = 32

// Parse parses q using the query language:
//
//	tariffs allies          words; each is a Should clause
//	"trade war"~2           phrase, optional slop 0..10
//	title:brexit title:"a"  field clause, for the names in fields only
//	+must -exclude          at the start of a clause only: covid-19 is a word
//	tarif* tarif~ tarif~2   prefix, fuzzy (fuzziness 1 or 2)
//	term^2.5                boost
//	a AND b OR NOT (c d)    uppercase operators and grouping
//
// fields are matched case-insensitively; any other "name:value" is plain
// text, so prose such as "Note: the budget" parses as words. Only the ASCII
// double quote delimits phrases. An empty or all-whitespace query gives a
// nil Expr and no error. Errors are always *SyntaxError.
//
// Precedence, tightest first: NOT and the +/- prefixes, then AND, then OR,
// then juxtaposition. "a b AND c" is the clause a plus the clause (b AND c).
func Parse(q string, fields []string) (Expr, error) {
	p := &parser{toks: lex(q, fields)}
	clauses, firstPos, err := p.seq()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tRParen {
		return nil, &SyntaxError{Pos: t.pos, Msg: "unmatched closing parenthesis"}
	}
	if len(clauses) == 0 {
		return nil, nil
	}
	return simplify(clauses, firstPos, firstPos), nil
}

type parser struct {
	toks  []token
	i     int
	depth int
}

// peek never runs off the end: the token list ends in tEOF or tError, and
// neither is ever consumed.
func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF && t.kind != tError {
		p.i++
	}
	return t
}

// operand is a parsed unary expression before it is placed: in a Seq its
// sign becomes the clause's Occur, elsewhere it becomes an Expr.
type operand struct {
	occur Occur
	expr  Expr
	pos   int
}

func (o operand) asExpr() Expr {
	if o.occur == MustNot {
		return &Not{Expr: o.expr, Pos: o.pos}
	}
	return o.expr
}

// seq parses clauses up to the end of the query or a closing parenthesis,
// which it leaves for the caller. It also returns where the first clause
// starts.
func (p *parser) seq() ([]Clause, int, error) {
	var clauses []Clause
	firstPos := p.peek().pos
	for {
		switch t := p.peek(); t.kind {
		case tEOF, tRParen:
			return clauses, firstPos, nil
		case tAnd, tOr:
			return nil, 0, &SyntaxError{Pos: t.pos, Msg: t.name() + " needs something before it"}
		}
		u, err := p.unary(token{})
		if err != nil {
			return nil, 0, err
		}
		if k := p.peek().kind; k != tAnd && k != tOr {
			clauses = append(clauses, Clause{Occur: u.occur, Expr: u.expr})
			continue
		}
		e, err := p.or(u)
		if err != nil {
			return nil, 0, err
		}
		clauses = append(clauses, Clause{Occur: Should, Expr: e})
	}
}

// or parses `first (AND ...)* (OR ... (AND ...)*)*`.
func (p *parser) or(first operand) (Expr, error) {
	e, err := p.and(first)
	if err != nil || p.peek().kind != tOr {
		return e, err
	}
	o := &Or{Pos: first.pos}
	o.Exprs = appendFlat(o.Exprs, e, false)
	for p.peek().kind == tOr {
		op := p.next()
		u, err := p.unary(op)
		if err != nil {
			return nil, err
		}
		e, err := p.and(u)
		if err != nil {
			return nil, err
		}
		o.Exprs = appendFlat(o.Exprs, e, false)
	}
	return o, nil
}

func (p *parser) and(first operand) (Expr, error) {
	if p.peek().kind != tAnd {
		return first.asExpr(), nil
	}
	a := &And{Pos: first.pos}
	a.Exprs = appendFlat(a.Exprs, first.asExpr(), true)
	for p.peek().kind == tAnd {
		op := p.next()
		u, err := p.unary(op)
		if err != nil {
			return nil, err
		}
		a.Exprs = appendFlat(a.Exprs, u.asExpr(), true)
	}
	return a, nil
}

// appendFlat splices a nested And into an And (or Or into an Or) so that
// "a AND (b AND c)" and "a AND b AND c" are the same AST.
func appendFlat(list []Expr, e Expr, isAnd bool) []Expr {
	if a, ok := e.(*And); ok && isAnd {
		return append(list, a.Exprs...)
	}
	if o, ok := e.(*Or); ok && !isAnd {
		return append(list, o.Exprs...)
	}
	return append(list, e)
}

// unary parses NOT chains and +/- prefixes. op is the operator that asked
// for this operand (zero at the start of a clause), for error messages.
// A run of NOTs cancels in pairs and is counted rather than recursed into,
// so long runs cannot exhaust the stack; "NOT -x" is +x.
func (p *parser) unary(op token) (operand, error) {
	negate, start := false, p.peek()
	for p.peek().kind == tNot {
		op = p.next()
		negate = !negate
	}
	u := operand{occur: Should, pos: start.pos}
	switch t := p.peek(); t.kind {
	case tPlus, tMinus:
		p.next()
		u.occur = Must
		if t.kind == tMinus {
			u.occur = MustNot
		}
		e, err := p.primary(t, `needs a word right after it`)
		if err != nil {
			return operand{}, err
		}
		u.expr = e
	default:
		e, err := p.primary(op, "needs something after it")
		if err != nil {
			return operand{}, err
		}
		u.expr = e
	}
	if negate {
		if u.occur == MustNot {
			u.occur = Must
		} else {
			u.occur = MustNot
		}
	}
	return u, nil
}

// primary parses a term or a parenthesised group; missing names the
// complaint about op when there is neither.
func (p *parser) primary(op token, missing string) (Expr, error) {
	t := p.peek()
	switch t.kind {
	case tError:
		return nil, t.err
	case tTerm:
		p.next()
		return t.term, nil
	case tLParen:
		p.next()
		if p.depth++; p.depth > maxDepth {
			return nil, &SyntaxError{Pos: t.pos, Msg: "parentheses nested too deeply"}
		}
		clauses, firstPos, err := p.seq()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tRParen {
			return nil, &SyntaxError{Pos: t.pos, Msg: "unclosed parenthesis"}
		}
		p.next()
		p.depth--
		if len(clauses) == 0 {
			return nil, &SyntaxError{Pos: t.pos, Msg: "empty parentheses"}
		}
		return simplify(clauses, t.pos, firstPos), nil
	}
	if op.kind == tEOF {
		// Only reachable at a clause start, where seq has already ruled
		// out everything but the kinds handled above.
		return nil, &SyntaxError{Pos: t.pos, Msg: "expected a word"}
	}
	return nil, &SyntaxError{Pos: op.pos, Msg: op.name() + " " + missing}
}

// simplify turns a one-clause Seq into its expression: a lone required
// clause matches the same documents as the group, and a lone excluded one
// is a negation. seqPos is where a Seq would start, clausePos where its
// first clause does.
func simplify(clauses []Clause, seqPos, clausePos int) Expr {
	if len(clauses) > 1 {
		return &Seq{Clauses: clauses, Pos: seqPos}
	}
	c := clauses[0]
	if c.Occur == MustNot {
		return &Not{Expr: c.Expr, Pos: clausePos}
	}
	return c.Expr
}
