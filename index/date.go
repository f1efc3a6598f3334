package index

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Precision says how much of a Date its source actually knew. A speech
// dated "1790" must not be shown as "1790-01-01".
type Precision uint8

const (
	NoDate Precision = iota
	Year
	Month
	Day
	Instant
)

// Date is a publication date that keeps the precision it was given with.
// The zero value means "unknown".
type Date struct {
	Time      time.Time
	Precision Precision
}

var layouts = []struct {
	layout string
	prec   Precision
}{
	{time.RFC3339Nano, Instant},
	{"2006-01-02T15:04:05", Instant},
	{"2006-01-02 15:04:05", Instant},
	{"2006-01-02", Day},
	{"2006-01", Month},
	{"2006", Year},
}

// ParseDate reads RFC 3339, YYYY-MM-DD, YYYY-MM or YYYY. An empty string is
// the zero Date. Times without a zone are taken as UTC.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				break
			}
			return Date{Time: t.UTC(), Precision: l.prec}, nil
		}
	}
	return Date{}, fmt.Errorf("cannot read %q as a date; use RFC 3339, YYYY-MM-DD, YYYY-MM or YYYY", s)
}

// MustDate is ParseDate for constants in tests and code; it panics on error.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d.Precision == NoDate }

// String formats the date at its own precision.
func (d Date) String() string {
	switch d.Precision {
	case Year:
		return d.Time.Format("2006")
	case Month:
		return d.Time.Format("2006-01")
	case Day:
		return d.Time.Format("2006-01-02")
	case Instant:
		return d.Time.Format(time.RFC3339)
	}
	return ""
}

// End is the last instant the date covers, so that "to=2020" includes all
// of 2020 and not only its first second.
func (d Date) End() time.Time {
	switch d.Precision {
	case Year:
		return d.Time.AddDate(1, 0, 0).Add(-time.Nanosecond)
	case Month:
		return d.Time.AddDate(0, 1, 0).Add(-time.Nanosecond)
	case Day:
		return d.Time.AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	return d.Time
}

// MarshalJSON writes the date at its precision, or null when unknown.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON accepts a date string, null, or a bare year number.
func (d *Date) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*d = Date{}
		return nil
	}
	if len(s) > 0 && s[0] != '"' {
		y, err := strconv.Atoi(s)
		if err != nil || y < 1 || y > 9999 {
			return fmt.Errorf("cannot read %s as a date; use a string or a year", s)
		}
		*d = Date{Time: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), Precision: Year}
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	v, err := ParseDate(str)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
