package alerts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"regexp"
	"strings"
)

// Alert ids, webhook secrets and feed tokens: random, and compared in
// constant time where they grant something.

var idPattern = regexp.MustCompile(`^[a-z2-7]{12}$`)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToLower(b32.EncodeToString(b))[:12]
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

func newFeedToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "feed_" + hex.EncodeToString(b)
}

// FeedTokenValid reports whether token opens alert id's feed, comparing
// in constant time.
func (s *Service) FeedTokenValid(id, token string) bool {
	a, err := s.st.getAlert(id)
	if err != nil || a.FeedToken == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(a.FeedToken), []byte(token)) == 1
}
