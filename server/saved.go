package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"policysearch/index"
)

// Saved searches (snapshots and alerts) keep a search as the query string
// of /api/search, canonical: only the parameters that choose and rank
// documents, sorted, so the same search always reads the same and the
// page can tell which alerts belong to the search on screen. Paging and
// facet size are not part of a search's identity.

// ParseParams reads a saved search: a query string of /api/search, with
// or without a leading "?", or a whole URL of the page or the API. It is
// the parser every saved search goes through, so cmd passes it to the
// alert matcher.
func ParseParams(raw string) (index.Query, error) {
	v, err := paramValues(raw)
	if err != nil {
		return index.Query{}, err
	}
	return parseSearch(searchOnly(v))
}

func paramValues(raw string) (url.Values, error) {
	raw = strings.TrimSpace(raw)
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[i+1:]
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, badRequest("invalid_params", "params", "params: not a query string: "+err.Error())
	}
	return v, nil
}

// searchOnly keeps the parameters that define a search's results.
func searchOnly(v url.Values) url.Values {
	out := url.Values{}
	for _, k := range []string{"q", "sort", "source", "source_type", "author", "country", "tag", "language",
		"from", "to", "strict", "mode", "fusion", "semantic_ratio"} {
		if vs, ok := v[k]; ok {
			out[k] = vs
		}
	}
	return out
}

// canonical writes q back as the parameters that reproduce it.
func canonical(q index.Query) string {
	v := url.Values{}
	set := func(k string, vs ...string) {
		for _, s := range vs {
			if s != "" {
				v.Add(k, s)
			}
		}
	}
	set("q", q.Text)
	set("source", q.Filters.Source...)
	set("source_type", q.Filters.SourceType...)
	set("author", q.Filters.Author...)
	set("country", q.Filters.Country...)
	set("tag", q.Filters.Tag...)
	set("language", q.Filters.Language...)
	set("from", q.Filters.From.String())
	set("to", q.Filters.To.String())
	if q.Sort != index.SortRelevance {
		set("sort", q.Sort)
	}
	set("mode", q.Mode)
	set("fusion", q.Fusion)
	if q.SemanticRatio != nil {
		set("semantic_ratio", strconv.FormatFloat(*q.SemanticRatio, 'f', -1, 64))
	}
	if q.Strict {
		set("strict", "true")
	}
	return v.Encode()
}

// searchSpec is how a JSON body names a search: params, a query string
// as /api/search takes it (or a page or API URL), and/or the same
// parameters as fields, which win over params. Lists take a string or an
// array of strings.
type searchSpec struct {
	Params        string     `json:"params"`
	Q             *string    `json:"q"`
	Source        stringList `json:"source"`
	SourceType    stringList `json:"source_type"`
	Author        stringList `json:"author"`
	Country       stringList `json:"country"`
	Tag           stringList `json:"tag"`
	Language      stringList `json:"language"`
	From          *string    `json:"from"`
	To            *string    `json:"to"`
	Sort          *string    `json:"sort"`
	Mode          *string    `json:"mode"`
	Fusion        *string    `json:"fusion"`
	SemanticRatio *float64   `json:"semantic_ratio"`
	Strict        *bool      `json:"strict"`
}

// stringList reads "a" or ["a", "b"].
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("must be a string or a list of strings")
	}
	*l = many
	return nil
}

// query resolves the spec into a validated query and its canonical
// parameters, through the same parser as /api/search.
func (s searchSpec) query() (index.Query, string, error) {
	v, err := paramValues(s.Params)
	if err != nil {
		return index.Query{}, "", err
	}
	v = searchOnly(v)
	str := func(k string, p *string) {
		if p != nil {
			v.Set(k, *p)
		}
	}
	list := func(k string, l stringList) {
		if l != nil {
			v[k] = l
		}
	}
	str("q", s.Q)
	list("source", s.Source)
	list("source_type", s.SourceType)
	list("author", s.Author)
	list("country", s.Country)
	list("tag", s.Tag)
	list("language", s.Language)
	str("from", s.From)
	str("to", s.To)
	str("sort", s.Sort)
	str("mode", s.Mode)
	str("fusion", s.Fusion)
	if s.SemanticRatio != nil {
		v.Set("semantic_ratio", strconv.FormatFloat(*s.SemanticRatio, 'f', -1, 64))
	}
	if s.Strict != nil {
		v.Set("strict", strconv.FormatBool(*s.Strict))
	}
	q, err := parseSearch(v)
	if err != nil {
		return q, "", err
	}
	return q, canonical(q), nil
}

// queryView is a saved search's parameters as JSON responses show them.
type queryView struct {
	Q             string        `json:"q"`
	Filters       index.Filters `json:"filters"`
	Sort          string        `json:"sort"`
	Mode          string        `json:"mode,omitempty"`
	Fusion        string        `json:"fusion,omitempty"`
	SemanticRatio *float64      `json:"semantic_ratio,omitempty"`
	Strict        bool          `json:"strict,omitempty"`
}

func viewOf(q index.Query) queryView {
	return queryView{Q: q.Text, Filters: q.Filters, Sort: q.Sort, Mode: q.Mode, Fusion: q.Fusion,
		SemanticRatio: q.SemanticRatio, Strict: q.Strict}
}

// decodeBody reads a JSON object into dst, refusing unknown fields and
// naming the field that is wrong.
func decodeBody(c *gin.Context, d *Deps, dst any, fields string) error {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, 64<<10+1))
	if err != nil {
		return err
	}
	if len(body) > 64<<10 {
		return &apiError{status: 413, code: "body_too_large", msg: "the request body is larger than 64 KiB"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			f := te.Field[strings.LastIndexByte(te.Field, '.')+1:] // embedded structs prefix their name
			return badRequest("invalid_"+f, f, f+": has the wrong type")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest("unknown_field", f, "unknown field "+f+"; "+fields)
		case strings.Contains(err.Error(), "must be a string or a list"):
			return badRequest("invalid_list", "", err.Error())
		}
		return badRequest("invalid_json", "", "the body must be a JSON object: "+err.Error())
	}
	return nil
}

// baseURL is the service's address as the client reached it, for
// absolute links in exports and feeds: the request's scheme and host, or
// X-Forwarded-Proto and X-Forwarded-Host when a trusted proxy sent them.
func baseURL(c *gin.Context, d *Deps) string {
	scheme, host := "http", c.Request.Host
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if fromTrustedProxy(c, d) {
		if p := strings.ToLower(firstValue(c.GetHeader("X-Forwarded-Proto"))); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(c.GetHeader("X-Forwarded-Host")); h != "" && validHost(h) {
			host = h
		}
	}
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

func fromTrustedProxy(c *gin.Context, d *Deps) bool {
	peer := net.ParseIP(c.RemoteIP())
	return peer != nil && contains(parseNets(d.TrustedProxies), peer)
}

func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(v)
}

// validHost accepts host[:port] without anything that could break out of
// a URL or a header.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]_", r)) {
			return false
		}
	}
	return true
}

// sameOrigin refuses a cross-site form post (CSRF). Browsers say where a
// POST comes from, in Sec-Fetch-Site or Origin (or at least Referer); a
// request that names another site is refused. One that names none is not
// from a browser page, and the API's access rules alone apply to it.
func sameOrigin(c *gin.Context, d *Deps) bool {
	if s := c.GetHeader("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	origin := c.GetHeader("Origin")
	if origin == "" {
		origin = c.GetHeader("Referer")
		if origin == "" {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	self, _ := url.Parse(baseURL(c, d))
	return strings.EqualFold(u.Host, self.Host) || strings.EqualFold(u.Host, c.Request.Host)
}

// errCrossSite answers a form post from another site.
var errCrossSite = &apiError{status: 403, code: "cross_site", msg: "this form may only be sent from policysearch's own pages"}

// writable reports whether a write from this client would be let through
// (see authorize), so the page offers forms only where they will work.
func writable(c *gin.Context, d *Deps) bool {
	keys := newKeyring(d)
	if len(keys.write) == 0 {
		return isLocal(c, parseNets(d.TrustedProxies))
	}
	key, ok := bearer(c.Request)
	return ok && match(key, keys.write)
}
