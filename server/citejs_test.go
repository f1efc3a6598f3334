package server

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"policysearch/snapshots"
)

// citationJS installs citation-js (npm) into a temp dir, never the repo,
// and returns that dir; without npm it skips (fails under CI).
func citationJS(t *testing.T) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("npm not found; CI needs node and npm to check citations with citation-js")
		}
		t.Skip("npm not installed: citations are not checked with citation-js")
	}
	dir := t.TempDir()
	cmd := exec.Command(npm, "install", "--silent", "--no-audit", "--no-fund",
		"@citation-js/core@0.7", "@citation-js/plugin-ris@0.7", "@citation-js/plugin-bibtex@0.7")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot install citation-js from npm (%v): %s", err, out)
	}
	return dir
}

// citationScript parses each file named on its command line with
// citation-js and prints the CSL-JSON authors and publisher of each entry.
const citationScript = `
const { Cite } = require('@citation-js/core');
require('@citation-js/plugin-ris');
require('@citation-js/plugin-bibtex');
const fs = require('fs');
const out = [];
for (const f of process.argv.slice(2)) {
  out.push(new Cite(fs.readFileSync(f, 'utf8')).data.map(e => ({ author: e.author || [], publisher: e.publisher || '' })));
}
console.log(JSON.stringify(out));
`

// TestCitationsRoundTripCitationJS reads the RIS and BibTeX exports back
// with citation-js, the parser behind many reference tools: each person
// comes back as family and given name, an organisation whole, and a
// publisher with "and" in it as one publisher.
func TestCitationsRoundTripCitationJS(t *testing.T) {
	dir := citationJS(t)
	rows := []exportRow{
		{Hit: snapshots.Hit{Rank: 1, ID: "jackson", Title: "Farewell Address", Author: []string{"Andrew Jackson", "Ludwig van Beethoven"},
			Published: "1837-03-04", Source: "Bill and Melinda Gates Foundation", SourceType: "ngo"}},
		{Hit: snapshots.Hit{Rank: 2, ID: "cnas", Title: "AI sovereignty", Author: []string{"Scanlon, Ruby", "Vivek Chilukuri", "Bill and Melinda Gates Foundation"},
			Published: "2026", Source: "CNAS", SourceType: "think_tank"}},
	}
	type name struct{ Family, Given, Literal string }
	want := [][]name{
		{{Family: "Jackson", Given: "Andrew"}, {Family: "van Beethoven", Given: "Ludwig"}},
		{{Family: "Scanlon", Given: "Ruby"}, {Family: "Chilukuri", Given: "Vivek"}, {Literal: "Bill and Melinda Gates Foundation"}},
	}
	ris := filepath.Join(dir, "export.ris")
	bib := filepath.Join(dir, "export.bib")
	os.WriteFile(ris, renderExport(t, "ris", rows), 0o644)
	os.WriteFile(bib, renderExport(t, "bibtex", rows), 0o644)
	script := filepath.Join(dir, "roundtrip.js")
	os.WriteFile(script, []byte(citationScript), 0o644)
	cmd := exec.Command("node", script, ris, bib)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("citation-js: %v\n%s", err, out)
	}
	var got [][]struct {
		Author []struct {
			Family, Given, Literal string
		}
		Publisher string
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got) != 2 {
		t.Fatalf("citation-js output %s: %v", out, err)
	}
	for f, format := range []string{"RIS", "BibTeX"} {
		if len(got[f]) != len(rows) {
			t.Fatalf("%s: %d entries, want %d", format, len(got[f]), len(rows))
		}
		for i, e := range got[f] {
			var names []name
			for _, a := range e.Author {
				n := name(a)
				if format == "BibTeX" && n.Given == "" && n.Literal == "" {
					n.Literal, n.Family = n.Family, "" // BibTeX has no literal: a braced name is all family
				}
				names = append(names, n)
			}
			if len(names) != len(want[i]) {
				t.Errorf("%s entry %d authors %+v, want %+v", format, i, names, want[i])
				continue
			}
			for j := range names {
				if names[j] != want[i][j] {
					t.Errorf("%s entry %d author %d = %+v, want %+v", format, i, j, names[j], want[i][j])
				}
			}
		}
		if p := got[f][0].Publisher; p != "Bill and Melinda Gates Foundation" {
			t.Errorf("%s publisher = %q, want it whole", format, p)
		}
	}
}
