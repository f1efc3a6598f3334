package ingest

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"policysearch/index"
)

// splitFrontMatter separates a leading YAML block fenced by "---" lines
// from the body. text must already have LF line ends. ok is false when
// there is no front matter; an opening fence without a closing one is an
// error, since silently indexing the metadata as text hides the mistake.
func splitFrontMatter(text string) (meta, body string, ok bool, err error) {
	first, rest, found := strings.Cut(text, "\n")
	if strings.TrimRight(first, " \t") != "---" {
		return "", text, false, nil
	}
	if !found {
		return "", "", false, invalid("front matter opened by --- on line 1 is not closed")
	}
	pos := 0
	for line := range strings.Lines(rest) {
		if l := strings.TrimRight(line, " \t\n"); l == "---" || l == "..." {
			return rest[:pos], rest[pos+len(line):], true, nil
		}
		pos += len(line)
	}
	return "", "", false, invalid("front matter opened by --- on line 1 is not closed by a --- line")
}

// metaDoc reads YAML metadata (front matter or a sidecar) into a Document
// by way of JSON, so field aliases, lists-or-strings and Extra behave
// exactly as they do for documents posted to the JSON API.
// what names the block in errors ("front matter", "sidecar x.meta.yaml").
func metaDoc(data []byte, what string) (index.Document, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return index.Document{}, invalid("%s is not valid YAML: %v", what, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return mapDoc(v)
}

// mapDoc turns decoded YAML or JSON metadata into a Document.
func mapDoc(v any) (index.Document, error) {
	if v == nil {
		return index.Document{}, nil // an empty block is allowed
	}
	m, ok := jsonable(v).(map[string]any)
	if !ok {
		return index.Document{}, invalid("metadata must be a mapping of field: value, not %s", kindName(v))
	}
	b, err := json.Marshal(m)
	if err != nil {
		return index.Document{}, invalid("metadata cannot be read: %v", err)
	}
	var d index.Document
	if err := json.Unmarshal(b, &d); err != nil {
		return index.Document{}, err
	}
	return d, nil
}

// jsonable converts what yaml.v3 decodes into values encoding/json can
// write: maps with non-string keys, timestamps (yaml turns an unquoted
// 2024-03-01 into a time.Time) and the non-finite floats .inf and .nan.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = jsonable(val)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[fmt.Sprint(k)] = jsonable(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = jsonable(val)
		}
		return out
	case time.Time:
		return yamlTime(x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Sprint(x)
		}
	}
	return v
}

// yamlTime writes a YAML timestamp back at the precision it was written
// with: a bare date stays a day, not midnight UTC.
func yamlTime(t time.Time) string {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format(time.RFC3339Nano)
}

func kindName(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	}
	return "a single value"
}
