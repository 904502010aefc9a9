package procfs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// MapRegion is one line of /proc/PID/maps: a mapped range of a process's
// address space.
type MapRegion struct {
	Start, End uint64
	// Perms is the kernel's four letters: r, w, x (or '-') and p (private)
	// or s (shared).
	Perms  string
	Offset uint64
	// Dev is the device as the kernel prints it, "major:minor" in hex.
	Dev   string
	Inode uint64
	// Path is the name as printed, without the " (deleted)" suffix: a file's
	// path, a pseudo name ("[heap]", "[stack]", "[vdso]", "[anon:NAME]"),
	// or empty for an anonymous mapping. The kernel prints a newline in a
	// name as "\012" and escapes nothing else, so Path is kept as printed.
	Path string
	// Deleted says the kernel appended " (deleted)": the mapped file was
	// unlinked (or a file is really named so; see the collector).
	Deleted bool
}

// Exec reports whether the region is executable.
func (r MapRegion) Exec() bool { return len(r.Perms) >= 3 && r.Perms[2] == 'x' }

// Write reports whether the region is writable.
func (r MapRegion) Write() bool { return len(r.Perms) >= 2 && r.Perms[1] == 'w' }

// Anonymous reports whether no file backs the region: no name, or a
// bracketed pseudo name ([heap], [stack], [vdso], [anon:NAME], ...).
func (r MapRegion) Anonymous() bool {
	return r.Path == "" || strings.HasPrefix(r.Path, "[")
}

// String formats the region as the kernel prints it (without its column
// padding).
func (r MapRegion) String() string {
	s := fmt.Sprintf("%08x-%08x %s %08x %s %d", r.Start, r.End, r.Perms, r.Offset, r.Dev, r.Inode)
	if r.Path != "" {
		s += " " + r.Path
	}
	if r.Deleted {
		s += " (deleted)"
	}
	return s
}

const deletedSuffix = " (deleted)"

// ParseMaps parses /proc/PID/maps. Lines that do not parse are skipped and
// returned as errors.
func ParseMaps(b []byte) ([]MapRegion, []LineError) {
	var out []MapRegion
	var errs []LineError
	n := 0
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		n++
		if len(line) == 0 {
			continue
		}
		r, msg := parseMapLine(string(line))
		if msg != "" {
			errs = append(errs, lineErr(n, line, msg))
			continue
		}
		out = append(out, r)
	}
	return out, errs
}

func parseMapLine(s string) (MapRegion, string) {
	var r MapRegion
	// Five space-separated fields, then padding and the name.
	var f [5]string
	rest := s
	for i := range f {
		rest = strings.TrimLeft(rest, " ")
		j := strings.IndexByte(rest, ' ')
		if j < 0 {
			if i < len(f)-1 {
				return r, "fewer than 5 fields"
			}
			j = len(rest)
		}
		f[i], rest = rest[:j], rest[j:]
	}
	start, end, ok := strings.Cut(f[0], "-")
	if !ok {
		return r, "address range without '-'"
	}
	var err error
	if r.Start, err = strconv.ParseUint(start, 16, 64); err != nil {
		return r, "bad start address"
	}
	if r.End, err = strconv.ParseUint(end, 16, 64); err != nil {
		return r, "bad end address"
	}
	if r.End < r.Start {
		return r, "end before start"
	}
	if len(f[1]) != 4 || !validPerms(f[1]) {
		return r, "bad permissions"
	}
	r.Perms = f[1]
	if r.Offset, err = strconv.ParseUint(f[2], 16, 64); err != nil {
		return r, "bad offset"
	}
	maj, min, ok := strings.Cut(f[3], ":")
	if !ok || !isHex(maj) || !isHex(min) {
		return r, "bad device"
	}
	r.Dev = f[3]
	if r.Inode, err = strconv.ParseUint(f[4], 10, 64); err != nil {
		return r, "bad inode"
	}
	name := strings.TrimLeft(rest, " ")
	r.Path, r.Deleted = strings.CutSuffix(name, deletedSuffix)
	return r, ""
}

func validPerms(p string) bool {
	return (p[0] == 'r' || p[0] == '-') && (p[1] == 'w' || p[1] == '-') &&
		(p[2] == 'x' || p[2] == '-') && (p[3] == 'p' || p[3] == 's')
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// EnvValue returns the value of the variable name in a NUL-separated
// environment (/proc/PID/environ), and whether it is set. The last
// assignment wins, as getenv(3) on a duplicated variable does not promise
// either; callers that care see every value with [EnvValues].
func EnvValue(environ []byte, name string) (string, bool) {
	vs := EnvValues(environ, name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// EnvValues returns every value assigned to name in a NUL-separated
// environment, in order.
func EnvValues(environ []byte, name string) []string {
	var out []string
	prefix := name + "="
	for _, e := range SplitNUL(environ) {
		if v, ok := strings.CutPrefix(e, prefix); ok {
			out = append(out, v)
		}
	}
	return out
}
