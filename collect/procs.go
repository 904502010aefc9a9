package collect

import (
	"context"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Processes collects the process table: one record per process with its
// identity, owner, command line, executable (and its SHA-256), working
// directory, environment, open files, namespaces, threads and memory. On
// Linux it reads /proc itself and also probes the pid range for processes
// that the /proc listing hides (see [HiddenPIDs]); elsewhere it asks the OS
// through gopsutil.
//
// Artifacts:
//
//	volatile/processes/processes.json   a [ProcessTable]
//	volatile/findings/hidden_pids.json  a [HiddenPIDs] finding (Linux; always written)
//	volatile/raw/proc/stat              raw, for the boot time (Linux)
//
// The zero value collects everything with default caps.
type Processes struct {
	// NoEnviron skips process environments (they may hold secrets).
	NoEnviron bool
	// NoExeHash skips hashing executables.
	NoExeHash bool
	// MaxExeBytes caps the bytes hashed per executable (0: DefaultMaxExeBytes).
	MaxExeBytes int64
	// MaxFDs caps the open files listed per process (0: DefaultMaxFDs).
	MaxFDs int
	// ProbeMax bounds the pid probe by stat (0: DefaultProbeMax, and never
	// beyond the kernel's pid_max).
	ProbeMax int
	// Timeout bounds the reads of one process (0: DefaultProcessTimeout).
	Timeout time.Duration
	// Workers is how many processes are read at once (0: DefaultWorkers).
	Workers int

	// list lists pids (tests hide one); nil reads the /proc directory.
	list func(env *Env) ([]int, error)
	// openExe opens a process's executable (tests point it at a fixture
	// file); nil follows /proc/PID/exe on a live root.
	openExe func(env *Env, pid int) (exeFile, error)
}

// Defaults of [Processes].
const (
	DefaultMaxExeBytes    = 64 << 20
	DefaultMaxFDs         = 1 << 16
	DefaultProbeMax       = 1 << 18
	DefaultProcessTimeout = 3 * time.Second
	DefaultWorkers        = 8
)

// Name implements [Collector].
func (*Processes) Name() string { return "processes" }

func (p *Processes) maxExeBytes() int64 {
	if p.MaxExeBytes > 0 {
		return p.MaxExeBytes
	}
	return DefaultMaxExeBytes
}

func (p *Processes) maxFDs() int {
	if p.MaxFDs > 0 {
		return p.MaxFDs
	}
	return DefaultMaxFDs
}

func (p *Processes) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultProcessTimeout
}

func (p *Processes) workers() int {
	if p.Workers > 0 {
		return p.Workers
	}
	return DefaultWorkers
}

func envNow(env *Env) time.Time {
	if env.Now != nil {
		return env.Now().UTC()
	}
	return time.Now().UTC()
}

func isLiveRoot(env *Env) bool { return env.Root == "" || env.Root == "/" }

func bs(s string) manifest.BString { return manifest.BString(s) }

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

// exeFile is an opened executable: *os.File in production.
type exeFile interface {
	io.Reader
	Close() error
	Stat() (fs.FileInfo, error)
}

func ptr[T any](v T) *T { return &v }
