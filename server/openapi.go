package server

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI describes every route in routes.go. It is written by hand and
// kept true by TestOpenAPI, which validates real responses of every route
// against it and fails when a registered route is missing from it.
//
//go:embed openapi.json
var openAPI []byte

func handleOpenAPI() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "application/json", openAPI)
	}
}
