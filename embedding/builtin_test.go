package embedding

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode"

	"policysearch/index"
)

// TestSOTUInputsFitTheBuiltinModel cuts every SOTU speech as the service
// does and counts each input with the built-in model's own tokenizer: none
// may exceed its 128 pieces, and no sentence may be left out.
func TestSOTUInputsFitTheBuiltinModel(t *testing.T) {
	docs := loadSOTU(t)
	m, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	limit := m.MaxTokens()
	if limit != 128 {
		t.Fatalf("built-in MaxTokens = %d, want 128", limit)
	}
	start := time.Now()
	var passages, longest int
	for _, d := range docs {
		spans, inputs, over := Inputs(m, "", d.Title, d.Text)
		if over > 0 {
			t.Errorf("%s: %d inputs over %d pieces", d.ID, over, limit)
		}
		for i, in := range inputs {
			n := m.CountTokens(in)
			longest = max(longest, n)
			if n > limit {
				t.Errorf("%s passage %d: %d pieces: %.80q…", d.ID, i, n, in)
			}
		}
		for _, s := range sentences(d.Text) { // every sentence lies within a passage
			inside := false
			for _, sp := range spans {
				if sp.Start <= s.Start && s.End <= sp.End {
					inside = true
					break
				}
			}
			if !inside && !cutInside(d.Text, spans, s) {
				t.Fatalf("%s: sentence at %d..%d is in no passage: %.80q", d.ID, s.Start, s.End, d.Text[s.Start:s.End])
			}
		}
		passages += len(spans)
	}
	t.Logf("%d speeches → %d passages (%.1f each), longest input %d pieces, cut and counted in %s",
		len(docs), passages, float64(passages)/float64(len(docs)), longest, time.Since(start).Round(time.Millisecond))
}

// cutInside reports whether a sentence too long for one passage is
// covered by consecutive passages, with only spaces between them.
func cutInside(text string, spans []Passage, s sentence) bool {
	at := s.Start
	for _, sp := range spans {
		for at < s.End && unicode.IsSpace(rune(text[at])) {
			at++
		}
		if sp.Start <= at && sp.End > at {
			at = sp.End
		}
	}
	return at >= s.End
}

// TestBuiltinThroughTheService embeds through the same queue and store
// as a remote model, with the model's id as the store key.
func TestBuiltinThroughTheService(t *testing.T) {
	m, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	r := newLocalRig(t, m)
	ctx := context.Background()
	if _, err := r.ix.Put(ctx, testDocs()); err != nil {
		t.Fatal(err)
	}
	waitLong(t, "built-in embedding", func() bool { return r.svc.Summary().Done == len(testDocs()) })
	sum := r.svc.Summary()
	if sum.Model != m.Model() || !strings.HasPrefix(sum.Model, "builtin:use-lite@") || sum.Dimensions != 512 || sum.InputsOverLimit != 0 || sum.MaxTokens != 128 {
		t.Errorf("summary %+v", sum)
	}
	got, err := r.svc.Nearest(ctx, "people working remotely from their homes", 1, nil)
	if err != nil || len(got) != 1 || got[0].ID != "telework" {
		t.Errorf("nearest = %+v, %v; want telework", got, err)
	}
}

// newLocalRig is newRig for an in-process model.
func newLocalRig(t *testing.T, m Embedder) *rig {
	t.Helper()
	return startRig(t, t.TempDir(), func(path string, log *slog.Logger) (*Service, error) { return NewLocal(m, Config{}, path, log) })
}

func testDocs() []index.Document {
	return []index.Document{
		{ID: "telework", Title: "Telecommuting guidance", Text: "Telecommuting staff who do their jobs from home keep office hours."},
		{ID: "dredging", Title: "Harbour dredging fees", Text: "Ports raise dredging fees to pay for deeper channels."},
		{ID: "grain", Title: "Grain subsidies", Text: "Farm subsidies for wheat growers are cut by a tenth next season."},
	}
}
