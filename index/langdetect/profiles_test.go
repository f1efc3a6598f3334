package langdetect

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/abadojack/whatlanggo"
)

// TestSameAsWhatlanggo: the inverted scoring answers what whatlanggo
// answers, language and confidence, on texts of every profiled script and
// on 500-byte windows across the State of the Union speeches. Where the
// two differ the best two languages must be exactly tied (whatlanggo
// breaks ties in map order).
func TestSameAsWhatlanggo(t *testing.T) {
	texts := []string{
		"Le gouvernement a présenté mercredi une révision de sa politique commerciale, avec de nouveaux droits de douane sur l'acier.",
		"Die Bundesregierung hat am Mittwoch eine Überprüfung ihrer Handelspolitik vorgestellt, mit neuen Zöllen auf Stahl.",
		"El gobierno presentó el miércoles una revisión de su política comercial, con nuevos aranceles sobre el acero.",
		"O governo apresentou na quarta-feira uma revisão da sua política comercial, com novas tarifas sobre o aço.",
		"Правительство в среду представило пересмотр своей торговой политики с новыми пошлинами на сталь и алюминий.",
		"Уряд у середу представив перегляд своєї торговельної політики з новими митами на сталь.",
		"قدمت الحكومة يوم الأربعاء مراجعة لسياستها التجارية مع رسوم جديدة على الصلب والألمنيوم",
		"सरकार ने बुधवार को अपनी व्यापार नीति की समीक्षा प्रस्तुत की, जिसमें इस्पात पर नए शुल्क शामिल हैं।",
		"הממשלה הציגה ביום רביעי סקירה של מדיניות הסחר שלה, עם מכסים חדשים על פלדה ואלומיניום.",
		"መንግስት ረቡዕ የንግድ ፖሊሲውን ግምገማ አቅርቧል፣ በብረት ላይ አዲስ ቀረጥ ጨምሮ።",
		"政府周三公布了贸易政策审查", "ok", "1234 — 42 %", "",
	}
	f, err := os.Open("../../../shared/corpora/sotu.jsonl")
	if err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var sp struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &sp) != nil {
				continue
			}
			for at := 0; at+sampleBytes <= len(sp.Text) && at < 40*sampleBytes; at += 4 * sampleBytes {
				texts = append(texts, sample("", sp.Text[at:]))
			}
		}
		f.Close()
	}
	if len(texts) < 1000 {
		t.Logf("only %d texts: no sotu.jsonl at ../shared/corpora", len(texts))
	}
	for _, s := range texts {
		want, got := whatlanggo.Detect(s), detect(s)
		if got.Lang == want.Lang && got.Script == want.Script && math.Abs(got.Confidence-want.Confidence) < 1e-12 {
			continue
		}
		if got.Script == want.Script && tied(s, got.Lang, want.Lang) {
			continue
		}
		t.Errorf("%.60q: detect %v %.4f, whatlanggo %v %.4f", s, got.Lang, got.Confidence, want.Lang, want.Confidence)
	}
	t.Logf("%d texts compared", len(texts))
}

// tied says whether whatlanggo's own distance (calculateDistance) puts
// languages a and b level.
func tied(s string, a, b whatlanggo.Lang) bool {
	ranks := rankMap(trigramRanks(s))
	for _, profiles := range []map[whatlanggo.Lang][]string{latinProfiles, cyrillicProfiles, arabicProfiles, devanagariProfiles, ethiopicProfiles, hebrewProfiles} {
		pa, okA := profiles[a]
		pb, okB := profiles[b]
		if okA && okB {
			return distance(pa, ranks) == distance(pb, ranks)
		}
	}
	return false
}

func distance(profile []string, ranks map[trigram]int) int {
	total := 0
	for i, s := range profile {
		tg, _ := packString(s)
		if n, ok := ranks[tg]; ok {
			total += int(math.Abs(float64(n - i)))
		} else {
			total += maxTrigramDistance
		}
	}
	return total
}

// A trigram's rank: most frequent first, ties in reverse byte order.
func TestTrigramRanks(t *testing.T) {
	got := rankMap(trigramRanks("ab ab, c"))
	want := map[string]int{"ab ": 0, " ab": 1, "b a": 2, " c ": 3} // "b  " and "  c" are not trigrams
	if len(got) != len(want) {
		t.Fatalf("ranks %v, want %v", got, want)
	}
	for s, r := range want {
		if tg, _ := packString(s); got[tg] != r {
			t.Errorf("rank of %q = %d, want %d (all: %v)", strings.ReplaceAll(s, " ", "_"), got[tg], r, got)
		}
	}
}

func rankMap(ranks []rankedTrigram) map[trigram]int {
	m := make(map[trigram]int, len(ranks))
	for _, t := range ranks {
		m[t.tg] = t.rank
	}
	return m
}

// detectScript answers what whatlanggo.DetectScript answers, on the
// ASCII fast path and off it.
func TestDetectScript(t *testing.T) {
	for _, s := range []string{"", "1234 — 42 %", "plain ascii text", "“Quoted” — and dashed’s", "café au lait",
		"Правительство", "mixed Latin и кириллица", "政府周三公布了", "日本語のテキスト", "\x00\x7f", "AI", "ÅÄÖ åäö"} {
		if got, want := detectScript(s), whatlanggo.DetectScript(s); got != want {
			t.Errorf("%q: detectScript %p, whatlanggo %p", s, got, want)
		}
	}
}
