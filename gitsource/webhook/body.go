package webhook

import (
	"errors"
	"io"
	"net/http"
)

// readBody reads at most limit bytes of the request body. A body declared or
// found to be longer fails with *http.MaxBytesError before it is read whole.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	if r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// tooLarge reports whether err is readBody's size refusal.
func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
