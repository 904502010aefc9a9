package collect

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
)

// Limits of the dpkg parsers: the host's owner writes these files.
const (
	// dpkgMaxLine bounds one line of a status or md5sums file.
	dpkgMaxLine = 1 << 20
	// dpkgMaxErrors bounds the parse errors kept.
	dpkgMaxErrors = 100
)

// ParseDpkgStatus parses /var/lib/dpkg/status: stanzas of "Field: value"
// lines separated by blank lines, continuation lines starting with a space
// or tab. It keeps the fields the inventory records; a stanza without a
// Package field, or a line that is neither a field nor a continuation, is
// reported in errs and skipped (the rest is still read).
func ParseDpkgStatus(b []byte) (pkgs []artifact.DpkgPackage, errs []string) {
	addErr := func(format string, a ...any) {
		if len(errs) < dpkgMaxErrors {
			errs = append(errs, fmt.Sprintf(format, a...))
		}
	}
	var cur artifact.DpkgPackage
	var field string // the field continuation lines belong to
	have, start := false, 0
	flush := func() {
		if have {
			if cur.Name == "" {
				addErr("line %d: stanza without a Package field: skipped", start)
			} else {
				pkgs = append(pkgs, cur)
			}
		}
		cur, field, have = artifact.DpkgPackage{}, "", false
	}
	n := 0
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		n++
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if !have {
			have, start = true, n
		}
		if line[0] == ' ' || line[0] == '\t' {
			if field == "conffiles" {
				if c, ok := parseConffile(string(line)); ok {
					cur.Conffiles = append(cur.Conffiles, c)
				} else {
					addErr("line %d: package %q: conffile line %q does not parse", n, cur.Name, clip(string(line), 80))
				}
			}
			continue
		}
		k, v, ok := strings.Cut(string(line), ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			addErr("line %d: %q is neither a field nor a continuation", n, clip(string(line), 80))
			field = ""
			continue
		}
		v = strings.TrimSpace(v)
		field = strings.ToLower(k)
		switch field {
		case "package":
			cur.Name = v
		case "version":
			cur.Version = v
		case "architecture":
			cur.Architecture = v
		case "status":
			cur.Status = v
		case "source":
			cur.Source = v
		case "multi-arch":
			cur.MultiArch = v
		case "maintainer":
			cur.Maintainer = v
		case "installed-size":
			if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
				cur.InstalledSize = s
			}
		case "conffiles":
			if v != "" { // not the usual form, but a conffile all the same
				if c, ok := parseConffile(v); ok {
					cur.Conffiles = append(cur.Conffiles, c)
				}
			}
		}
	}
	flush()
	return pkgs, errs
}

// parseConffile parses " /etc/foo.conf 0123...abcd [obsolete|remove-on-upgrade]".
// The path may hold spaces: the MD5 is the last field but for the flags.
func parseConffile(s string) (artifact.DpkgConffile, bool) {
	f := strings.Fields(s)
	var c artifact.DpkgConffile
	for len(f) > 2 && (f[len(f)-1] == "obsolete" || f[len(f)-1] == "remove-on-upgrade") {
		if f[len(f)-1] == "obsolete" {
			c.Obsolete = true
		}
		f = f[:len(f)-1]
	}
	if len(f) < 2 || !strings.HasPrefix(f[0], "/") {
		return c, false
	}
	md5 := f[len(f)-1]
	// "newconffile" marks a conffile not yet installed.
	if md5 != "newconffile" && !isHex(md5, 32) {
		return c, false
	}
	t := strings.TrimSpace(s)
	c.Path = strings.TrimSpace(t[:strings.LastIndex(t, md5)])
	c.MD5 = md5
	return c, true
}

// md5sumsEntry is one line of a package's md5sums file.
type md5sumsEntry struct {
	MD5  string
	Path string // host path, with a leading "/"
}

// parseMD5Sums reads a /var/lib/dpkg/info/PKG.md5sums file: lines of
// "<32 hex digits>  <path relative to />", as md5sum(1) writes them. fn is
// called for every good line in order; a bad line goes to bad (with its
// number) and is skipped. Reading stops when fn returns false.
func parseMD5Sums(b []byte, fn func(md5sumsEntry) bool, bad func(line int, text string)) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), dpkgMaxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if len(line) < 35 || !isHex(line[:32], 32) || line[32] != ' ' {
			bad(n, line)
			continue
		}
		p := line[33:]
		if len(p) > 0 && (p[0] == ' ' || p[0] == '*') {
			p = p[1:] // "  path" (text) or " *path" (binary mode)
		}
		if p == "" {
			bad(n, line)
			continue
		}
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		if !fn(md5sumsEntry{MD5: strings.ToLower(line[:32]), Path: p}) {
			return
		}
	}
	if err := sc.Err(); err != nil {
		bad(n+1, err.Error())
	}
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// clip shortens s for a message.
