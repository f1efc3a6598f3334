package index

import (
	"fmt"
	"runtime"
	"sync"
)

// parallel calls fn for each of 0..n-1 on up to GOMAXPROCS goroutines,
// giving each at least perWorker items, and returns the lowest index
// whose call failed with its error (-1, nil when none did): the same
// answer a loop gives. A panic in fn is that item's error, so that a bug
// fails the write rather than the process.
func parallel(n, perWorker int, fn func(i int) error) (int, error) {
	workers := min(runtime.GOMAXPROCS(0), (n+perWorker-1)/max(perWorker, 1))
	if workers <= 1 {
		for i := range n {
			if err := callGuarded(fn, i); err != nil {
				return i, err
			}
		}
		return -1, nil
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				errs[i] = callGuarded(fn, i)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return i, err
		}
	}
	return -1, nil
}

func callGuarded(fn func(int) error, i int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	return fn(i)
}
