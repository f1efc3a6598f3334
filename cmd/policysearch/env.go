package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// envReader reads POLICYSEARCH_* variables into typed settings. A setter
// leaves its setting alone when the variable is unset or blank; the first
// value that does not parse is kept in err, naming the variable, and the
// setters after it do nothing.
type envReader struct {
	getenv func(string) string
	err    error
}

func (e *envReader) get(name string) (string, bool) {
	if e.err != nil {
		return "", false
	}
	v := strings.TrimSpace(e.getenv(name))
	return v, v != ""
}

func (e *envReader) fail(name, v, want string) {
	e.err = fmt.Errorf("%s: %q is not %s", name, v, want)
}

func (e *envReader) str(name string, dst *string) {
	if v, ok := e.get(name); ok {
		*dst = v
	}
}

// list reads a comma-separated list.
func (e *envReader) list(name string, dst *[]string) {
	if v, ok := e.get(name); ok {
		*dst = splitList(v)
	}
}

func (e *envReader) boolean(name string, dst *bool) {
	v, ok := e.get(name)
	if !ok {
		return
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		*dst = true
	case "0", "false", "no", "off":
		*dst = false
	default:
		e.fail(name, v, "true or false")
	}
}

func (e *envReader) integer(name string, dst *int) {
	if v, ok := e.get(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			e.fail(name, v, "a whole number")
			return
		}
		*dst = n
	}
}

func (e *envReader) integer64(name string, dst *int64) {
	if v, ok := e.get(name); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			e.fail(name, v, "a whole number")
			return
		}
		*dst = n
	}
}

func (e *envReader) number(name string, dst *float64) {
	if v, ok := e.get(name); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			e.fail(name, v, "a number")
			return
		}
		*dst = f
	}
}

func (e *envReader) duration(name string, dst *time.Duration) {
	if v, ok := e.get(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			e.fail(name, v, "a duration such as 10s, 5m or 24h")
			return
		}
		*dst = d
	}
}
