package collect

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/procfs"
)

// signalProbeLimit bounds the kill(pid, 0) sweep: PID_MAX_LIMIT on 64-bit
// kernels.
const signalProbeLimit = 1 << 22

// bitset is a set of pids.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, n/64+1) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return i >= 0 && i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

// probeHidden looks for processes that the /proc listing does not show:
// it stats /proc/PID for every pid up to a bound, and on a live root also
// asks the kernel with kill(pid, 0) (signal 0 checks existence and sends
// nothing) up to pid_max. Ids that answer but are not listed are threads of
// listed processes (found in their task lists), processes started during
// the probe (found by a second listing), or hidden. It returns the finding
// and the hidden thread-group leaders, for the caller to read in full.
func probeHidden(ctx context.Context, env *Env, listed []int, list func(*Env) ([]int, error), probeMax int) (artifact.HiddenPIDs, []int) {
	start := time.Now()
	h := artifact.HiddenPIDs{Listed: len(listed), Hidden: []artifact.HiddenPID{}}
	res := ReadPseudo(ctx, env.Path("/proc/sys/kernel/pid_max"), 64)
	pidMax, err := strconv.Atoi(strings.TrimSpace(string(res.Data)))
	if res.Err != nil || err != nil || pidMax <= 0 {
		h.Errors = append(h.Errors, fmt.Sprintf("/proc/sys/kernel/pid_max unreadable (%v %v): assuming 32768", res.Err, err))
		pidMax = 32768
	}
	h.PIDMax = pidMax
	if probeMax <= 0 {
		probeMax = DefaultProbeMax
	}
	h.StatProbedTo = min(pidMax, probeMax)
	probeTop := h.StatProbedTo
	live := isLiveRoot(env)
	if live {
		h.SignalProbedTo = min(pidMax, signalProbeLimit)
		probeTop = max(probeTop, h.SignalProbedTo)
	}
	for _, pid := range listed {
		probeTop = max(probeTop, pid)
	}
	isListed := newBitset(probeTop)
	for _, pid := range listed {
		isListed.set(pid)
	}

	// Sweep in parallel chunks; each worker keeps its own finds.
	statSeen, sigSeen := newBitset(probeTop), newBitset(probeTop)
	h.Method = append(h.Method, fmt.Sprintf("stat %s/PID for PID 1..%d", env.Path("/proc"), h.StatProbedTo))
	if live {
		h.Method = append(h.Method, fmt.Sprintf("kill(PID, 0) for PID 1..%d", h.SignalProbedTo))
	}
	h.Method = append(h.Method, "task lists /proc/PID/task of listed processes", "second listing of /proc for processes started during the probe")
	prefix := env.Path("/proc") + "/"
	var mu sync.Mutex
	sweep(ctx, h.StatProbedTo, func(lo, hi int) {
		var found []int
		var st unix.Stat_t
		buf := []byte(prefix)
		for pid := lo; pid < hi; pid++ {
			p := strconv.AppendInt(buf, int64(pid), 10)
			if unix.Stat(string(p), &st) == nil && !isListed.has(pid) {
				found = append(found, pid)
			}
		}
		mu.Lock()
		for _, pid := range found {
			statSeen.set(pid)
		}
		mu.Unlock()
	})
	if live {
		sweep(ctx, h.SignalProbedTo, func(lo, hi int) {
			var found []int
			for pid := lo; pid < hi; pid++ {
				if err := unix.Kill(pid, 0); err != unix.ESRCH && !isListed.has(pid) {
					found = append(found, pid)
				}
			}
			mu.Lock()
			for _, pid := range found {
				sigSeen.set(pid)
			}
			mu.Unlock()
		})
	}
	if ctx.Err() != nil {
		h.Errors = append(h.Errors, "probe cut short: "+ctx.Err().Error())
	}

	var cands []int
	for pid := 1; pid <= probeTop; pid++ {
		if statSeen.has(pid) || sigSeen.has(pid) {
			cands = append(cands, pid)
		}
	}
	var extra []int
	if len(cands) > 0 {
		// Threads of listed processes are in their task lists.
		tasks := newBitset(probeTop)
		for _, pid := range listed {
			tids, _ := listNumeric(procDir(env, pid) + "/task")
			for _, t := range tids {
				if t <= probeTop {
					tasks.set(t)
				}
			}
		}
		relisted, _ := list(env)
		again := newBitset(probeTop)
		for _, pid := range relisted {
			if pid <= probeTop {
				again.set(pid)
			}
		}
		for _, c := range cands {
			switch {
			case tasks.has(c):
				h.Threads++
				continue
			case again.has(c):
				h.Appeared = append(h.Appeared, c)
				continue
			}
			hp := artifact.HiddenPID{PID: c, Tgid: c, Kind: "process"}
			if statSeen.has(c) {
				hp.SeenBy = append(hp.SeenBy, "stat")
			}
			if sigSeen.has(c) {
				hp.SeenBy = append(hp.SeenBy, "signal")
			}
			_, err := os.Lstat(procDir(env, c))
			hp.ProcEntry = err == nil
			sres := ReadPseudo(ctx, procDir(env, c)+"/status", 64<<10)
			if sres.Err != nil {
				if isGone(sres.Err) {
					// Exited since the probe, or a pid /proc does not serve.
					if !sigSeen.has(c) || unix.Kill(c, 0) == unix.ESRCH {
						continue
					}
					hp.Note = "kill(PID, 0) answers but /proc/PID has no status"
				} else {
					hp.Note = "status: " + sres.Err.Error()
				}
				h.Hidden = append(h.Hidden, hp)
				continue
			}
			st, err := procfs.ParseStatus(sres.Data)
			if err != nil {
				hp.Note = "status: " + err.Error()
				h.Hidden = append(h.Hidden, hp)
				continue
			}
			hp.Name = bs(st.Name)
			if st.Tgid != 0 && st.Tgid != c {
				// Threads come and go while the probe runs: look at the
				// task list again now, before calling one hidden.
				if tids, _ := listNumeric(procDir(env, st.Tgid) + "/task"); slices.Contains(tids, c) {
					h.Threads++
					continue
				}
				if !isListed.has(st.Tgid) && again.has(st.Tgid) {
					h.Appeared = append(h.Appeared, c) // of a process started during the probe
					continue
				}
				hp.Tgid, hp.Kind = st.Tgid, "thread"
				if isListed.has(st.Tgid) || again.has(st.Tgid) {
					hp.Note = fmt.Sprintf("thread of process %d but missing from its task list", st.Tgid)
				} else {
					hp.Note = fmt.Sprintf("thread of process %d, which is not listed either", st.Tgid)
				}
			} else {
				extra = append(extra, c)
			}
			h.Hidden = append(h.Hidden, hp)
		}
	}
	h.Duration = time.Since(start).String()
	return h, extra
}

// sweep calls fn over [1, n] split into chunks, on GOMAXPROCS goroutines.
func sweep(ctx context.Context, n int, fn func(lo, hi int)) {
	const chunk = 4096
	workers := runtime.GOMAXPROCS(0)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for lo := range next {
				fn(lo, min(lo+chunk, n+1))
			}
		})
	}
	for lo := 1; lo <= n; lo += chunk {
		if ctx.Err() != nil {
			break
		}
		next <- lo
	}
	close(next)
	wg.Wait()
}
