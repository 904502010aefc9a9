package artifact

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hozen-dfir/hozen/manifest"
)

// Kept holds the JSON documents a reader (report, diff) keeps of a bundle
// as it is verified: a wanted data entry's bytes, up to Max, are held
// until the record after it vouches for them (a bundle handler's Data,
// then Record), and only then kept in Docs by path.
type Kept struct {
	// Max caps the bytes of one document held; a larger one is not kept.
	Max int64
	// Docs are the kept documents, by path.
	Docs    map[string][]byte
	pending struct {
		path string
		data []byte
		over int64 // >0: the entry was this big, over Max
	}
}

// Data starts a data entry h, and reads its body into memory when want
// and it is no bigger than Max. The entry before it is forgotten.
func (k *Kept) Data(h *tar.Header, body io.Reader, want bool) error {
	k.pending.path, k.pending.data, k.pending.over = h.Name, nil, 0
	if !want {
		return nil
	}
	if h.Size > k.Max {
		k.pending.over = h.Size
		return nil
	}
	buf := bytes.NewBuffer(make([]byte, 0, max(h.Size, 0)))
	if _, err := io.Copy(buf, io.LimitReader(body, k.Max)); err != nil {
		return err
	}
	k.pending.data = buf.Bytes()
	return nil
}

// Record keeps the document of the data entry rec vouches for, if it was
// read. over is the size of a wanted entry that was over Max (and is not
// kept), else 0: the reader says so in its own words.
func (k *Kept) Record(rec *manifest.Record) (over int64) {
	if rec.Entry == manifest.EntryFile && string(rec.Path) == k.pending.path {
		switch {
		case k.pending.over > 0:
			over = k.pending.over
		case k.pending.data != nil:
			k.Docs[string(rec.Path)] = k.pending.data
		}
	}
	k.pending.path, k.pending.data, k.pending.over = "", nil, 0
	return over
}

// Decode parses raw, the document at path, into v, and checks that it is
// a version this build reads (CheckVersion). It returns "" when it is;
// else a note for people that says why not, ending with unread, what the
// reader does instead ("not shown").
func Decode(path string, raw []byte, v Doc, unread string) (note string) {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Sprintf("%s does not parse, %s: %v", path, unread, err)
	}
	if err := CheckVersion(path, v); err != nil {
		return err.Error() + "; " + unread
	}
	return ""
}

// HostPort writes a socket's address and port as ADDR:PORT, an IPv6
// address in brackets.
func HostPort(addr string, port uint16) string {
	if strings.Contains(addr, ":") {
		return fmt.Sprintf("[%s]:%d", addr, port)
	}
	return fmt.Sprintf("%s:%d", addr, port)
}
