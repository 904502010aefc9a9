package manifest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// This file reads OpenSSH allowed_signers files (ssh-keygen(1), "ALLOWED
// SIGNERS") and judges a signer the way `ssh-keygen -Y verify` does
// (OpenSSH sshsig.c): the line must list the signer's key, and, when a
// principal is asked for, that principal; its namespaces="..." must allow
// the signature's namespace; and the time of verification must lie within
// its valid-after/valid-before. A line that cannot be read is skipped with
// an error naming the file and line, as ssh-keygen skips it; the decision
// rests on the other lines.

// TrustPolicy is how the lines of an allowed_signers file are judged.
type TrustPolicy struct {
	// Principal, when set, is the identity the signer must be listed
	// under, as `ssh-keygen -Y verify -I PRINCIPAL` asks. Empty: any line
	// that lists the key and whose options allow it will do, as
	// `ssh-keygen -Y find-principals` finds lines (but the namespace is
	// still checked).
	Principal string
	// At is the time validity is judged at: now, or another time as with
	// `ssh-keygen -Overify-time=`. It must be set.
	At time.Time
	// Local is the time zone of valid-after/valid-before times written
	// without a Z or UTC suffix; nil means time.Local.
	Local *time.Location
}

// LineError is a line of an allowed_signers file that cannot be read.
// ssh-keygen logs such a line and goes on with the next; so does hozen.
type LineError struct {
	File   string
	Line   int
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// ErrNoAllowedSigners means an allowed_signers file has no line that can
// be used: it is empty, all comments, or every line is malformed.
var ErrNoAllowedSigners = errors.New("no usable allowed_signers line")

// ParseAllowedSigners reads the allowed_signers file named file (the name
// is for messages) and judges its lines by p. Lines that cannot be read
// come back as LineErrors and are left out of the Trust; an error is
// returned only when no line can be used.
func ParseAllowedSigners(file string, b []byte, p TrustPolicy) (Trust, []*LineError, error) {
	if p.At.IsZero() {
		return nil, nil, errors.New("allowed signers: no time to judge validity at")
	}
	loc := p.Local
	if loc == nil {
		loc = time.Local
	}
	var t Trust
	var bad []*LineError
	r := bufio.NewReader(bytes.NewReader(b))
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if line == "" && err != nil {
			break
		}
		tk, reason := parseAllowedLine(line, loc)
		switch {
		case reason != "":
			bad = append(bad, &LineError{File: file, Line: n, Reason: reason})
		case tk != nil:
			tk.Source = fmt.Sprintf("%s:%d", file, n)
			tk.refusal = tk.judge(p)
			if p.Principal != "" && tk.refusal == "" {
				// Trusted as the principal asked for, as ssh-keygen
				// reports "Good signature for PRINCIPAL".
				tk.Principals = []string{p.Principal}
			}
			t = append(t, *tk)
		}
	}
	if len(t) == 0 {
		if len(bad) > 0 {
			return nil, bad, fmt.Errorf("%s: %w: %d malformed line(s) skipped", file, ErrNoAllowedSigners, len(bad))
		}
		return nil, nil, fmt.Errorf("%s: %w: no key found", file, ErrNoAllowedSigners)
	}
	return t, bad, nil
}

// judge says why the line's key may not be trusted under p, apart from
// the namespace (which Lookup checks): "" when it may.
func (tk *TrustedKey) judge(p TrustPolicy) string {
	if p.Principal != "" && matchPatternList(p.Principal, strings.Join(tk.Principals, ",")) != 1 {
		return fmt.Sprintf("it lists principals %q, not %q", strings.Join(tk.Principals, ","), p.Principal)
	}
	if tk.CertAuthority {
		return "it is a cert-authority line; hozen checks the signer's own key, not certificates"
	}
	at := p.At.Unix()
	if !tk.ValidAfter.IsZero() && at < tk.ValidAfter.Unix() {
		return fmt.Sprintf("the key is not yet valid: verify time %s < valid-after %s", stamp(p.At), stamp(tk.ValidAfter))
	}
	if !tk.ValidBefore.IsZero() && at > tk.ValidBefore.Unix() {
		return fmt.Sprintf("the key has expired: verify time %s > valid-before %s", stamp(p.At), stamp(tk.ValidBefore))
	}
	return ""
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// parseAllowedLine reads one line (with its newline, as getline gives it):
// "principals [options] keytype base64 [comment]". It returns nil and no
// reason for a blank or comment line.
func parseAllowedLine(line string, loc *time.Location) (*TrustedKey, string) {
	cp := strings.TrimLeft(line, " \t\r\n")
	if cp == "" || cp[0] == '#' {
		return nil, ""
	}
	principals, rest, ok := principalField(cp)
	if !ok {
		return nil, "invalid line"
	}
	tk := &TrustedKey{Principals: strings.Split(principals, ",")}
	pub, err := readKey(rest)
	if err != nil {
		// Not a key: options come first, up to a space or tab outside
		// double quotes (a \" inside them does not end the quotes).
		opts, after, ok := optionsField(rest)
		if !ok {
			return nil, "invalid options"
		}
		if after == "" {
			return nil, "missing key"
		}
		after = strings.TrimLeft(after[1:], " \t")
		if pub, err = readKey(after); err != nil {
			return nil, "invalid key: " + err.Error()
		}
		if reason := tk.parseOptions(opts, loc); reason != "" {
			return nil, "bad options: " + reason
		}
	}
	tk.Key = pub
	return tk, ""
}

// principalField splits off the first word of s. Words end at a space,
// tab, CR or LF; a double quote starts a quoted part that runs to the next
// quote and ends the word (the quotes are dropped). ok is false for a
// quote without its end, or a line that is nothing but the word.
func principalField(s string) (word, rest string, ok bool) {
	i := strings.IndexAny(s, " \t\r\n\"")
	if i < 0 {
		return "", "", false
	}
	if s[i] != '"' {
		return s[:i], strings.TrimLeft(s[i+1:], " \t\r\n"), true
	}
	j := strings.IndexByte(s[i+1:], '"')
	if j < 0 {
		return "", "", false
	}
	return s[:i] + s[i+1:i+1+j], strings.TrimLeft(s[i+1+j+1:], " \t\r\n"), true
}

// optionsField splits s at the first space or tab outside double quotes.
// after starts with that space or tab, or is empty.
func optionsField(s string) (opts, after string, ok bool) {
	quoted := false
	i := 0
	for ; i < len(s) && (quoted || (s[i] != ' ' && s[i] != '\t')); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '"' {
			i++
		} else if s[i] == '"' {
			quoted = !quoted
		}
	}
	if i >= len(s) && quoted {
		return "", "", false
	}
	if i >= len(s) {
		return s, "", true
	}
	return s[:i], s[i:], true
}

// readKey reads "keytype base64" at the start of s; the rest is a comment.
// The type must be followed by a space or tab, and must be the type of
// the key in the base64 blob.
func readKey(s string) (ssh.PublicKey, error) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return nil, errors.New("no key")
	}
	typ := s[:i]
	if !knownKeyType(typ) {
		return nil, fmt.Errorf("unknown key type %q", typ)
	}
	s = strings.TrimLeft(s[i:], " \t")
	if s == "" {
		return nil, errors.New("no key after the type")
	}
	if j := strings.IndexAny(s, " \t"); j >= 0 {
		s = s[:j]
	}
	blob, err := base64.StdEncoding.DecodeString(strings.Map(dropSpace, s))
	if err != nil {
		return nil, fmt.Errorf("key is not base64: %w", err)
	}
	pub, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return nil, err
	}
	if pub.Type() != typ {
		return nil, fmt.Errorf("key of type %s, line says %s", pub.Type(), typ)
	}
	return pub, nil
}

func dropSpace(r rune) rune {
	switch r {
	case ' ', '\t', '\r', '\n', '\v', '\f':
		return -1
	}
	return r
}

// knownKeyType reports whether ssh-keygen knows t as a key type on an
// allowed_signers line. DSA ("ssh-dss") is spelled out: x/crypto marks its
// constants deprecated, but a line naming it is still a key type to
// ssh-keygen (which then refuses the key), not a parse error.
func knownKeyType(t string) bool {
	switch t {
	case ssh.KeyAlgoRSA, "ssh-dss", ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384,
		ssh.KeyAlgoECDSA521, ssh.KeyAlgoED25519, ssh.KeyAlgoSKECDSA256, ssh.KeyAlgoSKED25519,
		ssh.CertAlgoRSAv01, "ssh-dss-cert-v01@openssh.com", ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01,
		ssh.CertAlgoECDSA521v01, ssh.CertAlgoED25519v01, ssh.CertAlgoSKECDSA256v01, ssh.CertAlgoSKED25519v01:
		return true
	}
	return false
}

// parseOptions reads the comma-separated options of a line:
// cert-authority, namespaces="...", valid-after="...", valid-before="..."
// (names in any case; values in double quotes). It returns why they
// cannot be read, or "".
func (tk *TrustedKey) parseOptions(opts string, loc *time.Location) string {
	var haveNS bool
	for opts != "" {
		switch {
		case hasPrefixFold(opts, "cert-authority"):
			tk.CertAuthority = true
			opts = opts[len("cert-authority"):]
		case hasPrefixFold(opts, "namespaces="):
			if haveNS {
				return `multiple "namespaces" clauses`
			}
			v, rest, reason := dequote(opts[len("namespaces="):])
			if reason != "" {
				return reason
			}
			tk.Namespaces, haveNS, opts = strings.Split(v, ","), true, rest
		case hasPrefixFold(opts, "valid-after="), hasPrefixFold(opts, "valid-before="):
			name, bound := "valid-after", &tk.ValidAfter
			if hasPrefixFold(opts, "valid-before=") {
				name, bound = "valid-before", &tk.ValidBefore
			}
			if !bound.IsZero() {
				return fmt.Sprintf("multiple %q clauses", name)
			}
			v, rest, reason := dequote(opts[len(name)+1:])
			if reason != "" {
				return reason
			}
			at, err := ParseAbsoluteTime(v, loc)
			if err != nil {
				return fmt.Sprintf("invalid %q time", name)
			}
			*bound, opts = at, rest
		}
		if opts == "" {
			break
		}
		if opts[0] != ',' {
			return "unknown key option"
		}
		opts = opts[1:]
		if opts == "" {
			return "unexpected end-of-options"
		}
	}
	if !tk.ValidAfter.IsZero() && !tk.ValidBefore.IsZero() && tk.ValidBefore.Unix() <= tk.ValidAfter.Unix() {
		return `"valid-before" time is before "valid-after"`
	}
	return ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// dequote reads a double-quoted value at the start of s; \" inside stands
// for a quote.
func dequote(s string) (val, rest, reason string) {
	if s == "" || s[0] != '"' {
		return "", "", "missing start quote"
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '"':
			return b.String(), s[i+1:], ""
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
			i++
		}
		b.WriteByte(s[i])
	}
	return "", "", "missing end quote"
}

// ParseAbsoluteTime reads a time as ssh-keygen takes it in valid-after,
// valid-before and -Overify-time: YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS,
// in UTC with a Z or UTC suffix (any case), else in the zone loc (nil:
// time.Local) taken as standard time, as mktime(3) with tm_isdst 0 takes
// it. Out-of-range fields roll over (February 30 is March 1 or 2), as
// mktime rolls them; times before 1970 are refused, as OpenSSH 9.2 refuses
// them, and so is 1970-01-01T00:00:00Z itself (ssh-keygen's "no time").
func ParseAbsoluteTime(s string, loc *time.Location) (time.Time, error) {
	bad := fmt.Errorf("time %q is not YYYYMMDD[HHMM[SS]][Z]", s)
	utc := false
	switch {
	case len(s) > 1 && strings.EqualFold(s[len(s)-1:], "Z"):
		utc, s = true, s[:len(s)-1]
	case len(s) > 3 && strings.EqualFold(s[len(s)-3:], "UTC"):
		utc, s = true, s[:len(s)-3]
	}
	if len(s) != 8 && len(s) != 12 && len(s) != 14 {
		return time.Time{}, bad
	}
	num := func(i, n, lo, hi int) (int, bool) {
		if i+n > len(s) {
			return 0, true // absent: zero
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, v >= lo && v <= hi
	}
	var f [6]int
	spans := [6][4]int{{0, 4, 0, 9999}, {4, 2, 1, 12}, {6, 2, 1, 31}, {8, 2, 0, 23}, {10, 2, 0, 59}, {12, 2, 0, 61}}
	for k, sp := range spans {
		v, ok := num(sp[0], sp[1], sp[2], sp[3])
		if !ok {
			return time.Time{}, bad
		}
		f[k] = v
	}
	var t time.Time
	if utc {
		t = time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, time.UTC)
	} else {
		if loc == nil {
			loc = time.Local
		}
		t = standardTime(f, loc)
	}
	if t.Unix() <= 0 {
		return time.Time{}, fmt.Errorf("time %q is not after 1970-01-01T00:00:00Z", s)
	}
	return t, nil
}

// standardTime is the wall time f in loc read with the zone's standard
// (not daylight saving) offset, as mktime(3) reads a struct tm whose
// tm_isdst is 0.
func standardTime(f [6]int, loc *time.Location) time.Time {
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, loc)
	_, off := t.Zone()
	if t.IsDST() {
		for _, months := range []int{-6, 6, -3, 3, -9, 9} {
			if p := t.AddDate(0, months, 0); !p.IsDST() {
				_, off = p.Zone()
				break
			}
		}
	}
	wall := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, time.UTC)
	return wall.Add(-time.Duration(off) * time.Second).In(loc)
}

// matchPatternList matches s against a comma-separated list of patterns
// with * and ?, some negated with a leading !: -1 if a negated pattern
// matches, else 1 if a pattern matches, else 0 (OpenSSH's
// match_pattern_list, case-sensitive). Like OpenSSH, a pattern of 1023
// bytes or more fails the whole list.
func matchPatternList(s, list string) int {
	positive := 0
	for list != "" {
		neg := false
		if list[0] == '!' {
			neg, list = true, list[1:]
		}
		sub, rest, _ := strings.Cut(list, ",")
		list = rest
		if len(sub) >= 1023 {
			return 0
		}
		if matchPattern(s, sub) {
			if neg {
				return -1
			}
			positive = 1
		}
	}
	return positive
}

// matchPattern matches s against a glob of * (any run of bytes) and ?
// (any one byte).
func matchPattern(s, p string) bool {
	// Iterative glob with backtracking to the last star.
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			si, pi = si+1, pi+1
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
