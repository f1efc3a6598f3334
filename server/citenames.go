package server

import (
	"strings"
)

// citeName is an author as reference managers want it: a person split
// into family and given names, or an organisation kept whole.
type citeName struct {
	Family, Given, Suffix string
	Corporate             bool // Family holds the whole name
}

// corporateWords mark an author that is an organisation, not a person.
var corporateWords = map[string]bool{
	"foundation": true, "institute": true, "institution": true, "lab": true, "laboratory": true, "center": true,
	"centre": true, "council": true, "ministry": true, "department": true, "office": true, "agency": true,
	"commission": true, "university": true, "association": true, "group": true, "bank": true, "committee": true,
	"union": true, "program": true, "programme": true, "organization": true, "organisation": true, "inc": true,
	"inc.": true, "ltd": true, "ltd.": true, "corp": true, "corp.": true, "fund": true, "forum": true,
	"network": true, "society": true, "news": true, "times": true, "service": true, "board": true,
	"government": true, "parliament": true, "senate": true, "house": true, "court": true, "authority": true,
	"company": true, "press": true, "secretariat": true, "bureau": true, "nations": true, "staff": true,
	"team": true, "editors": true, "school": true, "college": true, "academy": true, "project": true,
	"initiative": true, "alliance": true, "coalition": true, "partnership": true, "trust": true, "partners": true,
}

// nameParticles start a family name ("van Gogh", "de la Cruz").
var nameParticles = map[string]bool{"van": true, "von": true, "de": true, "del": true, "della": true,
	"der": true, "den": true, "da": true, "di": true, "du": true, "la": true, "le": true, "ter": true, "bin": true, "al": true}

var nameSuffixes = map[string]bool{"jr": true, "jr.": true, "sr": true, "sr.": true, "ii": true, "iii": true, "iv": true}

// splitName reads an author as written ("Andrew Jackson", "Jackson,
// Andrew", "Ludwig van Beethoven", "Bill and Melinda Gates Foundation").
// An organisation (a word such as Foundation or Ministry, an "and" or
// "&", or a single word) is kept whole.
func splitName(name string) citeName {
	name = oneLine(name)
	if last, first, ok := strings.Cut(name, ","); ok {
		first, suffix, _ := strings.Cut(strings.TrimSpace(first), ",")
		if f := strings.TrimSpace(first); f != "" && !nameSuffixes[strings.ToLower(f)] {
			return citeName{Family: strings.TrimSpace(last), Given: f, Suffix: strings.TrimSpace(suffix)}
		}
	}
	words := strings.Fields(name)
	corporate := len(words) < 2 || len(words) > 5
	for _, w := range words {
		lw := strings.ToLower(strings.Trim(w, ",()"))
		if corporateWords[lw] || lw == "and" || lw == "&" || lw == "of" || lw == "for" || lw == "the" {
			corporate = true
		}
	}
	if corporate {
		return citeName{Family: name, Corporate: true}
	}
	var suffix string
	if n := len(words); n > 2 && nameSuffixes[strings.ToLower(strings.TrimSuffix(words[n-1], ","))] {
		suffix, words = words[n-1], words[:n-1]
		words[len(words)-1] = strings.TrimSuffix(words[len(words)-1], ",")
	}
	i := len(words) - 1
	for i > 1 && nameParticles[strings.ToLower(words[i-1])] {
		i-- // particles before the last word belong to the family name
	}
	return citeName{Family: strings.Join(words[i:], " "), Given: strings.Join(words[:i], " "), Suffix: suffix}
}

// ris is the name as RIS's AU tag wants it: "Last, First[, Suffix]"; an
// organisation as it is (with no comma, a reader takes it whole).
func (n citeName) ris() string {
	if n.Corporate || n.Given == "" {
		return n.Family
	}
	s := n.Family + ", " + n.Given
	if n.Suffix != "" {
		s += ", " + n.Suffix
	}
	return s
}

// bibtex is the name as BibTeX's author field wants it: "{Last}, First"
// (braced, so a particle or compound stays the family name), with an
// organisation braced whole so BibTeX neither splits it at "and" nor
// takes its last word as a surname.
func (n citeName) bibtex() string {
	if n.Corporate || n.Given == "" {
		return "{" + texEscape(n.Family) + "}"
	}
	s := "{" + texEscape(n.Family) + "}"
	if n.Suffix != "" {
		s += ", " + texEscape(n.Suffix)
	}
	return s + ", " + texEscape(n.Given)
}
