package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"policysearch/index"
)

// MaxQueryLength is the default cap on q (Deps.MaxQueryBytes): long
// enough for a pasted paragraph or two, short enough that one request
// cannot make the parser and bleve do unbounded work.
const MaxQueryLength = 4096

// searchParams are the query-string parameters /api/search and the page
// share. Repeated filter parameters OR together.
func parseSearch(v url.Values) (index.Query, error) {
	q := index.Query{
		Text: strings.TrimSpace(v.Get("q")),
		Sort: strings.ToLower(v.Get("sort")),
		Filters: index.Filters{
			Source:     values(v, "source"),
			SourceType: values(v, "source_type"),
			Author:     values(v, "author"),
			Country:    values(v, "country"),
			Tag:        values(v, "tag"),
			Language:   values(v, "language"),
		},
	}
	var err error
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &q.Page}, {"size", &q.Size}, {"facet_size", &q.FacetSize}} {
		if *p.dst, err = intParam(v, p.name); err != nil {
			return q, err
		}
	}
	if q.Filters.From, err = dateParam(v, "from"); err != nil {
		return q, err
	}
	if q.Filters.To, err = dateParam(v, "to"); err != nil {
		return q, err
	}
	q.Mode = strings.ToLower(strings.TrimSpace(v.Get("mode")))
	q.Fusion = strings.ToLower(strings.TrimSpace(v.Get("fusion")))
	q.FacetMode = strings.ToLower(strings.TrimSpace(v.Get("facet_mode")))
	if s := strings.TrimSpace(v.Get("semantic_ratio")); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return q, badRequest("invalid_semantic_ratio", "semantic_ratio", "semantic_ratio must be a number between 0 and 1")
		}
		q.SemanticRatio = &r
	}
	if s := v.Get("strict"); s != "" {
		if q.Strict, err = strconv.ParseBool(s); err != nil {
			return q, badRequest("invalid_strict", "strict", "strict must be true or false")
		}
	}
	return q, q.Validate()
}

// values returns the non-empty values of a repeatable parameter; a comma
// inside one value is kept, because publisher names contain commas.
func values(v url.Values, name string) []string {
	var out []string
	for _, s := range v[name] {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func intParam(v url.Values, name string) (int, error) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, badRequest("invalid_"+name, name, name+" must be a whole number of 1 or more")
	}
	return n, nil
}

func dateParam(v url.Values, name string) (index.Date, error) {
	d, err := index.ParseDate(v.Get(name))
	if err != nil {
		return d, badRequest("invalid_"+name, name, name+": "+err.Error())
	}
	return d, nil
}

func handleSearch(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		q, err := parseSearch(c.Request.URL.Query())
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		res, err := search(c, d, q)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusOK, res)
	}
}

// search runs a query under the per-search deadline, after checking its
// length against the configured limit.
func search(ctx context.Context, d *Deps, q index.Query) (*index.Results, error) {
	if len(q.Text) > d.MaxQueryBytes {
		return nil, &apiError{status: http.StatusRequestURITooLong, code: "query_too_long", field: "q",
			msg: "q is longer than " + strconv.Itoa(d.MaxQueryBytes) + " bytes"}
	}
	ctx, cancel := context.WithTimeout(ctx, d.SearchTimeout)
	defer cancel()
	start := time.Now()
	res, err := d.Index.Search(ctx, q)
	if err == nil {
		d.Metrics.ObserveSearch(res.Mode, time.Since(start))
	}
	return res, err
}
