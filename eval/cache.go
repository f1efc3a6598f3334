package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
)

// DefaultCacheRoot is where eval keeps embedding stores between runs
// when no --cache is given: policysearch/eval under the user's cache
// directory ($XDG_CACHE_HOME or ~/.cache on Linux).
func DefaultCacheRoot() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "policysearch", "eval"), nil
}

// CacheFile is the embedding store for one collection and one model
// under root: a directory per collection (its name and a hash of its
// absolute path) and a file per model id, so neither evicts the other
// and a changed model never reads the old vectors.
func CacheFile(root, collectionDir, model string) (string, error) {
	abs, err := filepath.Abs(collectionDir)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, safeName(filepath.Base(abs))+"-"+shortHash(abs), safeName(model)+"-"+shortHash(model)+".db"), nil
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// safeName keeps letters, digits, dots and dashes, so any model name
// ("nomic-embed-text:latest", "BAAI/bge-small") makes a file name.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, s)
	return strings.Trim(s, "._")
}
