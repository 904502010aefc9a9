package acquire

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// minFreeSpace is the free space collect wants at its destination before it
// starts when no byte budget says more: room for the volatile state and a
// few logs.
const minFreeSpace = 64 << 20

// ErrNoSpace is wrapped by the error of a [Run] whose destination had
// too little room: before it started (the preflight), or when a write
// failed with ENOSPC or EDQUOT.
var ErrNoSpace = errors.New("no space left")

// checkFreeSpace fails when the file system holding dir has less than
// need bytes free for this user (need <= 0 means minFreeSpace). Where free
// space cannot be learnt it does not fail.
func checkFreeSpace(dir string, need int64) error {
	if need <= 0 {
		need = minFreeSpace
	}
	free, ok := freeSpace(dir)
	if !ok || free >= need {
		return nil
	}
	return fmt.Errorf("%w: %s has %s free, collect needs at least %s; free some space or choose another --out",
		ErrNoSpace, dir, humanBytes(free), humanBytes(need))
}

// diskFullError rewrites a write error of the bundle being written at
// partial: when it is ENOSPC (or EDQUOT), it names the destination, the
// bytes the .partial holds, and what to do, and ok is true; other errors
// come back as they are, with ok false.
func diskFullError(err error, partial string) (_ error, ok bool) {
	if !errors.Is(err, syscall.ENOSPC) && !isQuota(err) {
		return err, false
	}
	var written int64
	if fi, serr := os.Stat(partial); serr == nil {
		written = fi.Size()
	}
	return fmt.Errorf("%w on %s: %d bytes written; the bundle so far is %s (not sealed; 'hozen verify' checks what it holds)",
		ErrNoSpace, filepath.Dir(partial), written, partial), true
}

// humanBytes is n for people: B, KiB, MiB or GiB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
