package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"policysearch/embedding"
	"policysearch/index"
	"policysearch/replica"
)

func handleHealth() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	}
}

// handleReady answers 200 only when the index can be read and, on a
// cluster node, the node is within its lag bound of the log.
func handleReady(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := d.Index.Stats(c)
		if err != nil {
			d.Log.Warn("not ready", "err", err)
			c.JSON(http.StatusServiceUnavailable, errorBody{errorDetail{Code: "not_ready", Message: "the index is not open"}})
			return
		}
		if d.Cluster != nil {
			if cs := d.Cluster.Status(); !cs.Ready {
				c.JSON(http.StatusServiceUnavailable, errorBody{errorDetail{Code: "not_ready", Message: "cluster node not ready: " + cs.Reason}})
				return
			}
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready", "documents": st.Documents})
	}
}

// statsResponse is the index's stats plus the semantic layer's summary.
type statsResponse struct {
	index.Stats
	Embeddings *embedding.Summary `json:"embeddings,omitempty"`
	Cluster    *replica.Status    `json:"cluster,omitempty"`
}

func handleStats(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := d.Index.Stats(c)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		resp := statsResponse{Stats: st}
		if d.Embeddings != nil {
			sum := d.Embeddings.Summary()
			resp.Embeddings = &sum
		}
		if d.Cluster != nil {
			cs := d.Cluster.Status()
			resp.Cluster = &cs
		}
		c.JSON(http.StatusOK, resp)
	}
}

// handleRetryEmbeddings queues the documents whose embedding failed.
func handleRetryEmbeddings(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Embeddings == nil {
			writeError(c, d.Log, &apiError{status: http.StatusConflict, code: "embeddings_off", msg: "no embeddings endpoint is configured"})
			return
		}
		n, err := d.Embeddings.RetryFailed(c, d.Index)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"queued": n})
	}
}
