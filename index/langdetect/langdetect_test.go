package langdetect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	cases := []struct {
		name, title, text, want string
	}{
		{"english", "Trade policy review", "A review of trade policy: tariffs, quotas and subsidies, and what the government plans to do about them next year.", "en"},
		{"french", "La politique commerciale", "Le gouvernement a présenté mercredi une révision de sa politique commerciale, avec de nouveaux droits de douane sur l'acier.", "fr"},
		{"german", "Handelspolitik", "Die Bundesregierung hat am Mittwoch eine Überprüfung ihrer Handelspolitik vorgestellt, mit neuen Zöllen auf Stahl und Aluminium.", "de"},
		{"spanish", "Política comercial", "El gobierno presentó el miércoles una revisión de su política comercial, con nuevos aranceles sobre el acero y el aluminio.", "es"},
		{"russian", "Торговая политика", "Правительство в среду представило пересмотр своей торговой политики с новыми пошлинами на сталь и алюминий. Министр заявил, что эти меры защитят отечественных производителей и рабочие места в промышленности.", "ru"},
		{"too short to tell", "AI", "Compute.", ""},
		{"no letters", "", "1234 5678 — 42 %", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Detect(c.title, c.text); got != c.want {
				t.Errorf("Detect = %q, want %q", got, c.want)
			}
		})
	}
}

// The project's seed articles are real English news text.
func TestDetectSeedArticles(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/corpora/seed-articles/*")
	if len(files) == 0 {
		t.Skip("no seed articles at ../shared/corpora/seed-articles")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Detect("", string(b)); got != "en" {
			t.Errorf("%s: Detect = %q, want en", filepath.Base(f), got)
		}
	}
}

// A long text is read from its start only, cut on a rune boundary.
func TestSampleCutsOnRune(t *testing.T) {
	s := sample("", strings.Repeat("é", sampleBytes))
	if len(s) > sampleBytes || !strings.HasSuffix(s, "é") {
		t.Errorf("sample ends badly: len %d, tail %q", len(s), s[len(s)-4:])
	}
}

// Long texts are where whatlanggo's confidence breaks down; the sample
// bound keeps a long English speech English.
func TestDetectLongText(t *testing.T) {
	para := "The Congress has passed a budget that invests in schools, roads and hospitals across the country, and the administration will work with the states to deliver it. "
	if got := Detect("State of the Union", strings.Repeat(para+"Every family deserves a fair chance to build a better life. ", 200)); got != "en" {
		t.Errorf("Detect = %q, want en", got)
	}
}

// BenchmarkDetect is the cost detection adds to ingesting one document
// without a language: a seed article, read up to sampleBytes.
func BenchmarkDetect(b *testing.B) {
	t, err := os.ReadFile("../../../shared/corpora/seed-articles/cnas-ai-sovereignty.txt")
	if err != nil {
		b.Skip("no seed articles")
	}
	text := string(t)
	b.ReportAllocs()
	for b.Loop() {
		if Detect("Sovereign AI", text) != "en" {
			b.Fatal("not English")
		}
	}
}
