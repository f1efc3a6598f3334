package querylang

import (
	"errors"
	"testing"
)

func TestSyntaxErrors(t *testing.T) {
	slop := "phrase slop must be a whole number from 0 to 10"
	tests := []struct {
		name, q string
		pos     int
		msg     string
	}{
		{"unclosed quote", `a "trade war`, 3, "unclosed quote"},
		{"unclosed quote after closed one", `"a" "b`, 5, "unclosed quote"},
		{"unclosed field phrase", `title:"a`, 7, "unclosed quote"},
		{"unclosed paren", "a (b c", 3, "unclosed parenthesis"},
		{"unclosed inner paren", "((a) b", 1, "unclosed parenthesis"},
		{"unmatched closing paren", "a b) c", 4, "unmatched closing parenthesis"},
		{"closing paren first", ")", 1, "unmatched closing parenthesis"},
		{"and at start", "AND x", 1, "AND needs something before it"},
		{"or at group start", "x (OR y)", 4, "OR needs something before it"},
		{"or at end", "x OR", 3, "OR needs something after it"},
		{"and before paren", "(x AND) y", 4, "AND needs something after it"},
		{"not at end", "x NOT", 3, "NOT needs something after it"},
		{"double not at end", "NOT NOT", 5, "NOT needs something after it"},
		{"and or", "a AND OR b", 3, "AND needs something after it"},
		{"not and", "NOT AND b", 1, "NOT needs something after it"},
		{"empty parens", "a () b", 3, "empty parentheses"},
		{"empty parens with space", "( )", 1, "empty parentheses"},
		{"field with nothing", "title: brexit", 1, `"title:" needs a value`},
		{"field at end", "x Author:", 3, `"author:" needs a value`},
		{"field before paren", "title:(a b)", 1, `"title:" needs a value`},
		{"fuzziness 0", "x~0", 2, "fuzziness must be 1 or 2"},
		{"fuzziness 3", "abc~3", 4, "fuzziness must be 1 or 2"},
		{"fuzziness 10", "ab~10", 3, "fuzziness must be 1 or 2"},
		{"field fuzziness", "title:ab~3", 9, "fuzziness must be 1 or 2"},
		{"slop too big", `"a b"~11`, 6, slop},
		{"slop missing", `"a b"~`, 6, slop},
		{"slop not a number", `"a b"~x`, 6, slop},
		{"boost zero", "x^0", 2, "boost must be a positive number"},
		{"boost empty", "éé^", 3, "boost must be a positive number"},
		{"boost negative", "x^-1", 2, "boost must be a positive number"},
		{"boost exponent", "x^1e3", 2, "boost must be a positive number"},
		{"boost inf", "x^inf", 2, "boost must be a positive number"},
		{"boost two dots", "x^1.2.3", 2, "boost must be a positive number"},
		{"boost overflow", "x^1" + repeat("0", 400), 2, "boost must be a positive number"},
		{"phrase boost", `"a"^x`, 4, "boost must be a positive number"},
		{"phrase slop then bad boost", `"a"~2^`, 6, "boost must be a positive number"},
		{"too deep", nest(33, "x"), 33, "parentheses nested too deeply"},
		{"lone minus", "a - b", 3, `"-" needs a word right after it`},
		{"lone plus at end", "a +", 3, `"+" needs a word right after it`},
		{"minus before paren close", "(a -)", 4, `"-" needs a word right after it`},
		{"double minus", "--x", 1, `"-" needs a word right after it`},
		{"minus and", "-AND x", 1, `"-" needs a word right after it`},
		{"minus not", "-NOT x", 1, `"-" needs a word right after it`},
		{"earliest error wins", `) "a`, 1, "unmatched closing parenthesis"},
		{"position counts runes", "“über” AND", 8, "AND needs something after it"},
		{"position counts invalid bytes", "\xff\xfe AND", 4, "AND needs something after it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.q, testFields)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error %q at %d", tc.q, dump(e), tc.msg, tc.pos)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error is %T, want *SyntaxError", tc.q, err)
			}
			if se.Pos != tc.pos || se.Msg != tc.msg {
				t.Errorf("Parse(%q) error = %d %q, want %d %q", tc.q, se.Pos, se.Msg, tc.pos, tc.msg)
			}
			if e != nil {
				t.Errorf("Parse(%q) returned %s along with the error", tc.q, dump(e))
			}
		})
	}
}

func TestSyntaxErrorText(t *testing.T) {
	_, err := Parse(`budget "cuts`, nil)
	if got, want := err.Error(), "position 8: unclosed quote"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
