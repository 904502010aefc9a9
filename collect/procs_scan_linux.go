package collect

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

// listProcPIDs lists the numeric entries of <root>/proc: the processes the
// kernel's getdents shows (thread-group leaders only).
func listProcPIDs(env *Env) ([]int, error) {
	return listNumeric(env.Path("/proc"))
}

// listNumeric returns the sorted numeric names in dir.
func listNumeric(dir string) ([]int, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if n == "" || n[0] < '0' || n[0] > '9' {
			continue
		}
		if pid, perr := strconv.Atoi(n); perr == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, err
}

// procDir is "<root>/proc/PID".
func procDir(env *Env, pid int) string {
	return env.Path("/proc/" + strconv.Itoa(pid))
}

// isGone reports whether err says a file or process no longer exists
// (ENOENT, or ESRCH from some /proc links).
func isGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, errESRCH)
}

// runBounded returns fn(ctx, i) for i in [0,n), run on up to workers
// goroutines. Each call gets a context bounded by timeout; a call that
// overruns it is abandoned (its goroutine ends when the kernel answers and
// its result is dropped) and onTimeout(i) stands in for it, so one stuck
// process cannot stall the rest.
func runBounded[T any](ctx context.Context, n, workers int, timeout time.Duration, fn func(ctx context.Context, i int) T, onTimeout func(i int) T) []T {
	out := make([]T, n)
	if n == 0 {
		return out
	}
	workers = max(1, min(workers, n))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				pctx, cancel := context.WithTimeout(ctx, timeout)
				res := make(chan T, 1)
				go func() { res <- fn(pctx, i) }()
				select {
				case v := <-res:
					out[i] = v
				case <-pctx.Done():
					out[i] = onTimeout(i)
				}
				cancel()
			}
		})
	}
	sent := 0
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
		sent++
	}
	close(next)
	wg.Wait()
	for i := sent; i < n; i++ {
		out[i] = onTimeout(i)
	}
	return out
}
