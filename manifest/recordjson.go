package manifest

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendRecord appends the JSON of r, byte for byte what encoding/json
// writes for it (TestRecordJSONSameAsEncodingJSON and FuzzRecordJSON hold
// it to that), without reflection: a record is written for every artifact,
// and encoding/json cost a small-file collection about a tenth of its CPU
// time. ok is false for what only encoding/json may decide (a time it
// cannot write); the caller then uses it.
func appendRecord(b []byte, r *Record) (_ []byte, ok bool) {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, `,"path":`...)
	b = appendBString(b, r.Path)
	b = append(b, `,"entry":`...)
	b = appendString(b, r.Entry)
	b = append(b, `,"source":`...)
	b = appendBString(b, r.Source)
	b = append(b, `,"collector":`...)
	b = appendString(b, r.Collector)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, r.Size, 10)
	b = append(b, `,"bytes_read":`...)
	b = strconv.AppendInt(b, r.BytesRead, 10)
	for _, f := range [...]struct{ key, v string }{{`,"sha256":`, r.SHA256}, {`,"md5":`, r.MD5}, {`,"sha1":`, r.SHA1}} {
		if f.v != "" {
			b = append(b, f.key...)
			b = appendString(b, f.v)
		}
	}
	b = append(b, `,"outcome":`...)
	b = appendString(b, r.Outcome)
	b = appendStrings(b, `,"errors":`, r.Errors)
	b = appendStrings(b, `,"warnings":`, r.Warnings)
	if r.File != nil {
		b = append(b, `,"file":`...)
		if b, ok = appendFileMeta(b, r.File); !ok {
			return b, false
		}
	}
	b = append(b, `,"collected_at":`...)
	if b, ok = appendTime(b, r.CollectedAt); !ok {
		return b, false
	}
	b = append(b, `,"prev":`...)
	b = appendString(b, r.Prev)
	return append(b, '}'), true
}

func appendFileMeta(b []byte, m *FileMeta) (_ []byte, ok bool) {
	b = append(b, `{"mode":`...)
	b = appendString(b, m.Mode)
	b = append(b, `,"mode_bits":`...)
	b = strconv.AppendUint(b, uint64(m.ModeBits), 10)
	b = append(b, `,"type":`...)
	b = appendString(b, m.Type)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, m.Size, 10)
	if m.UID != nil {
		b = append(b, `,"uid":`...)
		b = strconv.AppendInt(b, *m.UID, 10)
	}
	if m.GID != nil {
		b = append(b, `,"gid":`...)
		b = strconv.AppendInt(b, *m.GID, 10)
	}
	if m.Owner != "" {
		b = append(b, `,"owner":`...)
		b = appendString(b, m.Owner)
	}
	if m.Group != "" {
		b = append(b, `,"group":`...)
		b = appendString(b, m.Group)
	}
	b = append(b, `,"mtime":`...)
	if b, ok = appendTime(b, m.Mtime); !ok {
		return b, false
	}
	for _, t := range [...]struct {
		key string
		v   *time.Time
	}{{`,"atime":`, m.Atime}, {`,"ctime":`, m.Ctime}, {`,"btime":`, m.Btime}} {
		if t.v != nil {
			b = append(b, t.key...)
			if b, ok = appendTime(b, *t.v); !ok {
				return b, false
			}
		}
	}
	for _, u := range [...]struct {
		key string
		v   uint64
	}{{`,"inode":`, m.Inode}, {`,"device":`, m.Device}, {`,"nlink":`, m.Nlink}} {
		if u.v != 0 {
			b = append(b, u.key...)
			b = strconv.AppendUint(b, u.v, 10)
		}
	}
	if m.Blocks != 0 {
		b = append(b, `,"blocks":`...)
		b = strconv.AppendInt(b, m.Blocks, 10)
	}
	if m.LinkTarget != nil {
		b = append(b, `,"link_target":`...)
		b = appendBString(b, *m.LinkTarget)
	}
	return append(b, '}'), true
}

// appendTime writes t as time.Time.MarshalJSON does; years it refuses are
// left to it.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

func appendStrings(b []byte, key string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(b, key...)
	for i, s := range v {
		if i == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendBString writes s as BString.MarshalJSON does.
func appendBString(b []byte, s BString) []byte {
	if utf8.ValidString(string(s)) {
		return appendString(b, string(s))
	}
	b = append(b, `{"b64":"`...)
	b = base64.StdEncoding.AppendEncode(b, []byte(s))
	return append(b, `"}`...)
}

// appendString quotes s as encoding/json does: printable ASCII other than
// '"', '\\' and the HTML characters it escapes is copied; any other string
// is handed to encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil { // a string always marshals
				panic(err)
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
