package index

import "fmt"

// concurrently runs fn on its own goroutine and returns a function that
// waits for its answer; calling it again returns the same answer. A
// panic in fn is its error, as a panic on the request's goroutine would
// be the server's 500 and not the end of the process.
func concurrently[T any](fn func() (T, error)) func() (T, error) {
	var v T
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("search: panic: %v", p)
			}
		}()
		v, err = fn()
	}()
	return func() (T, error) {
		<-done
		return v, err
	}
}
