package collect

import (
	"bytes"
	"os"
)

// effectiveCaps is CapEff of hozen's own /proc/self/status (the real
// /proc: this is hozen, not evidence).
func effectiveCaps() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("CapEff:")); ok {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}
