// Package seeds embeds the starter documents, so a fresh binary can index
// something searchable on first start with no files beside it.
package seeds

import "embed"

// FS holds the seed documents: Markdown with YAML front matter.
//
//go:embed *.md
var FS embed.FS
