package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hozen-dfir/hozen/manifest"
)

// Display renders a byte string for people, unambiguously: printable
// UTF-8 as is; every other byte (invalid UTF-8, control characters) as a
// \xNN escape, and a backslash as \\ when anything is escaped. A name
// shown by Display never moves a terminal's cursor nor hides a byte.
func Display(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case !unicode.IsPrint(r) && r != ' ':
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func printable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return utf8.ValidString(s)
}

// Escaped reports whether Display changes s.
func Escaped(s string) bool { return !printable(s) }

// Cmdline renders argv for people as a shell would read it: an argument
// that holds a space, a quote or any special byte is single-quoted, and
// bytes Display would escape are escaped inside $'...'.
func Cmdline(argv []manifest.BString) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = shellQuote(string(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if !printable(s) {
		d := Display(s)
		return "$'" + strings.ReplaceAll(d, "'", `\'`) + "'"
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r) || r > 0x7f)
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
