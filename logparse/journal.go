package logparse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Facts of the journal file format (systemd's docs/JOURNAL_FILE_FORMAT.md
// and src/libsystemd/sd-journal/journal-def.h). Every integer is little
// endian; objects start on 8-byte boundaries.
const (
	jSignature = "LPKSHHRH"
	// Header offsets.
	jhIncompatible = 12
	jhState        = 16
	jhHeaderSize   = 88
	jhArenaSize    = 96
	jhNEntries     = 152
	jhEntryArray   = 176
	jhMinSize      = 184 // through entry_array_offset

	// Header incompatible flags.
	jfCompressedXZ   = 1 << 0
	jfCompressedLZ4  = 1 << 1
	jfKeyedHash      = 1 << 2
	jfCompressedZSTD = 1 << 3
	jfCompact        = 1 << 4

	// Object types and flags.
	joData       = 1
	joEntry      = 3
	joEntryArray = 6
	jcXZ         = 1 << 0
	jcLZ4        = 1 << 1
	jcZSTD       = 1 << 2

	joHeaderSize = 16 // type, flags, reserved[6], size
	// Entry object: seqnum 16, realtime 24, monotonic 32, boot_id 40,
	// xor_hash 56, items 64.
	jeItems = 64
	// Entry array object: next 16, items 24.
	jaItems = 24
	// Data object payload: 64, or 72 in compact files.
	jdPayload        = 64
	jdPayloadCompact = 72
)

// JournalFile is what ReadJournal found in a journal file.
type JournalFile struct {
	Events []Event
	// Notes say what was skipped or cut, and why.
	Notes []string
	// State is the header's state: offline, online (being written, or the
	// writer died) or archived.
	State string
}

type jfield struct{ name, value string }

// journalReader walks one journal file held in memory.
type journalReader struct {
	b        []byte
	src      string
	compact  bool
	lim      Limits
	data     map[uint64]jfield // data objects decoded, by offset
	notes    map[string]int    // note → how many times
	noteList []string
	zd       *zstd.Decoder
	unzipped int64 // bytes decompressed so far
}

// ReadJournal parses a systemd journal file (its bytes, at most
// lim.MaxBytes of them) into events, walking the chain of entry arrays
// from the header: no hash table is needed, so keyed and Jenkins hashes
// read alike. A file being written or cut short is read as far as its
// offsets hold: every offset is checked against the file's size and the
// object's type before it is followed, and a chain that loops or points
// back stops. Payloads compressed with zstd are decoded (at most
// lim.MaxField bytes each); XZ and LZ4 payloads are not, and the event's
// field says "compressed with XZ: not decoded".
func ReadJournal(b []byte, source string, lim Limits) *JournalFile {
	lim = lim.norm()
	jf := &JournalFile{}
	if int64(len(b)) > lim.MaxBytes {
		b = b[:lim.MaxBytes]
		jf.Notes = append(jf.Notes, fmt.Sprintf("%s: only the first %d bytes are read (the limit)", source, lim.MaxBytes))
	}
	if len(b) < jhMinSize || string(b[:8]) != jSignature {
		jf.Notes = append(jf.Notes, fmt.Sprintf("%s: not a journal file (no LPKSHHRH header)", source))
		return jf
	}
	le := binary.LittleEndian
	incompat := le.Uint32(b[jhIncompatible:])
	switch b[jhState] {
	case 0:
		jf.State = "offline"
	case 1:
		jf.State = "online"
		jf.Notes = append(jf.Notes, fmt.Sprintf("%s: the journal was online (being written, or its writer died): its last entries may be missing", source))
	case 2:
		jf.State = "archived"
	default:
		jf.State = "unknown"
	}
	if unknown := incompat &^ (jfCompressedXZ | jfCompressedLZ4 | jfKeyedHash | jfCompressedZSTD | jfCompact); unknown != 0 {
		jf.Notes = append(jf.Notes, fmt.Sprintf("%s: unknown incompatible header flags %#x; read as far as the known format goes", source, unknown))
	}
	hsize := le.Uint64(b[jhHeaderSize:])
	if hsize < jhMinSize || hsize > uint64(len(b)) {
		jf.Notes = append(jf.Notes, fmt.Sprintf("%s: header size %d out of the file's %d bytes", source, hsize, len(b)))
		return jf
	}
	r := &journalReader{b: b, src: source, compact: incompat&jfCompact != 0, lim: lim, data: map[uint64]jfield{}, notes: map[string]int{}}
	if arena := le.Uint64(b[jhArenaSize:]); hsize+arena > uint64(len(b)) || hsize+arena < hsize {
		jf.Notes = append(jf.Notes, fmt.Sprintf("%s: the header says %d bytes, the file has %d: cut short; read as far as it goes", source, hsize+arena, len(b)))
	}
	nEntries := le.Uint64(b[jhNEntries:])
	arr := le.Uint64(b[jhEntryArray:])
	seen := 0
	var prevArr uint64
	for arr != 0 {
		if arr <= prevArr {
			r.note("an entry array chain points backwards; stopped there")
			break
		}
		prevArr = arr
		items, next, ok := r.entryArray(arr)
		if !ok {
			break
		}
		for _, off := range items {
			if off == 0 {
				break // the unused tail of the last array
			}
			if len(jf.Events) >= lim.MaxEvents {
				r.note(fmt.Sprintf("stopped at %d entries (the limit); later entries are not in the timeline", lim.MaxEvents))
				arr = 0
				break
			}
			if e, ok := r.entry(off); ok {
				jf.Events = append(jf.Events, e)
			}
			seen++
		}
		if arr == 0 {
			break
		}
		arr = next
	}
	if uint64(seen) < nEntries && len(jf.Events) < lim.MaxEvents {
		r.note(fmt.Sprintf("the header counts %d entries, the entry arrays reach %d", nEntries, seen))
	}
	if r.zd != nil {
		r.zd.Close()
	}
	for _, n := range r.noteList {
		s := fmt.Sprintf("%s: %s", source, n)
		if c := r.notes[n]; c > 1 {
			s += fmt.Sprintf(" (%d times)", c)
		}
		jf.Notes = append(jf.Notes, s)
	}
	return jf
}

func (r *journalReader) note(s string) {
	if r.notes[s] == 0 {
		r.noteList = append(r.noteList, s)
	}
	r.notes[s]++
}

// object returns the object at off, checked: in the file, aligned, of
// type typ, and at least min bytes long.
func (r *journalReader) object(off uint64, typ byte, min uint64) ([]byte, byte, bool) {
	if off%8 != 0 || off < jhMinSize || off > uint64(len(r.b)) || uint64(len(r.b))-off < joHeaderSize {
		r.note(fmt.Sprintf("an offset points out of the file or off alignment (%d)", off))
		return nil, 0, false
	}
	h := r.b[off:]
	size := binary.LittleEndian.Uint64(h[8:])
	if size < min || size > uint64(len(h)) {
		r.note(fmt.Sprintf("an object at %d has size %d out of bounds", off, size))
		return nil, 0, false
	}
	if h[0] != typ {
		r.note(fmt.Sprintf("an object at %d has type %d where %d was expected", off, h[0], typ))
		return nil, 0, false
	}
	return h[:size], h[1], true
}

func (r *journalReader) entryArray(off uint64) ([]uint64, uint64, bool) {
	o, _, ok := r.object(off, joEntryArray, jaItems)
	if !ok {
		return nil, 0, false
	}
	le := binary.LittleEndian
	next := le.Uint64(o[16:])
	body := o[jaItems:]
	var items []uint64
	if r.compact {
		for i := 0; i+4 <= len(body); i += 4 {
			items = append(items, uint64(le.Uint32(body[i:])))
		}
	} else {
		for i := 0; i+8 <= len(body); i += 8 {
			items = append(items, le.Uint64(body[i:]))
		}
	}
	return items, next, true
}

func (r *journalReader) entry(off uint64) (Event, bool) {
	o, _, ok := r.object(off, joEntry, jeItems)
	if !ok {
		return Event{}, false
	}
	le := binary.LittleEndian
	rt := le.Uint64(o[24:])
	e := Event{Source: r.src, Offset: int64(off), Format: FormatJournal, Priority: -1}
	if rt > uint64(1<<62) {
		r.note(fmt.Sprintf("an entry at %d has a realtime out of range", off))
		return Event{}, false
	}
	e.Time = time.UnixMicro(int64(rt)).UTC()
	body := o[jeItems:]
	step := 16
	if r.compact {
		step = 4
	}
	var comm, alg string
	if n := len(body) / step; n > maxEntryItems {
		r.note(fmt.Sprintf("an entry has %d fields; only the first %d are read", n, maxEntryItems))
		body = body[:maxEntryItems*step]
	}
	for i := 0; i+step <= len(body); i += step {
		var d uint64
		if r.compact {
			d = uint64(le.Uint32(body[i:]))
		} else {
			d = le.Uint64(body[i:])
		}
		f, ok := r.dataField(d)
		if !ok {
			continue
		}
		switch f.name {
		case "MESSAGE":
			e.Message = f.value
		case "_PID":
			e.PID, _ = strconv.Atoi(f.value)
		case "_COMM":
			comm = f.value
		case "SYSLOG_IDENTIFIER":
			e.Ident = f.value
		case "_HOSTNAME":
			e.Host = f.value
		case "PRIORITY":
			if p, err := strconv.Atoi(f.value); err == nil && p >= 0 && p <= 7 {
				e.Priority = p
			}
		case "_SYSTEMD_UNIT":
			e.Unit = f.value
		case undecoded:
			alg = f.value
		}
	}
	if e.Message == "" && alg != "" {
		e.Message = "[a field compressed with " + alg + ": not decoded]"
	}
	if e.Ident == "" {
		e.Ident = comm
	}
	return e, true
}

// undecoded names a field whose payload was not decompressed.
const undecoded = "\x00undecoded"

// maxEntryItems bounds the fields read of one entry (systemd's own
// entries have a few dozen).
const maxEntryItems = 4096

// wantedFields are the fields an event keeps; other data objects are
// skipped without decompressing them.
var wantedFields = []string{"MESSAGE=", "_PID=", "_COMM=", "SYSLOG_IDENTIFIER=", "_HOSTNAME=", "PRIORITY=", "_SYSTEMD_UNIT="}

func (r *journalReader) dataField(off uint64) (jfield, bool) {
	if f, ok := r.data[off]; ok {
		return f, f.name != ""
	}
	f := r.decodeData(off)
	if len(r.data) < 1<<20 {
		r.data[off] = f
	}
	return f, f.name != ""
}

func (r *journalReader) decodeData(off uint64) jfield {
	start := uint64(jdPayload)
	if r.compact {
		start = jdPayloadCompact
	}
	o, flags, ok := r.object(off, joData, start)
	if !ok {
		return jfield{}
	}
	p := o[start:]
	switch {
	case flags&jcZSTD != 0:
		v, err := r.unzstd(p)
		if err != nil {
			r.note(fmt.Sprintf("a zstd payload does not decode: %v", err))
			return jfield{}
		}
		p = v
	case flags&jcXZ != 0, flags&jcLZ4 != 0:
		alg := "XZ"
		if flags&jcLZ4 != 0 {
			alg = "LZ4"
		}
		r.note("payloads compressed with " + alg + " are not decoded")
		// The field's name is not known until the payload is decoded:
		// the message stands in, so that the entry is still seen.
		return jfield{name: undecoded, value: alg}
	}
	for _, w := range wantedFields {
		if bytes.HasPrefix(p, []byte(w)) {
			v := p[len(w):]
			if len(v) > r.lim.MaxLine {
				v = v[:r.lim.MaxLine]
			}
			return jfield{name: w[:len(w)-1], value: string(v)}
		}
	}
	return jfield{}
}

func (r *journalReader) unzstd(p []byte) ([]byte, error) {
	if r.unzipped > r.lim.MaxBytes {
		return nil, fmt.Errorf("more than %d bytes decompressed in this file (the limit)", r.lim.MaxBytes)
	}
	if r.zd == nil {
		zd, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(r.lim.MaxField)+1), zstd.WithDecoderMaxWindow(uint64(max(r.lim.MaxField, zstd.MinWindowSize))))
		if err != nil {
			return nil, err
		}
		r.zd = zd
	}
	if err := r.zd.Reset(bytes.NewReader(p)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r.zd, int64(r.lim.MaxField)+1))
	if err != nil {
		return nil, err
	}
	r.unzipped += n
	if n > int64(r.lim.MaxField) {
		r.note(fmt.Sprintf("a payload decompresses to more than %d bytes; cut there", r.lim.MaxField))
		return buf.Bytes()[:r.lim.MaxField], nil
	}
	return buf.Bytes(), nil
}
