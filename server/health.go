package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func handleHealth() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	}
}

// handleReady answers 200 only when the index can be read.
func handleReady(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := d.Index.Stats(c)
		if err != nil {
			d.Log.Warn("not ready", "err", err)
			c.JSON(http.StatusServiceUnavailable, errorBody{errorDetail{Code: "not_ready", Message: "the index is not open"}})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready", "documents": st.Documents})
	}
}

func handleStats(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := d.Index.Stats(c)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusOK, st)
	}
}
