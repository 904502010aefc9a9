package manifest

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// stdRecordJSON is what encoding/json writes for r: the bytes hozen wrote
// before appendRecord, and what appendRecord must keep writing.
func stdRecordJSON(t testing.TB, r *Record) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestRecordJSONSameAsEncodingJSON(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	tm := func(v time.Time) *time.Time { return &v }
	bs := func(v string) *BString { b := BString(v); return &b }
	at := time.Date(2026, 11, 22, 19, 2, 10, 959569933, time.UTC)
	full := &FileMeta{
		Mode: "-rw-r--r--", ModeBits: 0o644, Type: "file", Size: 4680,
		UID: i64(0), GID: i64(-1), Owner: "root", Group: "wheel & co",
		Mtime: at, Atime: tm(at.Add(time.Second)), Ctime: tm(at.Truncate(time.Second)),
		Btime: tm(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)),
		Inode: 10191497, Device: 65024, Nlink: 1, Blocks: 16,
		LinkTarget: bs("../x\xff<y>"),
	}
	cases := map[string]*Record{
		"zero":    {},
		"minimal": {Seq: 1, Path: "hozen/x", Entry: EntryNone, Outcome: OutcomeOK, CollectedAt: at},
		"file": {Seq: 2, Path: "files/tmp/a b.conf", Entry: EntryFile, Source: "/tmp/a b.conf", Collector: "command-line",
			Size: 4680, BytesRead: 4680, SHA256: "5eec", MD5: "d41d", SHA1: "da39", Outcome: OutcomeOK,
			File: full, CollectedAt: at, Prev: "0506"},
		"escapes": {Path: "files/\"quoted\"\\back\nline\t\x01\x7f<html>&amp;\u2028\u2029é日本",
			Source: "bad \xff\xfe utf-8", Collector: "c", Errors: []string{"a <b>", "", "ü"},
			Warnings: []string{}, Outcome: "changed", Prev: "p"},
		"empty strings and link": {Path: "", Source: "", File: &FileMeta{LinkTarget: bs(""), Mtime: at}},
		"zones": {CollectedAt: at.In(time.FixedZone("X", -7*3600-30*60)),
			File: &FileMeta{Mtime: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("Y", 14*3600)), Atime: tm(time.Time{})}},
		"negative":          {Seq: -1, Size: -5, BytesRead: -9223372036854775808, File: &FileMeta{Size: -1, Blocks: -3, ModeBits: 1 << 31}},
		"year out of range": {CollectedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			want, wantErr := json.Marshal(r)
			got, err := Marshal(r)
			if wantErr != nil {
				if err == nil {
					t.Fatalf("encoding/json refuses (%v); Marshal wrote %s", wantErr, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want = append(want, '\n'); !bytes.Equal(got, want) {
				t.Errorf("Marshal:\n got %s\nwant %s", got, want)
			}
			// The writer marshals each record after the last one's bytes'
			// buffer: what is there stays, the record follows.
			kept := append(make([]byte, 0, 2048), "kept:"...)
			app, err := AppendMarshal(kept, r)
			if err != nil || !bytes.Equal(app, append([]byte("kept:"), want...)) {
				t.Errorf("AppendMarshal after kept bytes: %q, %v", app, err)
			}
			var back Record
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("written JSON does not parse: %v", err)
			}
		})
	}
}

func FuzzRecordJSON(f *testing.F) {
	f.Add(int64(1), "files/a", "/a", "ok", "err", int64(10), uint32(0o644), int64(1_700_000_000), int64(5), "link")
	f.Add(int64(-3), "files/\xff<&>", "\"\\\n", "", "\u2028", int64(0), uint32(1<<31), int64(-62135596800), int64(0), "")
	f.Fuzz(func(t *testing.T, seq int64, path, source, outcome, msg string, size int64, mode uint32, sec, nsec int64, link string) {
		when := time.Unix(sec, nsec).UTC()
		lt := BString(link)
		uid := size / 3
		r := &Record{
			Seq: seq, Path: BString(path), Entry: EntryFile, Source: BString(source), Collector: msg,
			Size: size, BytesRead: size / 2, SHA256: outcome, Outcome: outcome,
			Errors: []string{msg}, File: &FileMeta{Mode: msg, ModeBits: mode, Type: path, Size: size,
				UID: &uid, Mtime: when, Atime: &when, Inode: uint64(sec), Blocks: nsec, LinkTarget: &lt},
			CollectedAt: when, Prev: source,
		}
		if len(link)%2 == 1 {
			r.File.LinkTarget, r.Errors = nil, nil
		}
		want, wantErr := json.Marshal(r)
		got, err := Marshal(r)
		if (wantErr != nil) != (err != nil) {
			t.Fatalf("encoding/json error %v, Marshal error %v", wantErr, err)
		}
		if wantErr == nil && !bytes.Equal(got, append(want, '\n')) {
			t.Fatalf("Marshal:\n got %s\nwant %s", got, want)
		}
	})
}

// BenchmarkMarshalRecord: the record of one small file, by appendRecord and
// by encoding/json.
func BenchmarkMarshalRecord(b *testing.B) {
	u := int64(0)
	at := time.Date(2026, 11, 22, 19, 2, 10, 959569933, time.UTC)
	r := &Record{Seq: 2, Path: "files/tmp/hb/small/small/d000/f00001.conf", Entry: EntryFile,
		Source: "/tmp/hb/small/small/d000/f00001.conf", Collector: "command-line", Size: 4680, BytesRead: 4680,
		SHA256: "5eeca83b907d2b313353231a43f9574a2cb4ed6a863b22c34320502591d1891b", Outcome: OutcomeOK,
		File: &FileMeta{Mode: "-rw-r--r--", ModeBits: 0o644, Type: "file", Size: 4680, UID: &u, GID: &u,
			Mtime: at, Atime: &at, Ctime: &at, Btime: &at, Inode: 10191497, Device: 65024, Nlink: 1, Blocks: 16},
		CollectedAt: at, Prev: "05064e2f82bd3a7f297e84b91007152fb0c8403b1142ae7301a86ffa52314328"}
	b.Run("appendRecord", func(b *testing.B) {
		for b.Loop() {
			if _, err := Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			stdRecordJSON(b, r)
		}
	})
}

// TestAppendMarshalOther: a value other than a record (here the header)
// goes through encoding/json, appended the same way.
func TestAppendMarshalOther(t *testing.T) {
	h := &Header{BundleID: "b", CaseID: "c<&>", StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	want, err := Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	got, err := AppendMarshal([]byte("kept:"), h)
	if err != nil || !bytes.Equal(got, append([]byte("kept:"), want...)) {
		t.Fatalf("AppendMarshal: %q, %v; want kept:%s", got, err, want)
	}
}
