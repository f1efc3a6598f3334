package corpus

import (
	"fmt"
	"math/rand"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// Request is one search: query text plus the variants a result page
// offers (a second page, a year range, newest first).
type Request struct {
	Q        string
	Page     int    // 1-based; 0 means 1
	FromYear int    // 0: no lower bound
	ToYear   int    // 0: no upper bound
	Sort     string // "" (relevance) or "newest"
}

// Values is the request as /api/search parameters.
func (r Request) Values() url.Values {
	v := url.Values{"q": {r.Q}}
	if r.Page > 1 {
		v.Set("page", strconv.Itoa(r.Page))
	}
	if r.FromYear > 0 {
		v.Set("from", strconv.Itoa(r.FromYear))
	}
	if r.ToYear > 0 {
		v.Set("to", strconv.Itoa(r.ToYear))
	}
	if r.Sort != "" {
		v.Set("sort", r.Sort)
	}
	return v
}

// queryMix is how many queries of each kind Queries makes: 1 to 4 plain
// words, and quoted two-word phrases.
var queryMix = []struct{ words, n int }{{1, 60}, {2, 60}, {3, 40}, {4, 20}, {-2, 20}}

// QueryCount is how many queries Queries returns.
const QueryCount = 200

// Queries returns QueryCount distinct queries drawn from the passages'
// own words (content words of at least four letters, in text order, as
// people type them), with a fixed seed so every run sends the same ones.
func Queries(docs []Doc) []string {
	r := rand.New(rand.NewSource(7))
	seen := map[string]bool{}
	var out []string
	for _, m := range queryMix {
		for made := 0; made < m.n; {
			d := docs[r.Intn(len(docs))]
			words := strings.Fields(d.Text)
			if len(words) == 0 {
				continue
			}
			var q string
			if m.words < 0 {
				q = phrase(words, r)
			} else {
				q = strings.Join(contentRun(words, r.Intn(len(words)), m.words), " ")
				if len(strings.Fields(q)) != m.words {
					q = ""
				}
			}
			if q == "" || seen[q] {
				continue
			}
			seen[q] = true
			out = append(out, q)
			made++
		}
	}
	return out
}

// contentRun returns up to n content words starting at words[i].
func contentRun(words []string, i, n int) []string {
	var out []string
	for ; i < len(words) && len(out) < n; i++ {
		if w := clean(words[i]); content(w) {
			out = append(out, w)
		}
	}
	return out
}

// phrase returns two adjacent content words, quoted, or "".
func phrase(words []string, r *rand.Rand) string {
	for range 20 {
		i := r.Intn(len(words))
		if i+1 >= len(words) || strings.ContainsAny(words[i], ".,;:?!") {
			continue
		}
		a, b := clean(words[i]), clean(words[i+1])
		if content(a) && content(b) {
			return `"` + a + " " + b + `"`
		}
	}
	return ""
}

func clean(w string) string {
	return strings.ToLower(strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }))
}

func content(w string) bool {
	if len(w) < 4 || stop[w] {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) || r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

var stop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`that this with have from been were which their there they them what when
	will would shall should could into upon than then these those such only also more most other some very
	your about after before under over being does made make much many must here where while each every`) {
		stop[w] = true
	}
}

// ZipfLog draws n requests from the queries and their variants (the
// query alone, its second page, the twentieth century only, newest first:
// four per query) with Zipf's law of exponent s over a fixed random
// ranking of them, as real query logs repeat popular searches.
func ZipfLog(queries []string, n int, s float64) []Request {
	var all []Request
	for _, q := range queries {
		all = append(all, Request{Q: q}, Request{Q: q, Page: 2},
			Request{Q: q, FromYear: 1900, ToYear: 1999}, Request{Q: q, Sort: "newest"})
	}
	r := rand.New(rand.NewSource(11))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	z := rand.NewZipf(r, s, 1, uint64(len(all)-1))
	out := make([]Request, n)
	for i := range out {
		out[i] = all[z.Uint64()]
	}
	return out
}

// Distinct counts the different requests in a log.
func Distinct(log []Request) int {
	seen := map[string]bool{}
	for _, r := range log {
		seen[fmt.Sprint(r)] = true
	}
	return len(seen)
}
