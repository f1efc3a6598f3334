package index_test

import (
	"fmt"
	"strings"
	"testing"

	"policysearch/index"
)

// TestDeepHybridPagesAddUp pages past the hybrid candidate window (100
// per list): a total or an order that depends on the page would repeat
// or skip documents there.
func TestDeepHybridPagesAddUp(t *testing.T) {
	var docs []index.Document
	words := strings.Fields("tariffs steel trade exports jobs allies budget energy grid")
	for i := range 160 {
		docs = append(docs, index.Document{ID: fmt.Sprintf("d%03d", i), Title: words[i%len(words)] + " brief",
			Text: strings.Repeat("tariffs ", 1+i%5) + words[(i*7)%len(words)] + " " + words[(i*3)%len(words)] + "."})
	}
	ix, _ := semanticIndex(t, docs)
	checkPaging(t, ix, []string{"tariffs", "tariffs steel"}, []string{index.ModeHybrid}, []int{30, 45})
}
