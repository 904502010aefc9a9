package procfs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// ParseModules parses /proc/modules:
//
//	name size refcount used_by state address [(taint)]
//
// with used_by "-" or a comma-terminated list. Lines that do not parse are
// reported by number.
func ParseModules(b []byte) ([]artifact.Module, []string) {
	out := []artifact.Module{}
	var errs []string
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 6 {
			errs = append(errs, fmt.Sprintf("line %d: %d fields, want 6 or more", i+1, len(f)))
			continue
		}
		m := artifact.Module{Name: f[0], State: f[4], Address: f[5], UsedBy: []string{}}
		var err error
		if m.Size, err = strconv.ParseInt(f[1], 10, 64); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: size %q", i+1, f[1]))
		}
		if f[2] == "-" {
			m.RefCount = -1
		} else if m.RefCount, err = strconv.ParseInt(f[2], 10, 64); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: refcount %q", i+1, f[2]))
		}
		if f[3] != "-" {
			for u := range strings.SplitSeq(f[3], ",") {
				if u != "" {
					m.UsedBy = append(m.UsedBy, u)
				}
			}
		}
		if len(f) > 6 {
			m.Taint = strings.Trim(strings.Join(f[6:], ""), "()")
		}
		out = append(out, m)
	}
	return out, errs
}

// ParseMountinfo parses /proc/PID/mountinfo (proc(5)).
func ParseMountinfo(b []byte) ([]artifact.Mount, []string) {
	out := []artifact.Mount{}
	var errs []string
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		sep := slices.Index(f, "-")
		if sep < 6 || len(f) < sep+3 {
			errs = append(errs, fmt.Sprintf("line %d: not a mountinfo line", i+1))
			continue
		}
		m := artifact.Mount{
			Device:       f[2],
			Root:         manifest.BString(unescapeOctal(f[3])),
			MountPoint:   manifest.BString(unescapeOctal(f[4])),
			Options:      f[5],
			Optional:     slices.Clone(f[6:sep]),
			FSType:       unescapeOctal(f[sep+1]),
			Source:       manifest.BString(unescapeOctal(f[sep+2])),
			SuperOptions: strings.Join(f[sep+3:], " "),
		}
		var err1, err2 error
		m.ID, err1 = strconv.ParseInt(f[0], 10, 64)
		m.ParentID, err2 = strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			errs = append(errs, fmt.Sprintf("line %d: mount ids %q %q", i+1, f[0], f[1]))
		}
		out = append(out, m)
	}
	return out, errs
}

// unescapeOctal decodes the kernel's \ooo escapes (space, tab, newline,
// backslash in mount paths).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
