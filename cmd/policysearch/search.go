package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/spf13/pflag"

	"policysearch/index"
)

// searchFlags holds the search command's own flags.
type searchFlags struct {
	json                                               bool
	sort                                               string
	page, size                                         int
	strict                                             bool
	source, sourceType, author, country, tag, language []string
	from, to                                           string
}

func searchCmd() command {
	var sf searchFlags
	return command{
		name:  "search",
		usage: "QUERY [flags]",
		summary: "Search the index. Query language: words, \"phrases\", field:value (title, source, author, tag,\n" +
			"country, language, source_type, year), +must, -exclude, prefix*, fuzzy~1, AND, OR, NOT, ( ).",
		flags: func(fs *pflag.FlagSet, c *Config) {
			storeFlags(fs, c)
			fs.BoolVar(&sf.json, "json", false, "print the result as the JSON API would")
			fs.StringVar(&sf.sort, "sort", "relevance", "relevance, newest or oldest")
			fs.IntVar(&sf.page, "page", 1, "page number")
			fs.IntVar(&sf.size, "size", 10, "results per page (at most 100)")
			fs.BoolVar(&sf.strict, "strict", false, "fail on a query that does not parse instead of searching its words")
			fs.StringArrayVar(&sf.source, "source", nil, "only this source (repeatable)")
			fs.StringArrayVar(&sf.sourceType, "source-type", nil, "only this source type (repeatable)")
			fs.StringArrayVar(&sf.author, "author", nil, "only this author (repeatable)")
			fs.StringArrayVar(&sf.country, "country", nil, "only this country (repeatable)")
			fs.StringArrayVar(&sf.tag, "tag", nil, "only this tag (repeatable)")
			fs.StringArrayVar(&sf.language, "language", nil, "only this language (repeatable)")
			fs.StringVar(&sf.from, "from", "", "published on or after (YYYY, YYYY-MM, YYYY-MM-DD)")
			fs.StringVar(&sf.to, "to", "", "published on or before")
		},
		do: func(ctx context.Context, cfg *Config, args []string, io ioSet) error {
			return runSearch(ctx, cfg, &sf, args, io)
		},
	}
}

func runSearch(ctx context.Context, cfg *Config, sf *searchFlags, args []string, io ioSet) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: search needs a query (quote it: policysearch search 'tariffs AND allies')", errUsage)
	}
	q := index.Query{
		Text: strings.Join(args, " "), Sort: sf.sort, Page: sf.page, Size: sf.size, Strict: sf.strict,
		Filters: index.Filters{Source: sf.source, SourceType: sf.sourceType, Author: sf.author,
			Country: sf.country, Tag: sf.tag, Language: sf.language},
	}
	var err error
	if q.Filters.From, err = index.ParseDate(sf.from); err != nil {
		return fmt.Errorf("%w: --from: %v", errUsage, err)
	}
	if q.Filters.To, err = index.ParseDate(sf.to); err != nil {
		return fmt.Errorf("%w: --to: %v", errUsage, err)
	}
	ix, done, err := openStore(ctx, cfg, io)
	if err != nil {
		return err
	}
	defer done()
	res, err := ix.Search(ctx, q)
	if err != nil {
		return err
	}
	if sf.json {
		enc := json.NewEncoder(io.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printResults(io, res)
	return nil
}

var markTag = regexp.MustCompile(`</?mark>`)

// plain turns an escaped, marked snippet into terminal text with the
// matches in *asterisks*.
func plain(s string) string {
	return html.UnescapeString(markTag.ReplaceAllString(s, "*"))
}

func printResults(io ioSet, res *index.Results) {
	if res.Notice != "" {
		fmt.Fprintln(io.stderr, "note:", res.Notice)
	}
	first := (res.Page-1)*res.Size + 1
	fmt.Fprintf(io.stdout, "%d result(s) for %q (%.1f ms)\n", res.Total, res.Query, res.TookMS)
	for i, h := range res.Hits {
		meta := []string{}
		for _, s := range []string{h.Source, strings.Join(h.Author, ", "), h.Published} {
			if s != "" {
				meta = append(meta, s)
			}
		}
		fmt.Fprintf(io.stdout, "\n%d. %s\n   [%s] %s\n", first+i, h.Title, h.ID, strings.Join(meta, " · "))
		for _, s := range h.Snippets {
			fmt.Fprintf(io.stdout, "   %s\n", plain(s))
		}
	}
}
