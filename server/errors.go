package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"policysearch/index"
)

// apiError is an HTTP-level failure that is not a domain error: a bad
// route, a malformed body.
type apiError struct {
	status int
	code   string
	msg    string
	field  string
}

func (e *apiError) Error() string { return e.msg }

func errNotFound(msg string) error { return &apiError{status: 404, code: "not_found", msg: msg} }

func badRequest(code, field, msg string) error {
	return &apiError{status: 400, code: code, msg: msg, field: field}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Field    string `json:"field,omitempty"`
	Position int    `json:"position,omitempty"`
}

var kindStatus = map[index.Kind]int{
	index.Invalid:     http.StatusBadRequest,
	index.NotFound:    http.StatusNotFound,
	index.Conflict:    http.StatusConflict,
	index.Unavailable: http.StatusServiceUnavailable,
	index.TooLarge:    http.StatusRequestEntityTooLarge,
	index.NoSpace:     http.StatusInsufficientStorage,
}

// errorResponse maps any error to its status and the body users see.
// Internal errors are reduced to a generic message: their detail is for
// the log, never the client.
func errorResponse(err error) (int, errorBody) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, errorBody{errorDetail{Code: ae.code, Message: ae.msg, Field: ae.field}}
	}
	var ie *index.Error
	if errors.As(err, &ie) && ie.Kind != index.Internal {
		code := ie.Code
		if code == "" {
			code = "invalid_input"
		}
		return kindStatus[ie.Kind], errorBody{errorDetail{Code: code, Message: userMessage(ie), Field: ie.Field, Position: ie.Pos}}
	}
	if index.IsDiskFull(err) { // a store other than the index's (alerts, feeds, snapshots) ran out of disk
		return http.StatusInsufficientStorage, errorBody{errorDetail{Code: "insufficient_storage", Message: "the server's disk is full; nothing was stored, try again later"}}
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return http.StatusRequestEntityTooLarge, errorBody{errorDetail{Code: "body_too_large", Message: "the request body is larger than the limit"}}
	}
	return http.StatusInternalServerError, errorBody{errorDetail{Code: "internal", Message: "something went wrong on our side; it has been logged"}}
}

func userMessage(e *index.Error) string {
	if e.Field != "" && e.Pos == 0 {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// writeError is the one place errors become HTTP responses.
func writeError(c *gin.Context, log *slog.Logger, err error) {
	status, body := errorResponse(err)
	if status >= 500 {
		log.Error("request failed", "err", err, "path", c.Request.URL.Path, "request_id", c.GetString(ctxRequestID))
	}
	c.AbortWithStatusJSON(status, body)
}
