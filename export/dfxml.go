package export

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hozen-dfir/hozen/manifest"
)

// DFXML
//
// [WriteDFXML] writes the bundle's artifacts as Digital Forensics XML
// (DFXML 1.2.0) file objects: one <fileobject> per record of a file or a
// link, with its bundle path as <filename>, <filesize>, the host file's
// mode, owner and times (mtime, atime, ctime, crtime) as the record keeps
// them, and <hashdigest> elements (sha256; md5 and sha1 when collected).
// What DFXML has no element for (the host path, the record's sequence
// number and outcome, a link's target) is in elements of hozen's own
// namespace, which DFXML readers skip. A name that XML cannot hold (bytes
// that are not UTF-8, control characters) is written as a Go quoted
// string with hozen:quoted="go".

// DFXMLNamespace is the namespace of hozen's own elements in DFXML.
const DFXMLNamespace = "https://hozen-dfir.github.io/ns/dfxml/1"

// WriteDFXML writes b's artifacts as a DFXML document to w.
func WriteDFXML(w io.Writer, b *Bundle) error {
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	p("<dfxml xmlns=\"http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:hozen=%q version=\"1.2.0\">\n", DFXMLNamespace)
	p("  <metadata>\n    <dc:type>File List</dc:type>\n  </metadata>\n")
	p("  <creator version=\"1.0\">\n    <program>hozen</program>\n")
	if b.Tool != "" {
		p("    <version>%s</version>\n", text(b.Tool))
	}
	p("    <execution_environment>\n      <start_time>%s</start_time>\n    </execution_environment>\n", b.Header.StartedAt.UTC().Format(time.RFC3339Nano))
	p("  </creator>\n")
	p("  <source>\n    <image_filename%s>%s</image_filename>\n", quotedAttr(b.Name), name(b.Name))
	p("    <hozen:bundle_id>%s</hozen:bundle_id>\n    <hozen:case_id%s>%s</hozen:case_id>\n", text(b.Header.BundleID), quotedAttr(b.Header.CaseID), name(b.Header.CaseID))
	p("    <hozen:host%s>%s</hozen:host>\n", quotedAttr(b.Header.Host.Hostname), name(b.Header.Host.Hostname))
	p("    <hozen:status>%s</hozen:status>\n", b.Result.Status())
	if b.Incomplete {
		p("    <hozen:note>incomplete bundle: only the %d records that verified before its cut are listed</hozen:note>\n", b.Result.Records)
	}
	p("  </source>\n")
	for i := range b.Records {
		r := &b.Records[i]
		if r.Entry != manifest.EntryFile && r.Entry != manifest.EntrySymlink {
			continue
		}
		writeFileObject(p, r)
	}
	p("</dfxml>\n")
	return bw.Flush()
}

func writeFileObject(p func(string, ...any), r *manifest.Record) {
	p("  <fileobject>\n")
	p("    <filename%s>%s</filename>\n", quotedAttr(string(r.Path)), name(string(r.Path)))
	nameType := "r"
	if r.Entry == manifest.EntrySymlink {
		nameType = "l"
	}
	p("    <name_type>%s</name_type>\n", nameType)
	if r.Entry == manifest.EntryFile {
		p("    <filesize>%d</filesize>\n", r.Size)
	}
	if f := r.File; f != nil {
		p("    <mode>%d</mode>\n", f.ModeBits&0o7777)
		if f.Nlink != 0 {
			p("    <nlink>%d</nlink>\n", f.Nlink)
		}
		if f.UID != nil {
			p("    <uid>%d</uid>\n", *f.UID)
		}
		if f.GID != nil {
			p("    <gid>%d</gid>\n", *f.GID)
		}
		if f.Inode != 0 {
			p("    <inode>%d</inode>\n", f.Inode)
		}
		if !f.Mtime.IsZero() {
			p("    <mtime>%s</mtime>\n", f.Mtime.UTC().Format(time.RFC3339Nano))
		}
		for _, t := range []struct {
			el string
			at *time.Time
		}{{"ctime", f.Ctime}, {"atime", f.Atime}, {"crtime", f.Btime}} {
			if t.at != nil {
				p("    <%s>%s</%s>\n", t.el, t.at.UTC().Format(time.RFC3339Nano), t.el)
			}
		}
		if f.LinkTarget != nil {
			p("    <hozen:link_target%s>%s</hozen:link_target>\n", quotedAttr(string(*f.LinkTarget)), name(string(*f.LinkTarget)))
		}
	}
	if r.MD5 != "" {
		p("    <hashdigest type=\"md5\">%s</hashdigest>\n", r.MD5)
	}
	if r.SHA1 != "" {
		p("    <hashdigest type=\"sha1\">%s</hashdigest>\n", r.SHA1)
	}
	if r.SHA256 != "" && r.Entry == manifest.EntryFile {
		p("    <hashdigest type=\"sha256\">%s</hashdigest>\n", r.SHA256)
	}
	p("    <hozen:seq>%d</hozen:seq>\n", r.Seq)
	p("    <hozen:source%s>%s</hozen:source>\n", quotedAttr(string(r.Source)), name(string(r.Source)))
	p("    <hozen:outcome>%s</hozen:outcome>\n", text(r.Outcome))
	p("  </fileobject>\n")
}

// xmlSafe reports whether s can be XML 1.0 character data as it is.
func xmlSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0xFFFE || r == 0xFFFF || r >= 0xD800 && r < 0xE000 {
			return false
		}
	}
	return true
}

// text escapes s for XML character data.
func text(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// name is s as character data, or Go-quoted when XML cannot hold it
// (quotedAttr marks it).
func name(s string) string {
	if xmlSafe(s) {
		return text(s)
	}
	return text(strconv.Quote(s))
}

func quotedAttr(s string) string {
	if xmlSafe(s) {
		return ""
	}
	return ` hozen:quoted="go"`
}
