package index

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/searcher"

	"policysearch/index/querylang"
)

// A query's cost has a ceiling. Plain words are cheap: one posting list
// each. Fuzzy and prefix terms are not: each stands for every indexed
// word it matches, one searcher per word per field, so "abc~2" (which
// matches nearly every word of five letters or fewer) repeated 200 times
// took 5 s of CPU and 330 MB. Hence, at parse time:
//   - fuzziness follows the word's length, as Lucene's AUTO does: words of
//     one or two letters match exactly, of three to five within one edit,
//     longer ones within two; a lowered fuzziness is said in the notice;
//   - a query holds at most MaxQueryTerms terms and MaxExpandingTerms
//     fuzzy or prefix terms, else 400 query_too_costly naming the limit;
//   - one fuzzy or prefix term may stand for at most MaxTermExpansions
//     indexed words (bleve's clause limit stops the expansion there),
//     else 400 query_too_costly;
//   - at most CostlySearches searches with fuzzy or prefix terms run at
//     once; the others wait, within their deadline, for a slot.
//
// And the search deadline reaches bleve (SearchInContext), which stops
// collecting past it. Rate limits charge a search QueryCost tokens.
const (
	MaxQueryTerms     = 1024
	MaxExpandingTerms = 16
	MaxTermExpansions = maxPrefixTerms
)

// CostlySearches is how many searches with fuzzy or prefix terms may run
// at once: one per core, so they cannot crowd out plain searches' memory.
var CostlySearches = max(2, runtime.GOMAXPROCS(0))

func init() {
	// Every disjunction bleve builds is bounded: a fuzzy or prefix term's
	// expansion, and the clauses of a query (MaxQueryTerms is smaller).
	searcher.DisjunctionMaxClauseCount = MaxTermExpansions
}

// errTooCostly refuses a query over one of the limits above.
func errTooCostly(format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: "query_too_costly", Field: "q", Message: fmt.Sprintf(format, args...)}
}

// queryCost counts what a parsed query will cost.
type queryCost struct {
	terms     int // leaves
	expanding int // fuzzy and prefix leaves
}

func costOf(e querylang.Expr) queryCost {
	var c queryCost
	querylang.EachTerm(e, func(t *querylang.Term) {
		c.terms++
		if t.Kind == querylang.Fuzzy || t.Kind == querylang.Prefix {
			c.expanding++
		}
	})
	return c
}

// QueryCost is what a search for text costs in rate-limit tokens: one,
// plus one for each fuzzy or prefix term (at most 1+MaxExpandingTerms).
// Text that does not parse is searched as plain words and costs one.
func QueryCost(text string) int {
	if len(text) > 64<<10 { // far over any query limit: not worth parsing
		return 1 + MaxExpandingTerms
	}
	e, err := querylang.Parse(text, QueryFields)
	if err != nil {
		return 1
	}
	return 1 + min(costOf(e).expanding, MaxExpandingTerms)
}

// limitCost checks a parsed query against the limits and lowers fuzziness
// to what the word's length allows; the notice says what it lowered.
func limitCost(e querylang.Expr) (string, error) {
	c := costOf(e)
	switch {
	case c.terms > MaxQueryTerms:
		return "", errTooCostly("the query has %d terms; at most %d are allowed", c.terms, MaxQueryTerms)
	case c.expanding > MaxExpandingTerms:
		return "", errTooCostly("the query has %d fuzzy (~) or prefix (*) terms; at most %d are allowed", c.expanding, MaxExpandingTerms)
	}
	lowered := 0
	var first string
	querylang.EachTerm(e, func(t *querylang.Term) {
		allowed := autoFuzziness(t.Value)
		if t.Kind != querylang.Fuzzy || t.Fuzziness <= allowed {
			return
		}
		if lowered == 0 {
			first = fmt.Sprintf("%s~%d searched as %s~%d", t.Value, t.Fuzziness, t.Value, allowed)
			if allowed == 0 {
				first = fmt.Sprintf("%s~%d searched as %s", t.Value, t.Fuzziness, t.Value)
			}
		}
		lowered++
		t.Fuzziness = allowed
		if allowed == 0 {
			t.Kind = querylang.Word
		}
	})
	if lowered == 0 {
		return "", nil
	}
	more := ""
	if lowered > 1 {
		more = fmt.Sprintf(" (and %d more)", lowered-1)
	}
	return fmt.Sprintf("Fuzziness lowered to what the word's length allows (1–2 letters: exact, 3–5: one edit, longer: two): %s%s.", first, more), nil
}

// autoFuzziness is the most edits a fuzzy word of its length may use.
func autoFuzziness(word string) int {
	switch n := utf8.RuneCountInString(word); {
	case n <= 2:
		return 0
	case n <= 5:
		return 1
	}
	return 2
}

// admit waits for a slot to run a costly search (one with fuzzy or prefix
// terms), or gives up at ctx's deadline with search_timeout.
func (ix *Index) admit(ctx context.Context, text string) (release func(), err error) {
	if ix.costly == nil || QueryCost(text) == 1 { // a percolator's view has no slots
		return func() {}, nil
	}
	select {
	case ix.costly <- struct{}{}:
		return func() { <-ix.costly }, nil
	case <-ctx.Done():
		return nil, &Error{Kind: Unavailable, Code: "search_timeout", Message: "the search waited too long behind other costly searches and was stopped", Err: ctx.Err()}
	}
}

// isTooManyClauses recognises bleve's clause-limit error, which has no
// type of its own.
func isTooManyClauses(err error) bool {
	return strings.Contains(err.Error(), "TooManyClauses")
}

// tooManyClauses turns bleve's clause-limit error into query_too_costly.
func tooManyClauses(err error) error {
	return errTooCostly("a fuzzy (~) or prefix (*) term matches more than %d indexed words; make it longer or less fuzzy", MaxTermExpansions)
}

// Search runs q against the live index: by keywords, or, when a semantic
// ranker is set, by meaning too (searchNow). A search with fuzzy or
// prefix terms first waits for a slot (admit). With a deadline, the
// answer comes by it: the search runs on its own goroutine under a
// context detached from the caller's values but not from its deadline or
// cancellation, so bleve stops collecting there, and the part it cannot
// stop (expanding the terms) is bounded by the limits above; the slot is
// held until the work has really stopped.
func (ix *Index) Search(ctx context.Context, q Query) (*Results, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if _, ok := ix.cache.get(ix.cacheKey(q)); ok {
		return ix.searchNow(ctx, q) // answers from the cache
	}
	release, err := ix.admit(ctx, q.Text)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		defer release()
		return ix.searchNow(ctx, q)
	}
	wctx, cancel := context.WithDeadline(context.Background(), deadline)
	stop := context.AfterFunc(ctx, cancel)
	type answer struct {
		r   *Results
		err error
	}
	done := make(chan answer, 1)
	go func() {
		defer release()
		defer cancel()
		defer stop()
		r, err := ix.searchNow(wctx, q)
		done <- answer{r, err}
	}()
	select {
	case a := <-done:
		return a.r, a.err
	case <-wctx.Done():
		// The worker cancels wctx as it returns, after it has answered:
		// when both are ready, the answer wins (select would pick either).
		select {
		case a := <-done:
			return a.r, a.err
		default:
		}
		return nil, errSearchTimeout(wctx.Err())
	}
}

// errSearchTimeout is the error of a search stopped at its time limit.
func errSearchTimeout(err error) *Error {
	return &Error{Kind: Unavailable, Code: "search_timeout", Message: "the search took too long and was stopped", Err: err}
}
