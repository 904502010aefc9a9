package collect

import (
	"fmt"
	"path"
	"strings"
)

// Glob is a host path pattern: "/"-separated segments where `*`, `?` and
// `[...]` match within one segment (as path.Match) and a `**` segment matches
// any number of segments, none included. Patterns are absolute.
type Glob struct {
	pattern string
	segs    []string
}

// ParseGlob checks and compiles a pattern.
func ParseGlob(pattern string) (Glob, error) {
	p := strings.ReplaceAll(pattern, `\`, "/")
	if !strings.HasPrefix(p, "/") {
		return Glob{}, fmt.Errorf("glob %q: not absolute (start it with /)", pattern)
	}
	var segs []string
	for s := range strings.SplitSeq(p, "/") {
		if s == "" || s == "." {
			continue
		}
		if s == ".." {
			return Glob{}, fmt.Errorf("glob %q: '..' is not allowed", pattern)
		}
		if s != "**" {
			if strings.Contains(s, "**") {
				return Glob{}, fmt.Errorf("glob %q: '**' must be a whole path segment", pattern)
			}
			if _, err := path.Match(s, ""); err != nil {
				return Glob{}, fmt.Errorf("glob %q: bad segment %q: %v", pattern, s, err)
			}
		}
		segs = append(segs, s)
	}
	return Glob{pattern: pattern, segs: segs}, nil
}

func (g Glob) String() string { return g.pattern }

// Base is the longest leading run of literal segments: the directory (or
// file) a walk for this pattern starts at.
func (g Glob) Base() string {
	var lit []string
	for _, s := range g.segs {
		if s == "**" || hasMeta(s) {
			break
		}
		lit = append(lit, s)
	}
	return "/" + strings.Join(lit, "/")
}

// Match reports whether the absolute host path p matches the whole pattern.
func (g Glob) Match(p string) bool {
	return matchSegs(g.segs, splitPath(p), false)
}

// MayMatchBelow reports whether some path below directory p could match,
// so a walk can skip directories that cannot lead to a match.
func (g Glob) MayMatchBelow(dir string) bool {
	return matchSegs(g.segs, splitPath(dir), true)
}

func splitPath(p string) []string {
	out := make([]string, 0, strings.Count(p, "/")+1) // one allocation a path
	for s := range strings.SplitSeq(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// matchSegs matches name segments against pattern segments. With prefix,
// it reports whether name could be the start of a match.
func matchSegs(pat, name []string, prefix bool) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// Collapse runs of **.
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			if prefix {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if matchSegs(pat[1:], name[i:], false) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return prefix
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return !prefix && len(name) == 0
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }
