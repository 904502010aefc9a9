package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ClockTicks is USER_HZ, the unit of times in /proc/PID/stat: 100 on every
// Linux architecture hozen builds for.
const ClockTicks = 100

// Stat is the part of /proc/PID/stat (proc(5)) that hozen keeps.
type Stat struct {
	PID     int
	Comm    string // without the parentheses; may hold spaces and ')'
	State   string // one letter: R, S, D, Z, T, t, X, I, ...
	PPID    int
	PGRP    int
	Session int
	TTY     int
	Flags   uint64
	// UTime and STime are in clock ticks.
	UTime      uint64
	STime      uint64
	Priority   int64
	Nice       int64
	NumThreads int64
	// StartTime is the start in clock ticks after boot.
	StartTime uint64
	VSize     uint64 // bytes
	RSS       int64  // pages
}

// ErrMalformed is returned for a file whose layout is not the kernel's.
var ErrMalformed = errors.New("malformed")

// ParseStat parses /proc/PID/stat. The command name sits between the first
// '(' and the last ')', since it may contain both.
func ParseStat(data []byte) (Stat, error) {
	var s Stat
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return s, ErrMalformed
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil {
		return s, ErrMalformed
	}
	s.PID = pid
	s.Comm = string(data[open+1 : closing])
	f := bytes.Fields(data[closing+1:])
	// f[0] is field 3 (state) of proc(5).
	if len(f) < 22 {
		return s, ErrMalformed
	}
	s.State = string(f[0])
	ints := []*int{&s.PPID, &s.PGRP, &s.Session, &s.TTY}
	for i, p := range ints {
		v, err := strconv.Atoi(string(f[1+i]))
		if err != nil {
			return s, ErrMalformed
		}
		*p = v
	}
	var errs [9]error
	s.Flags, errs[0] = strconv.ParseUint(string(f[6]), 10, 64)
	s.UTime, errs[1] = strconv.ParseUint(string(f[11]), 10, 64)
	s.STime, errs[2] = strconv.ParseUint(string(f[12]), 10, 64)
	s.Priority, errs[3] = strconv.ParseInt(string(f[15]), 10, 64)
	s.Nice, errs[4] = strconv.ParseInt(string(f[16]), 10, 64)
	s.NumThreads, errs[5] = strconv.ParseInt(string(f[17]), 10, 64)
	s.StartTime, errs[6] = strconv.ParseUint(string(f[19]), 10, 64)
	s.VSize, errs[7] = strconv.ParseUint(string(f[20]), 10, 64)
	s.RSS, errs[8] = strconv.ParseInt(string(f[21]), 10, 64)
	for _, err := range errs {
		if err != nil {
			return s, ErrMalformed
		}
	}
	return s, nil
}

// Status is the part of /proc/PID/status that hozen keeps.
type Status struct {
	Name  string
	State string // "S (sleeping)"
	Tgid  int
	PID   int
	PPID  int
	// UID and GID are real, effective, saved and file-system ids.
	UID    [4]uint32
	GID    [4]uint32
	Groups []uint32
	// NSpid lists the pid in each pid namespace, outermost first.
	NSpid    []int
	Threads  int
	VmSizeKB uint64
	VmRSSKB  uint64
	VmSwapKB uint64
	// Kernel thread: no memory map (no VmSize line).
	HasVM  bool
	CapEff string
	// Seccomp mode (0 none, 1 strict, 2 filter); -1 when absent.
	Seccomp   int
	TracerPID int
	HasUID    bool
	HasGID    bool
}

// ParseStatus parses /proc/PID/status. Unknown lines are ignored; a known
// line with a bad value is an error.
func ParseStatus(data []byte) (Status, error) {
	s := Status{Seccomp: -1}
	var bad bool
	forLines(data, func(_ int, line []byte) {
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			return
		}
		v = bytes.TrimSpace(v)
		atoi := func() int {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				bad = true
			}
			return n
		}
		kb := func() uint64 {
			num, _, _ := bytes.Cut(v, []byte(" "))
			n, err := strconv.ParseUint(string(num), 10, 64)
			if err != nil {
				bad = true
			}
			return n
		}
		switch string(k) {
		case "Name":
			s.Name = unescapeName(v)
		case "State":
			s.State = string(v)
		case "Tgid":
			s.Tgid = atoi()
		case "Pid":
			s.PID = atoi()
		case "PPid":
			s.PPID = atoi()
		case "TracerPid":
			s.TracerPID = atoi()
		case "Uid", "Gid":
			f := bytes.Fields(v)
			if len(f) != 4 {
				bad = true
				return
			}
			dst := &s.UID
			if k[0] == 'G' {
				dst = &s.GID
				s.HasGID = true
			} else {
				s.HasUID = true
			}
			for i := range f {
				n, err := strconv.ParseUint(string(f[i]), 10, 32)
				if err != nil {
					bad = true
				}
				dst[i] = uint32(n)
			}
		case "Groups":
			for _, g := range bytes.Fields(v) {
				n, err := strconv.ParseUint(string(g), 10, 32)
				if err != nil {
					bad = true
				}
				s.Groups = append(s.Groups, uint32(n))
			}
		case "NSpid":
			for _, g := range bytes.Fields(v) {
				n, err := strconv.Atoi(string(g))
				if err != nil {
					bad = true
				}
				s.NSpid = append(s.NSpid, n)
			}
		case "Threads":
			s.Threads = atoi()
		case "VmSize":
			s.VmSizeKB, s.HasVM = kb(), true
		case "VmRSS":
			s.VmRSSKB = kb()
		case "VmSwap":
			s.VmSwapKB = kb()
		case "CapEff":
			s.CapEff = string(v)
		case "Seccomp":
			s.Seccomp = atoi()
		}
	})
	if bad {
		return s, ErrMalformed
	}
	if s.PID == 0 && s.Name == "" {
		return s, ErrMalformed
	}
	return s, nil
}

// unescapeName undoes the kernel's escaping of the Name line ("\n" and
// "\\"): the raw comm bytes are what /proc/PID/stat shows unescaped.
func unescapeName(v []byte) string {
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v)
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			switch v[i+1] {
			case 'n':
				out = append(out, '\n')
				i++
				continue
			case '\\':
				out = append(out, '\\')
				i++
				continue
			}
		}
		out = append(out, v[i])
	}
	return string(out)
}

// SplitNUL splits /proc/PID/cmdline or environ into its NUL-terminated
// strings, byte for byte. A final string without its NUL (a process that
// rewrote its argument area) is kept as it is.
func SplitNUL(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	data = bytes.TrimSuffix(data, []byte{0})
	parts := bytes.Split(data, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// BootTime returns the "btime" of /proc/stat (seconds since the epoch),
// in UTC.
func BootTime(data []byte) (time.Time, error) {
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			sec, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("btime %q: %v", v, err)
			}
			return time.Unix(sec, 0).UTC(), nil
		}
	}
	return time.Time{}, errors.New("no btime line")
}

// SocketInode returns the inode of an fd link target "socket:[12345]".
func SocketInode(target string) (uint64, bool) {
	v, ok := cutBracket(target, "socket:[")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

// NamespaceInode returns the inode of a namespace link "net:[4026531840]".
func NamespaceInode(target string) (uint64, bool) {
	i := bytes.IndexByte([]byte(target), ':')
	if i < 0 {
		return 0, false
	}
	v, ok := cutBracket(target[i+1:], "[")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

func cutBracket(s, prefix string) (string, bool) {
	if len(s) < len(prefix)+2 || s[:len(prefix)] != prefix || s[len(s)-1] != ']' {
		return "", false
	}
	return s[len(prefix) : len(s)-1], true
}
