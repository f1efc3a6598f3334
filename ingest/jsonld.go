package ingest

import (
	"encoding/json"
	"strings"
)

// ldArticle is what a page's schema.org JSON-LD says about its article.
// Sites fill it for search engines, so it is often the cleanest metadata.
type ldArticle struct {
	found       bool
	headline    string
	authors     []string
	published   string
	publisher   string
	url         string
	language    string
	description string
	keywords    []string
}

func (a ldArticle) empty() bool { return !a.found }

// parseLD reads one JSON-LD script and returns its first article-like
// item. Broken JSON-LD is common and ignored: it is never the only source.
func parseLD(s string) ldArticle {
	s = strings.TrimSpace(s)
	for _, w := range [][2]string{{"<![CDATA[", "]]>"}, {"<!--", "-->"}} {
		if strings.HasPrefix(s, w[0]) {
			s = strings.TrimSuffix(strings.TrimPrefix(s, w[0]), w[1])
		}
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return ldArticle{}
	}
	item := findArticle(v, 0)
	if item == nil {
		return ldArticle{}
	}
	a := ldArticle{
		found:       true,
		headline:    ldString(item["headline"]),
		authors:     ldNames(item["author"], 0),
		published:   ldString(item["datePublished"]),
		url:         ldString(item["url"]),
		language:    ldString(item["inLanguage"]),
		description: ldString(item["description"]),
	}
	if a.headline == "" {
		a.headline = ldString(item["name"])
	}
	if a.published == "" {
		a.published = ldString(item["dateCreated"])
	}
	if names := ldNames(item["publisher"], 0); len(names) > 0 {
		a.publisher = names[0]
	}
	switch k := item["keywords"].(type) {
	case string:
		a.keywords = splitKeywords(k)
	case []any:
		for _, x := range k {
			if s, ok := x.(string); ok {
				a.keywords = append(a.keywords, s)
			}
		}
	}
	return a
}

// findArticle searches lists and @graph containers for an article item.
// depth bounds the search: JSON-LD worth reading is shallow.
func findArticle(v any, depth int) map[string]any {
	if depth > 4 {
		return nil
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if m := findArticle(e, depth+1); m != nil {
				return m
			}
		}
	case map[string]any:
		if articleType(x["@type"]) {
			return x
		}
		if g, ok := x["@graph"]; ok {
			return findArticle(g, depth+1)
		}
	}
	return nil
}

// articleType accepts schema.org's Article and Report families
// (NewsArticle, ScholarlyArticle, BlogPosting...), however prefixed.
func articleType(t any) bool {
	var types []string
	switch x := t.(type) {
	case string:
		types = []string{x}
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				types = append(types, s)
			}
		}
	}
	for _, s := range types {
		s = s[strings.LastIndexAny(s, "/:#")+1:]
		if strings.HasSuffix(s, "Article") || strings.HasSuffix(s, "Report") || strings.HasSuffix(s, "Posting") {
			return true
		}
	}
	return false
}

// ldNames reads a person or organisation: a name string, an object with
// a name, or a list of either.
func ldNames(v any, depth int) []string {
	switch x := v.(type) {
	case string:
		if s := strings.TrimSpace(x); s != "" {
			return []string{s}
		}
	case map[string]any:
		if s := ldString(x["name"]); s != "" {
			return []string{s}
		}
	case []any:
		if depth > 0 {
			return nil
		}
		var out []string
		for _, e := range x {
			out = append(out, ldNames(e, depth+1)...)
		}
		return out
	}
	return nil
}

// ldString reads a text value, which JSON-LD may wrap as {"@value": ...}
// or give as a list.
func ldString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case map[string]any:
		return ldString(x["@value"])
	case []any:
		if len(x) > 0 {
			if s, ok := x[0].(string); ok {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}
