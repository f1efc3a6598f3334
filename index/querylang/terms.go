package querylang

// EachTerm calls fn for every Term of e, in order, excluded ones too.
func EachTerm(e Expr, fn func(*Term)) {
	switch e := e.(type) {
	case *Term:
		fn(e)
	case *Seq:
		for _, cl := range e.Clauses {
			EachTerm(cl.Expr, fn)
		}
	case *And:
		for _, x := range e.Exprs {
			EachTerm(x, fn)
		}
	case *Or:
		for _, x := range e.Exprs {
			EachTerm(x, fn)
		}
	case *Not:
		EachTerm(e.Expr, fn)
	}
}

// EachWantedTerm calls fn for every Term a match may contain, in order:
// those under a '-' or NOT are left out.
func EachWantedTerm(e Expr, fn func(*Term)) {
	switch e := e.(type) {
	case *Term:
		fn(e)
	case *Seq:
		for _, cl := range e.Clauses {
			if cl.Occur != MustNot {
				EachWantedTerm(cl.Expr, fn)
			}
		}
	case *And:
		for _, x := range e.Exprs {
			EachWantedTerm(x, fn)
		}
	case *Or:
		for _, x := range e.Exprs {
			EachWantedTerm(x, fn)
		}
	}
}
