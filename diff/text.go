package diff

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// TamperedMarker starts every line of the text of a result whose input did
// not verify.
const TamperedMarker = "[TAMPERED INPUT] "

// Display quotes a string that holds bytes a terminal should not get raw
// (control characters, invalid UTF-8) or a quote, so output is unambiguous.
func Display(s string) string {
	if !utf8.ValidString(s) || strings.Contains(s, `"`) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return strconv.Quote(s)
		}
	}
	return s
}

// noControls writes control characters as \xNN.
func noControls(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func describeSide(label string, s *Snapshot) string {
	host := s.Host.Hostname
	if host == "" {
		host = "?"
	}
	id := s.Host.MachineID
	if id == "" {
		id = "?"
	}
	return fmt.Sprintf("%s %s  bundle %s  started %s  host %s  machine-id %s  %s",
		label, Display(s.Name), s.BundleID, s.StartedAt.UTC().Format(time.RFC3339), Display(host), id, s.Status)
}

// WriteText writes the result for people: a header naming both bundles,
// the notes, then one block per section with its counts and a line per
// entry: "+ " new, "- " gone, "~ " changed (its changes indented below).
// When an input did not verify, every line starts with [TamperedMarker].
func WriteText(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	prefix := ""
	if r.TamperedInput {
		prefix = TamperedMarker
	}
	line := func(format string, args ...any) {
		// A control character (a newline in a forged reason) must not
		// start a line without the marker, or rewrite one on a terminal.
		bw.WriteString(prefix)
		bw.WriteString(noControls(fmt.Sprintf(format, args...)))
		bw.WriteByte('\n')
	}
	line("hozen diff (%s)", r.Schema)
	line("%s", describeSide("OLD", r.Old))
	line("%s", describeSide("NEW", r.New))
	if r.TamperedInput {
		line("WARNING: an input is tampered or untrusted; nothing below is vouched for")
	}
	if r.Incomplete {
		line("NOTE: an input is incomplete; only what verified is compared")
	}
	if r.OtherHost {
		line("WARNING: not one host: %s", r.HostNote)
	} else if r.HostNote != "" {
		line("note: %s", r.HostNote)
	}
	for _, n := range r.Notes {
		line("note: %s", n)
	}
	for _, s := range r.Sections {
		line("")
		if !s.Compared {
			line("== %s: not compared: %s", s.Name, s.NotCompared)
			continue
		}
		line("== %s: %d new, %d gone, %d changed", s.Name, s.Added, s.Removed, s.Changed)
		for _, e := range s.Entries {
			line("%s %s", e.Change, e.Key)
			for _, d := range e.Details {
				line("    %s", d)
			}
		}
	}
	return bw.Flush()
}

// WriteJSON writes the result as one JSON document (schema [Schema]),
// indented; docs/report.md describes its fields.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
