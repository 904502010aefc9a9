package collect

import (
	"encoding/binary"
	"testing"

	"github.com/hozen-dfir/hozen/artifact"
)

// nlMsg builds one netlink message of type typ with an nfgenmsg of family
// fam and the given attributes.
func nlMsg(typ uint16, fam byte, attrs ...[]byte) []byte {
	b := make([]byte, nlmsgHdrLen+nfgenmsgLen)
	b[nlmsgHdrLen] = fam
	for _, a := range attrs {
		b = append(b, a...)
	}
	binary.NativeEndian.PutUint32(b, uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	return b
}

func nlAttrBytes(typ uint16, v []byte) []byte {
	b := make([]byte, 4, 4+len(v)+3)
	binary.NativeEndian.PutUint16(b, uint16(4+len(v)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func TestParseNftDump(t *testing.T) {
	hook := append(nlAttrBytes(1, []byte{0, 0, 0, 1}), nlAttrBytes(2, []byte{0, 0, 0, 0})...)
	expr := func(name string) []byte { return nlAttrBytes(1, nlAttrBytes(1, []byte(name+"\x00"))) }
	dump := append(nlMsg(nftSubsys<<8|nftNewTable, 2, nlAttrBytes(1, []byte("filter\x00")), nlAttrBytes(4, []byte{0, 0, 0, 0, 0, 0, 0, 7})),
		nlMsg(nftSubsys<<8|nftNewChain, 2, nlAttrBytes(1, []byte("filter\x00")), nlAttrBytes(3, []byte("input\x00")),
			nlAttrBytes(4|0x8000, hook), nlAttrBytes(5, []byte{0, 0, 0, 0}), nlAttrBytes(7, []byte("filter\x00")))...)
	dump = append(dump, nlMsg(nftSubsys<<8|nftNewRule, 2, nlAttrBytes(1, []byte("filter\x00")), nlAttrBytes(2, []byte("input\x00")),
		nlAttrBytes(4|0x8000, append(expr("meta"), expr("immediate")...)), nlAttrBytes(7, []byte{0, 3, 'h', 'i', '!'}))...)
	dump = append(dump, nlMsg(nlmsgDone, 0)...)
	var doc artifact.Nftables
	if errs := parseNftDump(dump, &doc); len(errs) != 0 {
		t.Fatal(errs)
	}
	if len(doc.Tables) != 1 || doc.Tables[0].Name != "filter" || doc.Tables[0].Family != "ip" || doc.Tables[0].Handle != 7 {
		t.Errorf("tables %+v", doc.Tables)
	}
	if len(doc.Chains) != 1 || doc.Chains[0].Policy != "drop" || *doc.Chains[0].Hook != 1 || doc.Chains[0].Rules != 1 || doc.Chains[0].Type != "filter" {
		t.Errorf("chains %+v", doc.Chains)
	}
	if len(doc.Rules) != 1 || len(doc.Rules[0].Expressions) != 2 || doc.Rules[0].Expressions[1] != "immediate" || doc.Rules[0].Comment != "hi!" {
		t.Errorf("rules %+v", doc.Rules)
	}
}

// iptEntry builds one IPv4 ipt_entry with a named target (or the standard
// target with a verdict when name is "").
func iptEntry(name string, verdict int32, pkts uint64) []byte {
	next := iptEntryV4Len + 40
	e := make([]byte, next)
	copy(e[0:4], []byte{10, 0, 0, 0})
	copy(e[8:12], []byte{255, 0, 0, 0})
	copy(e[16:], "eth0")
	binary.NativeEndian.PutUint16(e[88:], iptEntryV4Len)
	binary.NativeEndian.PutUint16(e[90:], uint16(next))
	binary.NativeEndian.PutUint64(e[96:], pkts)
	copy(e[iptEntryV4Len+2:], name)
	binary.NativeEndian.PutUint32(e[iptEntryV4Len+32:], uint32(verdict))
	return e
}

func TestParseIptEntries(t *testing.T) {
	b := append(iptEntry("", -2, 5), iptEntry("ERROR", 0, 0)...)
	ents, errs := parseIptEntries(b, false)
	if len(errs) != 0 || len(ents) != 2 {
		t.Fatal(ents, errs)
	}
	if ents[0].Target != "ACCEPT" || ents[0].Src != "10.0.0.0/8" || ents[0].InIface != "eth0" || ents[0].Packets != 5 || ents[1].Target != "ERROR" {
		t.Errorf("%+v", ents)
	}
	if _, errs := parseIptEntries(b[:50], false); len(errs) != 1 {
		t.Errorf("short table: %v", errs)
	}
}

// FuzzKernelFormats feeds the kmsg, binfmt, netlink, x_tables and bpf
// info parsers anything: none may panic.
func FuzzKernelFormats(f *testing.F) {
	f.Add([]byte("6,1,100,-;hello\n KEY=v\n"))
	f.Add(append(iptEntry("", -2, 5), iptEntry("ERROR", 0, 0)...))
	f.Add(nlMsg(nftSubsys<<8|nftNewRule, 2, nlAttrBytes(4|0x8000, nlAttrBytes(1, nlAttrBytes(1, []byte("meta\x00"))))))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseKmsg(b)
		parseBinfmt("x", b)
		var doc artifact.Nftables
		parseNftDump(b, &doc)
		parseIptEntries(b, false)
		parseIptEntries(b, true)
		decodeProgInfo(b)
		decodeMapInfo(b)
		decodeLinkInfo(b)
		parseFdinfoID(b, "prog_id")
	})
}
