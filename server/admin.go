package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// rebuildResponse answers POST /api/admin/rebuild.
type rebuildResponse struct {
	Documents int     `json:"documents"`
	TookMS    float64 `json:"took_ms"`
}

// handleRebuild rebuilds the index from the stored documents while
// searches and writes go on, then swaps it in; it answers when done.
// ?force=true lets it empty the index from an empty store.
func handleRebuild(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		rebuild := d.Index.Rebuild
		if c.Query("force") == "true" {
			rebuild = d.Index.ForceRebuild
		}
		n, err := rebuild(c)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		d.Log.Info("index rebuilt", "documents", n, "took", time.Since(start).Round(time.Millisecond))
		c.JSON(http.StatusOK, rebuildResponse{Documents: n, TookMS: float64(time.Since(start).Microseconds()) / 1000})
	}
}
