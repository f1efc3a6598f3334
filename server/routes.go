package server

import (
	"github.com/gin-gonic/gin"

	"policysearch/web"
)

// routes is the whole HTTP surface of policysearch on one screen.
func routes(r *gin.Engine, d *Deps) error {
	r.Use(requestID(), logRequests(d.Log), recoverJSON(d.Log), securityHeaders(), checkHost(d))
	r.Use(countRequests(d.Metrics), allowCORS(d), limitRate(d), authorize(d))

	r.GET("/healthz", handleHealth())
	r.GET("/readyz", handleReady(d))
	r.GET("/metrics", gin.WrapH(d.Metrics.Handler()))

	api := r.Group("/api")
	api.GET("/openapi.json", handleOpenAPI())
	api.GET("/search", handleSearch(d))
	api.GET("/stats", handleStats(d))
	api.GET("/documents/:id", handleGetDocument(d))
	api.POST("/documents", handlePostDocuments(d))
	api.PUT("/documents/:id", handlePutDocument(d))
	api.DELETE("/documents/:id", handleDeleteDocument(d))
	api.GET("/documents/:id/similar", handleSimilar(d))
	api.POST("/embeddings/retry", handleRetryEmbeddings(d))
	api.POST("/admin/rebuild", handleRebuild(d))
	api.GET("/feeds", handleListFeeds(d))
	api.POST("/feeds", handleCreateFeed(d))
	api.DELETE("/feeds/:id", handleDeleteFeed(d))
	api.GET("/export", handleExport(d))
	api.POST("/snapshots", handleCreateSnapshot(d))
	api.GET("/snapshots/:id", handleGetSnapshot(d))
	api.GET("/alerts", handleListAlerts(d))
	api.POST("/alerts", handleCreateAlert(d))
	api.GET("/alerts/:id", handleGetAlert(d))
	api.DELETE("/alerts/:id", handleDeleteAlert(d))

	pages, err := web.New(d.Version)
	if err != nil {
		return err
	}
	r.GET("/", handlePage(d, pages))
	r.GET("/doc/:id", handleDocPage(d, pages))
	r.GET("/static/*path", gin.WrapH(pages.Static()))
	r.POST("/s", handleSnapshotForm(d, pages))
	r.GET("/s/:id", handleSnapshotPage(d, pages))
	r.GET("/alerts", handleAlertsPage(d, pages))
	r.POST("/alerts", handleAlertForm(d, pages))
	r.POST("/alerts/:id/delete", handleAlertDeleteForm(d, pages))
	r.GET("/alerts/:feed", handleAlertFeed(d))

	r.NoRoute(handleNoRoute(d, pages))
	r.NoMethod(func(c *gin.Context) {
		writeError(c, d.Log, &apiError{status: 405, code: "method_not_allowed", msg: c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})
	return nil
}
