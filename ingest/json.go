package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"policysearch/index"
)

// loadJSON reads one document object or an array of them. Documents go
// through index.Document's own UnmarshalJSON, so files accept exactly
// what the JSON API accepts (aliases, unknown fields kept in Extra).
func loadJSON(ctx context.Context, src *source, out *emitter) error {
	data, err := src.bytes()
	if err != nil {
		return err
	}
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	switch {
	case len(data) == 0:
		return out.fail(0, 0, invalid("the file is empty"))
	case data[0] == '{':
		var doc index.Document
		if err := json.Unmarshal(data, &doc); err != nil {
			return out.fail(0, 0, jsonErr(err))
		}
		return out.emit(doc, 0, 0)
	case data[0] == '[':
		return jsonArray(data, out)
	}
	return out.fail(0, 0, invalid("a JSON file must hold a document object or an array of them"))
}

// jsonArray yields each element on its own, so one bad element costs only
// itself. A syntax error ends the array: nothing after it can be trusted.
func jsonArray(data []byte, out *emitter) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // the opening [
		return out.fail(0, 0, jsonErr(err))
	}
	n := 0
	for dec.More() {
		n++
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return out.fail(n, n, fmt.Errorf("element %d: %w", n, jsonErr(err)))
		}
		if raw[0] != '{' {
			if err := out.fail(n, n, invalid("element %d is not a document object", n)); err != nil {
				return err
			}
			continue
		}
		var doc index.Document
		if err := json.Unmarshal(raw, &doc); err != nil {
			if err := out.fail(n, n, jsonErr(err)); err != nil {
				return err
			}
			continue
		}
		if err := out.emit(doc, n, n); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return out.fail(0, 0, fmt.Errorf("after element %d: %w", n, jsonErr(err)))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return out.fail(0, 0, invalid("unexpected data after the closing ]"))
	}
	return nil
}

// JSONLines streams NDJSON: one document per line, blank lines skipped.
// Each bad line yields a Record with Err and its Line while good lines
// still load. A line longer than maxLine bytes (DefaultMaxLine when
// maxLine <= 0) is a per-line error of kind index.TooLarge; the reader
// skips to the next line, so memory stays bounded by maxLine. Records
// without an id or url get "origin#line" as their origin.
func JSONLines(ctx context.Context, origin string, r io.Reader, maxLine int, yield func(Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return jsonLines(r, maxLine, &emitter{ctx: ctx, origin: origin, yield: yield})
}

func loadJSONLines(ctx context.Context, src *source, out *emitter) error {
	return jsonLines(src.r, DefaultMaxLine, out)
}

func jsonLines(r io.Reader, maxLine int, out *emitter) error {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for lineNo := 1; ; lineNo++ {
		if err := out.ctx.Err(); err != nil {
			return err
		}
		buf = buf[:0]
		tooLong := false
		var rerr error
		for {
			chunk, err := br.ReadSlice('\n')
			// Room for the line end: a line of exactly maxLine bytes plus
			// CRLF is still within the limit.
			if !tooLong && len(buf)+len(chunk) > maxLine+2 {
				tooLong, buf = true, buf[:0]
			}
			if !tooLong {
				buf = append(buf, chunk...)
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				rerr = err
				break
			}
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return &index.Error{Kind: index.Invalid, Code: "unreadable", Message: fmt.Sprintf("cannot read %s after line %d", out.origin, lineNo-1), Err: rerr}
		}
		line := bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		var err error
		switch {
		case tooLong || len(line) > maxLine:
			err = out.fail(lineNo, lineNo, index.Errorf(index.TooLarge, "line_too_long", "line is longer than %d bytes", maxLine))
		case len(bytes.TrimSpace(line)) == 0:
		default:
			err = jsonLine(line, lineNo, out)
		}
		if err != nil {
			return err
		}
		if rerr != nil {
			return nil
		}
	}
}

func jsonLine(line []byte, lineNo int, out *emitter) error {
	line = bytes.TrimSpace(line)
	if line[0] != '{' {
		return out.fail(lineNo, lineNo, invalid("a line must hold one document object"))
	}
	var doc index.Document
	if err := json.Unmarshal(line, &doc); err != nil {
		return out.fail(lineNo, lineNo, jsonErr(err))
	}
	return out.emit(doc, lineNo, lineNo)
}

// jsonErr keeps index errors (they name the field) and turns decoder
// errors into user-facing invalid input.
func jsonErr(err error) error {
	var ie *index.Error
	if errors.As(err, &ie) {
		return err
	}
	return invalid("not valid JSON: %v", err)
}

func jsonValid(b []byte) bool { return json.Valid(b) }
