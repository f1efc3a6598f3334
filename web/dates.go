package web

import (
	"strconv"

	"policysearch/index"
)

// HumanDate is how a page shows a publication date: at the precision it
// was given with, in words, so a feed's 2026-01-27T09:00:00Z reads
// "27 January 2026", a month "January 2026" and a year "2026". The time of
// day of a feed item is noise to a reader of policy texts. Text that is
// not a date is shown as it came.
func HumanDate(v any) string {
	var d index.Date
	switch v := v.(type) {
	case index.Date:
		d = v
	case string:
		parsed, err := index.ParseDate(v)
		if err != nil {
			return v
		}
		d = parsed
	default:
		return ""
	}
	t := d.Time
	switch d.Precision {
	case index.Year:
		return strconv.Itoa(t.Year())
	case index.Month:
		return t.Format("January 2006")
	case index.Day, index.Instant:
		return strconv.Itoa(t.Day()) + " " + t.Format("January 2006")
	}
	return ""
}
