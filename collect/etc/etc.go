// Package etc parses the host's configuration files under /etc that the
// collectors read: the account files /etc/passwd and /etc/group (passwd(5),
// group(5)) and os-release(5). It is the one parser of each: the users
// collector's accounts, the processes collector's uid and gid names, the
// lastlog's names and the examiner's name on the command line all come
// from [ParsePasswd] and [ParseGroup].
//
// Like collect/procfs, every parser is pure: it takes the bytes a caller
// read and returns values, never touching the disk, and never panics on
// malformed input. A line it cannot make sense of is skipped and reported
// as a "line N: ..." string, which the collectors store as they are.
package etc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// ParsePasswd parses /etc/passwd. Lines that do not parse are reported by
// line number and skipped; NIS "+"/"-" lines are kept as names.
func ParsePasswd(b []byte) ([]artifact.Account, []string) {
	out := []artifact.Account{}
	var errs []string
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.Split(line, []byte(":"))
		if len(f) < 7 {
			errs = append(errs, fmt.Sprintf("line %d: %d fields, want 7", i+1, len(f)))
			continue
		}
		uid, err1 := strconv.ParseInt(string(f[2]), 10, 64)
		gid, err2 := strconv.ParseInt(string(f[3]), 10, 64)
		if err1 != nil || err2 != nil {
			errs = append(errs, fmt.Sprintf("line %d: uid %q or gid %q is not a number", i+1, f[2], f[3]))
			uid, gid = -1, -1
		}
		out = append(out, artifact.Account{
			Name: manifest.BString(f[0]), UID: uid, GID: gid,
			GECOS: manifest.BString(f[4]), Home: manifest.BString(f[5]),
			Shell: manifest.BString(bytes.Join(f[6:], []byte(":"))), Line: i + 1,
		})
	}
	return out, errs
}

// ParseGroup parses /etc/group.
func ParseGroup(b []byte) ([]artifact.Group, []string) {
	out := []artifact.Group{}
	var errs []string
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.Split(line, []byte(":"))
		if len(f) != 4 {
			errs = append(errs, fmt.Sprintf("line %d: %d fields, want 4", i+1, len(f)))
			continue
		}
		gid, err := strconv.ParseInt(string(f[2]), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: gid %q is not a number", i+1, f[2]))
			gid = -1
		}
		g := artifact.Group{Name: manifest.BString(f[0]), GID: gid, Members: []manifest.BString{}, Line: i + 1}
		for m := range bytes.SplitSeq(f[3], []byte(",")) {
			if len(m) > 0 {
				g.Members = append(g.Members, manifest.BString(m))
			}
		}
		out = append(out, g)
	}
	return out, errs
}

// UserNames maps each uid to its account's name. The first account of a
// uid wins, as getpwuid(3) would answer; uids outside 0..2^32-1 (and the
// -1 of a line whose ids did not parse) are left out.
func UserNames(accounts []artifact.Account) map[uint32]string {
	m := make(map[uint32]string)
	for _, u := range accounts {
		if u.UID >= 0 && u.UID <= 1<<32-1 {
			if _, dup := m[uint32(u.UID)]; !dup {
				m[uint32(u.UID)] = string(u.Name)
			}
		}
	}
	return m
}

// GroupNames maps each gid to its group's name, the first group of a gid
// winning, as getgrgid(3) would answer.
func GroupNames(groups []artifact.Group) map[uint32]string {
	m := make(map[uint32]string)
	for _, g := range groups {
		if g.GID >= 0 && g.GID <= 1<<32-1 {
			if _, dup := m[uint32(g.GID)]; !dup {
				m[uint32(g.GID)] = string(g.Name)
			}
		}
	}
	return m
}

// UserName is the name of the first account of uid in passwd (the bytes
// of a file in passwd(5) format) that has a name; "" when there is none,
// and for a uid outside 0..2^32-1 (a line whose ids did not parse is
// parsed as uid -1, which names no one).
func UserName(passwd []byte, uid int64) string {
	if uid < 0 || uid > 1<<32-1 {
		return ""
	}
	us, _ := ParsePasswd(passwd)
	for _, u := range us {
		if u.UID == uid && u.Name != "" {
			return string(u.Name)
		}
	}
	return ""
}

// ParseOSRelease parses os-release(5): KEY=value lines, values optionally
// quoted with shell quoting.
func ParseOSRelease(s string) map[string]string {
	m := map[string]string{}
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || k == "" {
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			q := v[0]
			v = v[1 : len(v)-1]
			if q == '"' {
				var b strings.Builder
				for i := 0; i < len(v); i++ {
					if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
						i++
					}
					b.WriteByte(v[i])
				}
				v = b.String()
			}
		}
		m[k] = v
	}
	return m
}
