package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"policysearch/index"
)

// maxSidecar bounds a sidecar metadata file; metadata is small.
const maxSidecar = 1 << 20

// sidecarSuffixes name the metadata files that may sit next to a
// document, e.g. brief.txt.meta.yaml; earlier ones win.
var sidecarSuffixes = []string{".meta.yaml", ".meta.yml", ".meta.json"}

// Walk loads every supported file under paths (files or folders, folders
// recursively, in lexical order). Inside folders it skips hidden files and
// folders, editor and download temp files, sidecar metadata and files of
// unsupported types; a file named explicitly is always tried, so naming an
// unsupported one gives an error record. Problems with one file, including
// a path that does not exist, are yielded as error records and the walk
// goes on. Walk stops with the error of yield, or of ctx.
func Walk(ctx context.Context, paths []string, yield func(path string, rec Record) error) error {
	seen := map[string]bool{} // one file named twice, or inside two roots, loads once
	for _, root := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := os.Stat(root)
		if err != nil || !info.IsDir() {
			if err := walkFile(ctx, root, true, seen, yield); err != nil {
				return err
			}
			continue
		}
		if li, err := os.Lstat(root); err == nil && li.Mode()&fs.ModeSymlink != 0 {
			root += string(filepath.Separator) // a named link to a folder is followed
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				return yield(path, Record{Doc: index.Document{Origin: absPath(path)}, Err: unreadable(path, err)})
			}
			if path != root && skipName(d.Name(), d.IsDir()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !Supported(d.Name()) || isSidecar(d.Name()) {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// Linked files load; linked folders do not, which keeps
				// the walk free of cycles.
				if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			return walkFile(ctx, path, false, seen, yield)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// walkFile loads one file, turning whole-file failures into records so
// that one bad file never stops a walk. Only errors from yield or ctx
// are returned.
func walkFile(ctx context.Context, path string, explicit bool, seen map[string]bool, yield func(string, Record) error) error {
	abs := absPath(path)
	if seen[abs] {
		return nil
	}
	seen[abs] = true
	var yerr error
	err := func() error {
		if explicit && isSidecar(filepath.Base(path)) {
			return invalid("%s is sidecar metadata, not a document: load the file it describes", path)
		}
		return LoadFile(ctx, path, func(r Record) error {
			yerr = yield(path, r)
			return yerr
		})
	}()
	switch {
	case yerr != nil:
		return yerr
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return yield(path, Record{Doc: index.Document{Origin: abs}, Err: err})
	}
	return nil
}

// LoadFile loads one file like Load, with the absolute cleaned path as the
// documents' origin, and applies sidecar metadata (path.meta.yaml,
// path.meta.yml or path.meta.json) when there is one: its fields fill in
// or override what the file says. A missing, unreadable or non-regular
// file, or a bad sidecar, is an error of kind index.Invalid.
func LoadFile(ctx context.Context, path string, yield func(Record) error) error {
	abs := absPath(path)
	f, err := os.Open(path)
	if err != nil {
		return unreadable(path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return unreadable(path, err)
	}
	if !info.Mode().IsRegular() {
		// Folders belong to Walk; devices and pipes could be endless.
		return invalid("%s is not a regular file", path)
	}
	over, err := readSidecar(abs)
	if err != nil {
		return err
	}
	return load(ctx, path, abs, f, "", over, yield)
}

// readSidecar returns the metadata next to the file at abs, or nil.
func readSidecar(abs string) (*index.Document, error) {
	for _, suffix := range sidecarSuffixes {
		p := abs + suffix
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, unreadable(p, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, maxSidecar+1))
		f.Close()
		if err != nil {
			return nil, unreadable(p, err)
		}
		if len(data) > maxSidecar {
			return nil, index.Errorf(index.TooLarge, "too_large", "sidecar %s is larger than %d KiB", p, maxSidecar>>10)
		}
		var d index.Document
		if suffix == ".meta.json" {
			if err = json.Unmarshal(data, &d); err != nil {
				err = jsonErr(err)
			}
		} else {
			d, err = metaDoc([]byte(cleanText(string(data))), "sidecar metadata")
		}
		if err != nil {
			return nil, fmt.Errorf("sidecar %s: %w", p, err)
		}
		return &d, nil
	}
	return nil, nil
}

// isSidecar reports whether name is metadata for another file: the name
// of a supported file plus a sidecar suffix. "data.meta.json" alone is an
// ordinary JSON file.
func isSidecar(name string) bool {
	lower := strings.ToLower(name)
	for _, s := range sidecarSuffixes {
		if strings.HasSuffix(lower, s) && Supported(name[:len(name)-len(s)]) {
			return true
		}
	}
	return false
}

// skipName reports files a folder walk must not load: hidden files and
// folders (.git, .DS_Store) and the temp files of editors and downloads,
// which are half-written copies of real documents.
func skipName(name string, dir bool) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	if dir {
		return false
	}
	lower := strings.ToLower(name)
	for _, s := range []string{"~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload"} {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return strings.HasPrefix(name, "~$") || len(name) > 1 && strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#")
}

// absPath is the origin of a file: absolute and cleaned, so the same file
// reached by different relative paths is the same document.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

func unreadable(path string, err error) *index.Error {
	msg := fmt.Sprintf("cannot read %s", path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = fmt.Sprintf("%s does not exist", path)
	case errors.Is(err, fs.ErrPermission):
		msg = fmt.Sprintf("%s is not readable (permission denied)", path)
	}
	return &index.Error{Kind: index.Invalid, Code: "unreadable", Message: msg, Err: err}
}
