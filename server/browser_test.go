package server

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var screenshot = flag.Bool("screenshot", false, "write the results page screenshot to docs/screenshot.png")

// chromiumPath finds Debian's Chromium. Missing it skips the browser
// tests on a laptop but fails them in CI, where .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found on PATH; CI must install it (apt-get install -y chromium)")
	}
	t.Skip("chromium not installed: apt-get install -y chromium")
	return ""
}

// browser is one headless Chromium on the real handler, with a record of
// every script error and console error it saw.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	h, _ := newPageServer(t, pageDocs(t))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })

	b := &browser{t: t, ctx: ctx, base: srv.URL}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		case *cdplog.EventEntryAdded:
			// Script, CSP and resource errors arrive here; the 404 page
			// asked for on purpose is not one.
			if ev.Entry.Level == cdplog.EntryLevelError && !strings.Contains(ev.Entry.URL, "/doc/no-such") {
				msg = "console: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enable the log domain: %v", err)
	}
	return b
}

// do performs actions, failing the test with the step's name on error.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// call sends one protocol command to the tab.
func call[P, R any](b *browser, cmd cdp.Command[P, R], params P) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, cmd, params); err != nil {
		b.t.Fatalf("%s: %v", cmd.Method, err)
	}
}

// eval returns the value of a JavaScript expression.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition across page loads (a form
// submitted by script navigates away under a plain Poll).
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+cond+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			url, _ := chromedp.Run(b.ctx, chromedp.Location())
			b.t.Fatalf("timed out waiting for %s (at %s; last error %v)", what, url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	b.waitFor("page "+path+" to load", "document.body")
}

func (b *browser) noErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		b.t.Errorf("browser reported %s", e)
	}
	b.errors = nil
}

// hitTitles lists the result titles on the page.
func (b *browser) hitTitles() []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll(".hit-title a")].map(a => a.textContent)`)
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests drive Chromium; skipped with -short")
	}
	start := time.Now()
	b := newBrowser(t)
	t.Cleanup(func() { t.Logf("browser suite took %v", time.Since(start).Round(time.Millisecond)) })

	t.Run("type a query and submit", func(t *testing.T) {
		b.t = t
		b.open("/")
		b.do("type", chromedp.SendKeys(chromedp.CSS("#q"), "sovereign AI"), chromedp.Submit(chromedp.CSS("#q")))
		b.waitFor("results", `document.querySelector(".hits")`)
		if got := eval[string](b, `new URLSearchParams(location.search).get("q")`); got != "sovereign AI" {
			t.Errorf("q in the URL = %q", got)
		}
		if h := eval[string](b, `document.querySelector("h1.count").textContent`); !strings.Contains(h, "results for") {
			t.Errorf("heading = %q", h)
		}
		titles := b.hitTitles()
		if len(titles) != 10 {
			t.Fatalf("%d hits on page 1, want 10", len(titles))
		}
		if !strings.Contains(strings.Join(titles, "\n"), "Sovereign AI Without Autarky") {
			t.Errorf("the seed brief is not on the first page: %q", titles)
		}
		b.noErrors()
	})

	// Before any result is visited, so no link shows as visited.
	t.Run("screenshot", func(t *testing.T) {
		b.t = t
		b.do("viewport", chromedp.EmulateViewport(1280, 1000))
		b.open("/?q=sovereign+AI")
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		saveShot(t, "results.png", png, *screenshot)
	})

	t.Run("tick a facet", func(t *testing.T) {
		b.t = t
		b.open("/?q=sovereign+AI")
		before := eval[string](b, `document.querySelector("h1.count").textContent`)
		if hint := eval[string](b, `document.getElementById("filters-hint").textContent`); hint != "Results update as you tick a box." {
			t.Errorf("with script the filters hint says %q", hint)
		}
		sources := eval[string](b, `document.querySelector(".facet").textContent`)
		id := eval[string](b, `[...document.querySelectorAll("input[name=source_type]")].find(i => i.value === "government").id`)
		want := eval[string](b, `document.querySelector("label[for=`+id+`] .n").firstChild.textContent`)
		b.do("tick Government", chromedp.Click(chromedp.CSS("#"+id)))
		b.waitFor("the filtered page", `location.search.includes("source_type=government") && document.querySelector("h1.count")`)
		after := eval[string](b, `document.querySelector("h1.count").textContent`)
		if after == before || !strings.HasPrefix(after, want+" result") {
			t.Errorf("count went from %q to %q, want %s results as the facet said", before, after, want)
		}
		if eval[string](b, `document.querySelector(".facet").textContent`) == sources {
			t.Error("the source facet counts did not change")
		}
		if !eval[bool](b, `document.getElementById("`+id+`").checked`) {
			t.Error("the Government box is not ticked after the reload")
		}
		if eval[string](b, `document.activeElement.id`) != id {
			t.Error("focus did not return to the ticked box")
		}
		types := eval[[]string](b, `[...document.querySelectorAll(".hit .type")].map(e => e.textContent)`)
		for _, ty := range types {
			if ty != "Government" {
				t.Errorf("a hit of type %q is shown under the Government filter", ty)
			}
		}
		b.do("untick via the chip", chromedp.Click(chromedp.CSS(".chip")))
		b.waitFor("the unfiltered page", `!location.search.includes("source_type")`)
		if got := eval[string](b, `document.querySelector("h1.count").textContent`); got != before {
			t.Errorf("after removing the filter the count is %q, want %q", got, before)
		}
		b.noErrors()
	})

	t.Run("change sort", func(t *testing.T) {
		b.t = t
		b.open("/?q=sovereign+AI")
		b.do("sort newest", chromedp.Click(chromedp.CSS(`.sort a[href*="sort=newest"]`)))
		b.waitFor("newest first", `location.search.includes("sort=newest")`)
		if cur := eval[string](b, `document.querySelector('.sort a[aria-current]').textContent`); cur != "Newest" {
			t.Errorf("current sort = %q", cur)
		}
		dates := eval[[]string](b, `[...document.querySelectorAll(".hit .date time")].map(e => e.getAttribute("datetime"))`)
		for i := 1; i < len(dates); i++ {
			if dates[i][:4] > dates[i-1][:4] {
				t.Errorf("not newest first: %v", dates)
				break
			}
		}
		b.noErrors()
	})

	t.Run("go to page 2", func(t *testing.T) {
		b.t = t
		b.open("/?q=sovereign+AI")
		first := b.hitTitles()
		b.do("next page", chromedp.Click(chromedp.CSS(`.pager a[rel=next]`)))
		b.waitFor("page 2", `location.search.includes("page=2")`)
		if r := eval[string](b, `document.querySelector(".range").textContent`); !strings.Contains(r, "Showing 11–20") {
			t.Errorf("range = %q", r)
		}
		if cur := eval[string](b, `document.querySelector('.pager a[aria-current=page]').textContent`); !strings.HasSuffix(cur, "2") {
			t.Errorf("current page = %q", cur)
		}
		second := b.hitTitles()
		if len(second) == 0 || second[0] == first[0] {
			t.Errorf("page 2 shows %q", second)
		}
		b.do("reload", chromedp.Reload())
		b.waitFor("reload", `document.querySelector(".hits")`)
		if again := b.hitTitles(); strings.Join(again, "|") != strings.Join(second, "|") {
			t.Error("reloading page 2 shows different results")
		}
		b.noErrors()
	})

	t.Run("open a document", func(t *testing.T) {
		b.t = t
		b.open("/?q=sovereign+AI")
		title := b.hitTitles()[0]
		b.do("open first hit", chromedp.Click(chromedp.CSS(`.hit-title a`)))
		b.waitFor("document page", `location.pathname.startsWith("/doc/") && document.querySelector(".doc-title")`)
		if got := eval[string](b, `document.querySelector(".doc-title").textContent`); got != title {
			t.Errorf("document title %q, want %q", got, title)
		}
		if n := eval[int](b, `document.querySelectorAll(".doc-text mark").length`); n == 0 {
			t.Error("no query words are highlighted in the document")
		}
		b.do("back to results", chromedp.Click(chromedp.CSS(`.crumbs a`)))
		b.waitFor("results again", `location.pathname === "/" && document.querySelector(".hits")`)
		b.noErrors()
	})

	t.Run("export menu", func(t *testing.T) {
		b.t = t
		b.open("/?q=sovereign+AI")
		if eval[bool](b, `document.querySelector(".export-menu").open`) {
			t.Error("the export menu starts open")
		}
		b.do("open the menu", chromedp.Click(chromedp.CSS(".export-menu > summary")))
		if !eval[bool](b, `document.querySelector(".export-menu").open && document.querySelector(".export-menu .menu-panel").getBoundingClientRect().height > 0`) {
			t.Fatal("the export menu does not open")
		}
		if got := eval[[]string](b, `[...document.querySelectorAll(".export-menu a")].map(a => a.textContent)`); len(got) != 4 {
			t.Errorf("export formats %q", got)
		}
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(async () => {
			const r = await fetch(document.querySelector('.export-menu a[href*="format=csv"]').href);
			return r.status + " " + r.headers.get("content-disposition") + "\n" + await r.text();
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		head, body, _ := strings.Cut(got, "\n")
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || !strings.HasPrefix(head, "200 attachment; filename=\"policysearch-sovereign-ai-") {
			t.Fatalf("CSV download: %q %v", head, err)
		}
		total := eval[string](b, `document.querySelector("h1.count").textContent.split(" ")[0]`)
		if recs[0][0] != "rank" || strconv.Itoa(len(recs)-1) != total {
			t.Errorf("the CSV has %d rows, the page says %s results", len(recs)-1, total)
		}
		if recs[1][2] != b.hitTitles()[0] {
			t.Errorf("the CSV's first row is %q, the page's first hit %q", recs[1][2], b.hitTitles()[0])
		}
		b.noErrors()
	})

	t.Run("cite this search", func(t *testing.T) {
		b.t = t
		b.open("/?q=sovereign+AI&source_type=government")
		titles := b.hitTitles()
		b.do("cite", chromedp.Click(chromedp.CSS("form.cite button")))
		b.waitFor("the snapshot page", `location.pathname.startsWith("/s/") && document.querySelector(".frozen")`)
		frozen := eval[[]string](b, `[...document.querySelectorAll(".frozen .hit-title a")].map(a => a.textContent)`)
		if len(frozen) < len(titles) || strings.Join(frozen[:len(titles)], "|") != strings.Join(titles, "|") {
			t.Errorf("the snapshot lists %q, the search %q", frozen, titles)
		}
		if got := eval[string](b, `document.querySelector(".cite-url").href === location.href ? "" : document.querySelector(".cite-url").href`); got != "" {
			t.Errorf("the citable URL %q is not the page's", got)
		}
		if !eval[bool](b, `document.querySelector(".changes").textContent.includes("the same documents in the same order")`) {
			t.Error("a fresh snapshot reports changes")
		}
		b.noErrors()
	})

	t.Run("create and delete an alert", func(t *testing.T) {
		b.t = t
		b.open("/?q=sovereign+AI")
		b.do("open the panel", chromedp.Click(chromedp.CSS(".alerts-menu > summary")))
		b.do("create", chromedp.SendKeys(chromedp.CSS("#alert-name"), "Sovereign AI watch"), chromedp.Click(chromedp.CSS(".alert-form button")))
		b.waitFor("the confirmation", `document.querySelector(".alert-created")`)
		feed := eval[string](b, `document.querySelector(".feed-url").href`)
		b.do("back to the search", chromedp.Click(chromedp.CSS("a.back")))
		b.waitFor("the results", `location.pathname === "/" && document.querySelector(".hits")`)
		if got := eval[[]string](b, `[...document.querySelectorAll(".alert-item .alert-name")].map(e => e.textContent)`); len(got) != 1 || got[0] != "Sovereign AI watch" {
			t.Fatalf("alerts listed: %q", got)
		}
		atom, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch(`+strconv.Quote(feed)+`).then(r => r.text())`, chromedp.EvalAwaitPromise))
		if err != nil || !strings.Contains(atom, `<feed xmlns="http://www.w3.org/2005/Atom">`) {
			t.Errorf("the feed %s: %v %.200s", feed, err, atom)
		}
		b.do("open the panel", chromedp.Click(chromedp.CSS(".alerts-menu > summary")))
		b.do("delete", chromedp.Click(chromedp.CSS(".alert-delete button")))
		b.waitFor("the search again, without the alert", `location.pathname === "/" && document.querySelector(".hits") && !document.querySelector(".alert-item")`)
		if q := eval[string](b, `new URLSearchParams(location.search).get("q")`); q != "sovereign AI" {
			t.Errorf("after deleting, q=%q", q)
		}
		b.noErrors()
	})

	t.Run("keyboard only", func(t *testing.T) {
		b.t = t
		b.open("/")
		b.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
		tabTo := func(what, cond string) {
			t.Helper()
			// The sidebar's facets come first: seven of up to ten values
			// each, their "more" links and the date fields.
			for range 120 {
				if eval[bool](b, cond) {
					return
				}
				b.do("tab", chromedp.KeyEvent(kb.Tab))
			}
			t.Fatalf("Tab never reached %s", what)
		}
		tabTo("the search box", `document.activeElement.id === "q"`)
		if style := eval[string](b, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
			t.Error("the focused search box shows no focus outline")
		}
		b.do("type and submit", chromedp.KeyEvent("sovereign AI"), chromedp.KeyEvent(kb.Enter))
		b.waitFor("results", `document.querySelector(".hits")`)
		tabTo("a result link", `document.activeElement.matches(".hit-title a")`)
		if style := eval[string](b, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
			t.Error("the focused result link shows no focus outline")
		}
		b.do("follow", chromedp.KeyEvent(kb.Enter))
		b.waitFor("a document", `location.pathname.startsWith("/doc/") && document.querySelector(".doc-title")`)
		b.noErrors()
	})

	t.Run("hostile title runs no script", func(t *testing.T) {
		b.t = t
		b.open("/?q=hostile+payload")
		if got := eval[string](b, `typeof window.__xss`); got != "undefined" {
			t.Errorf("results page: window.__xss is %s", got)
		}
		if got := b.hitTitles(); len(got) != 1 || got[0] != xssTitle {
			t.Errorf("the hostile title does not show as text: %q", got)
		}
		b.do("open it", chromedp.Click(chromedp.CSS(`.hit-title a`)))
		b.waitFor("its page", `location.pathname === "/doc/xss-title"`)
		if got := eval[string](b, `typeof window.__xss`); got != "undefined" {
			t.Errorf("document page: window.__xss is %s", got)
		}
		if got := eval[int](b, `document.querySelectorAll("img[src=x], script:not([src])").length`); got != 0 {
			t.Errorf("%d injected elements in the document page", got)
		}
		b.noErrors()
	})

	t.Run("works without JavaScript", func(t *testing.T) {
		b.t = t
		call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		defer call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
		b.open("/?q=sovereign+AI")
		if hint := eval[string](b, `document.getElementById("filters-hint").textContent`); hint != "Tick values, then Apply filters." {
			t.Errorf("without script the filters hint says %q", hint)
		}
		b.do("tick and apply", chromedp.Click(chromedp.CSS(`input[name=source_type][value=think_tank]`)),
			chromedp.Click(chromedp.CSS(`button.apply`)))
		b.waitFor("the filtered page", `location.search.includes("source_type=think_tank")`)
		if q := eval[string](b, `new URLSearchParams(location.search).get("q")`); q != "sovereign AI" {
			t.Errorf("the query was lost applying a filter: q=%q", q)
		}
		b.noErrors()
	})

	t.Run("phone layout and dark mode", func(t *testing.T) {
		b.t = t
		b.do("phone", chromedp.EmulateViewport(360, 780))
		colorScheme(b, "dark")
		b.open("/?q=sovereign+AI&source_type=government")
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > 360 {
			t.Errorf("the page is %dpx wide on a 360px phone", w)
		}
		if eval[bool](b, `document.querySelector("details.filters").open`) ||
			eval[bool](b, `document.querySelector(".filters input[type=checkbox]").checkVisibility()`) {
			t.Error("filters are not folded away on a phone")
		}
		// Nothing may move once the page is shown (Lighthouse's CLS): sum
		// the layout shifts the browser recorded for this load.
		cls, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`new Promise(r => { let s = 0; new PerformanceObserver(l => { for (const e of l.getEntries()) if (!e.hadRecentInput) s += e.value; }).observe({type: "layout-shift", buffered: true}); setTimeout(() => r(s), 300); })`, chromedp.EvalAwaitPromise))
		if err != nil || cls >= 0.1 {
			t.Errorf("cumulative layout shift on a phone = %.3f (%v), want < 0.1", cls, err)
		}
		if bg := eval[string](b, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(18, 20, 23)" {
			t.Errorf("dark mode background = %s", bg)
		}
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		saveShot(t, "results-360px.png", png, false)
		b.do("desktop", chromedp.EmulateViewport(1280, 1000))
		colorScheme(b, "light")
		b.noErrors()
	})

	t.Run("404 pages", func(t *testing.T) {
		b.t = t
		b.open("/doc/no-such-doc")
		if h := eval[string](b, `document.querySelector("h1").textContent`); h != "No such document" {
			t.Errorf("unknown document shows %q", h)
		}
	})
}

// colorScheme emulates prefers-color-scheme.
func colorScheme(b *browser, scheme string) {
	b.t.Helper()
	call(b, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
}

// saveShot keeps a screenshot in the temp dir for inspection and, when
// asked, as the README's docs/screenshot.png.
func saveShot(t *testing.T, name string, png []byte, publish bool) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "policysearch-"+name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d KiB)", path, len(png)/1024)
	if publish {
		if err := os.WriteFile(filepath.Join("..", "docs", "screenshot.png"), png, 0o644); err != nil {
			t.Fatal(fmt.Errorf("publish screenshot: %w", err))
		}
	}
}
