package collect

import (
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/collect/etc"
)

// The process's own reads of host files must not move their access times
// either. Go's time package loads the local zone lazily, on the first use
// of time.Local, from $TZ or /etc/localtime with a plain open (atime
// updated); os/user reads /etc/passwd the same way. This package's init
// loads the zone itself, with O_NOATIME, and sets time.Local before any
// collector runs; a program that imports collect and touches time.Local
// only after its init (hozen does: TestLocalZoneNoAtime checks) never
// makes Go read the file. The symlink /etc/localtime usually is still
// gets its own atime moved by being followed; no flag prevents that.
func init() {
	if loc := loadLocalNoAtime(); loc != nil {
		time.Local = loc
	}
}

// zoneSources are where Go looks for a zone named by $TZ.
var zoneSources = []string{"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo/"}

// loadLocalNoAtime is the local zone as Go would load it, read with
// O_NOATIME; nil where Go reads no file (TZ empty or UTC) or none is found
// (Go then falls back to UTC as well, without a file to touch).
func loadLocalNoAtime() *time.Location {
	tz, set := os.LookupEnv("TZ")
	tz = strings.TrimPrefix(tz, ":")
	var paths []string
	name := tz
	switch {
	case !set:
		paths, name = []string{"/etc/localtime"}, "Local"
	case tz == "" || tz == "UTC":
		return nil
	case tz[0] == '/':
		paths = []string{tz}
		if tz == "/etc/localtime" {
			name = "Local"
		}
	default:
		for _, s := range zoneSources {
			paths = append(paths, s+tz)
		}
	}
	for _, p := range paths {
		data, err := readFileNoAtime(p, 1<<20)
		if err != nil {
			continue
		}
		if loc, err := time.LoadLocationFromTZData(name, data); err == nil {
			return loc
		}
	}
	return nil
}

// readFileNoAtime reads up to max bytes of path (following links) without
// updating its access time where the kernel allows.
func readFileNoAtime(path string, max int64) ([]byte, error) {
	const flags = os.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK
	f, err := os.OpenFile(path, flags|unix.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = os.OpenFile(path, flags, 0)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.New(path + ": not a regular file")
	}
	return io.ReadAll(io.LimitReader(f, max))
}

// UserName is the login name of uid from passwd (a file in passwd(5)
// format, /etc/passwd on a host), read without updating its access time,
// as os/user would not; "" when not found.
func UserName(passwd string, uid int) string {
	data, err := readFileNoAtime(passwd, 16<<20)
	if err != nil {
		return ""
	}
	return etc.UserName(data, int64(uid))
}
