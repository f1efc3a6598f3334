package feeds

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ParseFile reads a feeds file: one feed per line, its URL first, then
// optional key=value settings; values with spaces go in double quotes.
// Blank lines and lines starting with # are ignored.
//
//	# policy feeds
//	https://example.org/feed.xml interval=15m source="Example Institute" source_type=think_tank country=US tags=trade,chips
func ParseFile(r io.Reader) ([]Subscription, error) {
	var subs []Subscription
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields, err := splitQuoted(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		sub := Subscription{URL: fields[0]}
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: %q is not key=value", n, f)
			}
			switch strings.ToLower(k) {
			case "interval":
				d, err := ParseDuration(v)
				if err != nil {
					return nil, fmt.Errorf("line %d: interval: %v", n, err)
				}
				sub.Interval = d
			case "source":
				sub.Source = v
			case "source_type":
				sub.SourceType = v
			case "country":
				sub.Country = v
			case "tags", "tag":
				for _, t := range strings.Split(v, ",") {
					if t = strings.TrimSpace(t); t != "" {
						sub.Tags = append(sub.Tags, t)
					}
				}
			default:
				return nil, fmt.Errorf("line %d: unknown setting %q (want interval, source, source_type, country or tags)", n, k)
			}
		}
		subs = append(subs, sub)
	}
	return subs, sc.Err()
}

// splitQuoted splits on spaces, keeping "double quoted" parts whole.
func splitQuoted(s string) ([]string, error) {
	var out []string
	var b strings.Builder
	quoted, has := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, has = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if has {
				out = append(out, b.String())
				b.Reset()
				has = false
			}
		default:
			b.WriteRune(r)
			has = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unclosed quote")
	}
	if has {
		out = append(out, b.String())
	}
	return out, nil
}
