package server

import (
	"net/http"

	"policysearch/index"
)

// writeStatus is the status of a write that succeeded with status ok: 202
// instead when a cluster's log has it but this node has not applied it
// within the wait bound (the results then carry the log sequence).
func writeStatus(ok int, res []index.PutResult) int {
	for _, r := range res {
		if r.Pending {
			return http.StatusAccepted
		}
	}
	return ok
}
