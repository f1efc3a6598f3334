package index

import (
	"errors"
	"fmt"
)

// Kind classifies a failure so the HTTP layer can map it to a status code
// without knowing where it came from.
type Kind int

const (
	// Internal is a failure of ours; callers must not show its detail.
	Internal Kind = iota
	// Invalid means the caller's input was wrong and retrying it won't help.
	Invalid
	// NotFound means the named thing does not exist.
	NotFound
	// Conflict means the input contradicts the current state.
	Conflict
	// Unavailable means a dependency is down; retrying later may help.
	Unavailable
	// TooLarge means the input exceeds a configured limit.
	TooLarge
	// NoSpace means the disk is full: nothing was stored, and the same
	// write will succeed once space returns.
	NoSpace
)

// Error is the one error vocabulary of policysearch: a kind, a stable code
// for machines, and a message that is safe to show to users.
type Error struct {
	Kind    Kind
	Code    string // e.g. "invalid_query", "not_found"
	Field   string // the offending input field, when there is one
	Message string // safe for users
	Pos     int    // 1-based character position in a query, 0 when unknown
	Err     error  // wrapped cause, for logs only
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of the given kind with a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField reports a bad value in a named input field.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: "invalid_" + field, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}
