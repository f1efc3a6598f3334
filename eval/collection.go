// Package eval measures policysearch's ranking on standard test
// collections, so that a change to analysis, scoring or fusion is judged
// by numbers rather than by a few hand-picked queries. It loads a
// collection into a throwaway index built exactly as the service builds
// one, runs every query through the same search call as the API, and
// scores the rankings with the measures trec_eval and BEIR report.
package eval

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Formats a collection can be read from.
const (
	FormatCranfield = "cranfield"
	FormatBEIR      = "beir"
)

// Collection is a test collection: documents, queries and judgments.
type Collection struct {
	Docs    []Doc
	Queries []Query
	// Qrels maps a query id to its judged documents and their grades;
	// grade 0 is judged not relevant.
	Qrels map[string]map[string]int
	// IgnoreIdentical drops a hit whose id equals the query id, as BEIR's
	// evaluator does: in BEIR sets built from one pool (ArguAna, Quora)
	// the query is itself a document and would trivially rank first.
	IgnoreIdentical bool
}

// Doc is one document of a collection.
type Doc struct {
	ID, Title, Text string
	Author, Bib     string // Cranfield only
}

// Query is one topic.
type Query struct {
	ID, Text string
}

// Read reads a collection in format (cranfield or beir) from dir.
func Read(format, dir string) (*Collection, error) {
	switch format {
	case FormatCranfield:
		return ReadCranfield(dir)
	case FormatBEIR:
		return ReadBEIR(dir)
	}
	return nil, fmt.Errorf("unknown collection format %q: want %s or %s", format, FormatCranfield, FormatBEIR)
}

// Cranfield file names, as in the TREC-formatted distribution.
const (
	cranDocs    = "cran.all.1400.xml"
	cranQueries = "cran.qry.xml"
	cranQrels   = "cranqrel.trec.txt"
)

// ReadCranfield reads the TREC-formatted Cranfield collection. Its qrels
// number topics by their 1-based position in the query file, not by the
// <num> values (1, 2, 4, 8, …), so query ids here are positions too.
func ReadCranfield(dir string) (*Collection, error) {
	c := &Collection{}
	err := readXML(filepath.Join(dir, cranDocs), "doc", func(d *xml.Decoder, start xml.StartElement) error {
		var x struct {
			DocNo  string `xml:"docno"`
			Title  string `xml:"title"`
			Author string `xml:"author"`
			Bib    string `xml:"bib"`
			Text   string `xml:"text"`
		}
		if err := d.DecodeElement(&x, &start); err != nil {
			return err
		}
		c.Docs = append(c.Docs, Doc{ID: strings.TrimSpace(x.DocNo), Title: squash(x.Title),
			Text: strings.TrimSpace(x.Text), Author: squash(x.Author), Bib: squash(x.Bib)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readXML(filepath.Join(dir, cranQueries), "top", func(d *xml.Decoder, start xml.StartElement) error {
		var x struct {
			Title string `xml:"title"`
		}
		if err := d.DecodeElement(&x, &start); err != nil {
			return err
		}
		c.Queries = append(c.Queries, Query{ID: strconv.Itoa(len(c.Queries) + 1), Text: squash(x.Title)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.Qrels, err = readQrels(filepath.Join(dir, cranQrels), false); err != nil {
		return nil, err
	}
	return c, c.check()
}

// readXML calls fn for every element named name anywhere in the file.
// The Cranfield document file has no root element, so the decoder reads
// it as a stream and is lenient about entities.
func readXML(path, name string, fn func(*xml.Decoder, xml.StartElement) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	d := xml.NewDecoder(bufio.NewReader(f))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			if err := fn(d, se); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
	}
}

// readQrels reads "TOPIC ITER DOCNO REL" lines (TREC) or, with header
// set, BEIR's tab-separated "query-id corpus-id score" after a header.
func readQrels(path string, header bool) (map[string]map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	qrels := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || (header && n == 1) {
			continue
		}
		var q, d, rel string
		if header {
			parts := strings.Split(line, "\t")
			if len(parts) != 3 {
				return nil, fmt.Errorf("%s:%d: want query-id, corpus-id and score separated by tabs", path, n)
			}
			q, d, rel = parts[0], parts[1], parts[2]
		} else {
			parts := strings.Fields(line)
			if len(parts) != 4 {
				return nil, fmt.Errorf("%s:%d: want TOPIC ITERATION DOCNO RELEVANCE", path, n)
			}
			q, d, rel = parts[0], parts[2], parts[3]
		}
		g, err := strconv.Atoi(strings.TrimSpace(rel))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: relevance %q is not a whole number", path, n, rel)
		}
		q, d = strings.TrimSpace(q), strings.TrimSpace(d)
		if qrels[q] == nil {
			qrels[q] = map[string]int{}
		}
		qrels[q][d] = g
	}
	return qrels, sc.Err()
}

// ReadBEIR reads a collection in the BEIR layout: corpus.jsonl
// ({"_id","title","text"}), queries.jsonl ({"_id","text"}) and
// qrels/test.tsv with a header line. Only judged queries are kept, as
// BEIR's loader does.
func ReadBEIR(dir string) (*Collection, error) {
	c := &Collection{IgnoreIdentical: true}
	err := readJSONL(filepath.Join(dir, "corpus.jsonl"), func(line []byte) error {
		var x struct {
			ID    json.RawMessage `json:"_id"`
			Title string          `json:"title"`
			Text  string          `json:"text"`
		}
		if err := json.Unmarshal(line, &x); err != nil {
			return err
		}
		c.Docs = append(c.Docs, Doc{ID: rawID(x.ID), Title: x.Title, Text: x.Text})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.Qrels, err = readQrels(filepath.Join(dir, "qrels", "test.tsv"), true); err != nil {
		return nil, err
	}
	err = readJSONL(filepath.Join(dir, "queries.jsonl"), func(line []byte) error {
		var x struct {
			ID   json.RawMessage `json:"_id"`
			Text string          `json:"text"`
		}
		if err := json.Unmarshal(line, &x); err != nil {
			return err
		}
		if id := rawID(x.ID); c.Qrels[id] != nil {
			c.Queries = append(c.Queries, Query{ID: id, Text: x.Text})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, c.check()
}

// rawID reads an id that some BEIR sets write as a number.
func rawID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(string(raw))
}

func readJSONL(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}

// check rejects collections that would give meaningless figures.
func (c *Collection) check() error {
	switch {
	case len(c.Docs) == 0:
		return errors.New("the collection has no documents")
	case len(c.Queries) == 0:
		return errors.New("the collection has no judged queries")
	}
	return nil
}

// squash joins the hard-wrapped lines of a field into one.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
