package collect

import (
	"errors"
	"io/fs"
	"slices"
	"strconv"
)

// listProcPIDs lists the numeric entries of <root>/proc: the processes the
// kernel's getdents shows (thread-group leaders only).
func listProcPIDs(env *Env) ([]int, error) {
	return listNumeric(env.Path("/proc"))
}

// listNumeric returns the sorted numeric names in dir.
func listNumeric(dir string) ([]int, error) {
	f, err := openDirNoAtime(dir)
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
