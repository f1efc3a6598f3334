package ingest

import "strings"

// Skipped reports whether a folder walk leaves the file or folder called
// name alone: hidden names (.git, .DS_Store) and the temp files of editors
// and downloads. Folder watchers use it to follow exactly what Walk loads.
func Skipped(name string, dir bool) bool { return skipName(name, dir) }

// SidecarOf reports whether name is sidecar metadata (brief.pdf.meta.yaml)
// and, if so, the name of the file it describes.
func SidecarOf(name string) (string, bool) {
	if !isSidecar(name) {
		return "", false
	}
	lower := strings.ToLower(name)
	for _, s := range sidecarSuffixes {
		if strings.HasSuffix(lower, s) {
			return name[:len(name)-len(s)], true
		}
	}
	return "", false
}

// FileType reports whether a media type names a single-document file
// format Load reads (PDF, HTML, Markdown, plain text), as an upload may
// send; JSON and NDJSON bodies are the API's own document formats.
func FileType(mediaType string) bool {
	ext, ok := contentTypes[strings.ToLower(mediaType)]
	return ok && !multiRecord[ext]
}
