package ingest

import (
	"strings"
	"testing"

	"policysearch/index"
)

// noise is text that fixture pages hide in navigation, scripts, styles,
// asides and footers: none of it may reach a document's text.
var noise = []string{"NAV-NOISE", "SCRIPT-NOISE", "FOOTER-NOISE", "ASIDE-NOISE", "font-family", "dataLayer"}

func TestHTMLFixtures(t *testing.T) {
	tests := []struct {
		path                                    string
		title, url, source, authors, tags, lang string
		published                               index.Date
		paragraphs                              int
		textHas                                 string
	}{
		{
			path:   "testdata/html/article.html",
			title:  "Carbon Border Adjustments: A Primer",    // og:title beats JSON-LD and <title>
			url:    "https://policy.example.org/briefs/cbam", // canonical beats og:url
			source: "Policy Institute", authors: "Jane Doe", lang: "en",
			tags:       "climate|trade policy|EU|carbon pricing",
			published:  date("2024-03-05T09:30:00Z"),
			paragraphs: 4, textHas: "carbon border adjustment mechanism",
		},
		{
			path:   "testdata/html/ogurl.html",
			title:  "Statement on the reform of fiscal rules", // JSON-LD headline beats <title>
			url:    "https://gouv.example.fr/communiques/regles-budgetaires",
			source: "Ministry of Finance", authors: "Marie Curie|Pierre Curie", lang: "fr",
			tags:       "fiscal rules|debt",
			published:  date("2023-11"), // dc.date; the unreadable "date" is ignored
			paragraphs: 2, textHas: "European fiscal rules.\nThe new framework",
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			d := loadPath(t, tt.path).one()
			checks := []struct{ field, got, want string }{
				{"title", d.Title, tt.title},
				{"url", d.URL, tt.url},
				{"source", d.Source, tt.source},
				{"authors", strings.Join(d.Authors, "|"), tt.authors},
				{"tags", strings.Join(d.Tags, "|"), tt.tags},
				{"language", d.Language, tt.lang},
				{"origin", d.Origin, abs(t, tt.path)},
				{"id", d.ID, index.DeriveID(index.CanonicalURL(tt.url))},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
				}
			}
			if !sameDate(d.Published, tt.published) {
				t.Errorf("published: got %v, want %v", d.Published, tt.published)
			}
			for _, n := range noise {
				if strings.Contains(d.Text, n) {
					t.Errorf("text contains page noise %q:\n%s", n, d.Text)
				}
			}
			if got := len(strings.Split(d.Text, "\n\n")); got != tt.paragraphs {
				t.Errorf("paragraphs: got %d, want %d:\n%s", got, tt.paragraphs, d.Text)
			}
			if !strings.Contains(d.Text, tt.textHas) {
				t.Errorf("text lacks %q:\n%s", tt.textHas, d.Text)
			}
		})
	}
}

func TestHTMLMetadataSources(t *testing.T) {
	page := func(head, body string) string {
		return "<html><head>" + head + "</head><body>" + body + "</body></html>"
	}
	body := "<p>The council adopted its position on the regulation today. It now negotiates with Parliament.</p>"
	tests := []struct {
		name, pageName, content string
		field                   func(index.Document) string
		want                    string
	}{
		{"description to extra", "p.html", page(`<meta name="description" content="A summary.">`, body),
			func(d index.Document) string { return str(d.Extra["description"]) }, "A summary."},
		{"og:description when no description", "p.html", page(`<meta property="og:description" content="OG summary.">`, body),
			func(d index.Document) string { return str(d.Extra["description"]) }, "OG summary."},
		{"article:author name", "p.html", page(`<meta property="article:author" content="Ann Lee">`, body),
			func(d index.Document) string { return strings.Join(d.Authors, "|") }, "Ann Lee"},
		{"meta author beats JSON-LD", "p.html", page(`<meta name="author" content="Meta Author"><script type="application/ld+json">{"@type":"Article","author":"LD Author"}</script>`, body),
			func(d index.Document) string { return strings.Join(d.Authors, "|") }, "Meta Author"},
		{"JSON-LD author string", "p.html", page(`<script type="application/ld+json">{"@type":"Article","author":"LD Author"}</script>`, body),
			func(d index.Document) string { return strings.Join(d.Authors, "|") }, "LD Author"},
		{"broken JSON-LD is ignored", "p.html", page(`<title>T</title><script type="application/ld+json">{"@type":"Article",</script>`, body),
			func(d index.Document) string { return d.Title }, "T"},
		{"non-article JSON-LD is ignored", "p.html", page(`<title>T</title><script type="application/ld+json">{"@type":"Organization","name":"Org"}</script>`, body),
			func(d index.Document) string { return d.Title + "|" + d.Source }, "T|"},
		{"datePublished itemprop", "p.html", page(`<meta itemprop="datePublished" content="2022-02-03">`, body),
			func(d index.Document) string { return d.Published.String() }, "2022-02-03"},
		{"meta date", "p.html", page(`<meta name="date" content="2021-07-08">`, body),
			func(d index.Document) string { return d.Published.String() }, "2021-07-08"},
		{"dc.date", "p.html", page(`<meta name="DC.date" content="2020">`, body),
			func(d index.Document) string { return d.Published.String() }, "2020"},
		{"web date layout", "p.html", page(`<meta property="article:published_time" content="2024-03-05T09:30:00+0100">`, body),
			func(d index.Document) string { return d.Published.String() }, "2024-03-05T08:30:00Z"},
		{"JSON-LD datePublished", "p.html", page(`<script type="application/ld+json">[{"@type":"NewsArticle","datePublished":"2019-05-06"}]</script>`, body),
			func(d index.Document) string { return d.Published.String() }, "2019-05-06"},
		{"unparseable date is ignored", "p.html", page(`<meta name="date" content="last Tuesday">`, body),
			func(d index.Document) string { return d.Published.String() }, ""},
		{"og:url without canonical", "p.html", page(`<meta property="og:url" content="https://ex.org/og">`, body),
			func(d index.Document) string { return d.URL }, "https://ex.org/og"},
		{"relative canonical resolved against the page URL", "https://ex.org/news/a?x=1", page(`<link rel="canonical" href="/news/a">`, body),
			func(d index.Document) string { return d.URL }, "https://ex.org/news/a"},
		{"relative canonical without a base is dropped", "p.html", page(`<link rel="canonical" href="/news/a">`, body),
			func(d index.Document) string { return d.URL }, ""},
		{"page URL when no link", "https://ex.org/b", page(``, body),
			func(d index.Document) string { return d.URL }, "https://ex.org/b"},
		{"og:locale", "p.html", page(`<meta property="og:locale" content="de_DE">`, body),
			func(d index.Document) string { return d.Language }, "de"},
		{"title element", "p.html", page(`<title> Plain   title </title>`, body),
			func(d index.Document) string { return d.Title }, "Plain title"},
		{"h1 when no title", "p.html", page(``, "<h1>Heading title</h1>"+body),
			func(d index.Document) string { return d.Title }, "Heading title"},
		{"first sentence when nothing else", "p.html", page(``, body),
			func(d index.Document) string { return d.Title }, "The council adopted its position on the regulation today"},
		{"publisher as source", "p.html", page(`<script type="application/ld+json">{"@context":"https://schema.org","@type":"Report","publisher":"Think Tank"}</script>`, body),
			func(d index.Document) string { return d.Source }, "Think Tank"},
		{"keywords split on commas", "p.html", page(`<meta name="keywords" content="a, b ,, c">`, body),
			func(d index.Document) string { return strings.Join(d.Tags, "|") }, "a|b|c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadString(t, tt.pageName, tt.content, "text/html").one()
			if got := tt.field(d); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ name, content, ct, want string }{
		{"body fallback keeps paragraphs, drops chrome",
			"<body><nav>NAV-NOISE</nav><div>Short note.</div><div>Second <b>part</b>.</div><script>SCRIPT-NOISE</script><footer>FOOTER-NOISE</footer></body>",
			"", "Short note.\n\nSecond part."},
		{"br is a line break", "<p>one<br>two</p>", "", "one\ntwo"},
		{"pre keeps spacing", "<pre>a  b\n  c</pre><p>x   y</p>", "", "a  b\n  c\n\nx y"},
		{"hidden elements dropped", `<p>seen</p><p hidden>h1</p><div aria-hidden="true">h2</div><div style="display: none">h3</div>`, "", "seen"},
		{"charset from content type", "<p>caf\xe9</p>", "text/html; charset=windows-1252", "café"},
		{"charset from meta when not UTF-8", `<meta charset="iso-8859-1">` + "<p>na\xefve</p>", "", "naïve"},
		{"meta charset ignored for valid UTF-8", `<meta charset="iso-8859-1"><p>café</p>`, "", "café"},
		{"control characters removed", "<p>a\x00b\x07c</p>", "", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadString(t, "page.html", tt.content, tt.ct).one()
			if d.Text != tt.want {
				t.Errorf("text: got %q, want %q", d.Text, tt.want)
			}
		})
	}
}
