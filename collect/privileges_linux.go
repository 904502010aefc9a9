package collect

import (
	"os"

	"github.com/hozen-dfir/hozen/collect/procfs"
)

// effectiveCaps is CapEff of hozen's own /proc/self/status (the real
// /proc: this is hozen, not evidence).
func effectiveCaps() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	s, _ := procfs.ParseStatus(b)
	return s.CapEff
}
