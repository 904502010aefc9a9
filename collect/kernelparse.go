package collect

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// The parsers of the kernel and firewall collectors. They take bytes the
// kernel (or a fixture, or a forger) gave and never panic (FuzzKernelFormats).

// parseKmsg parses /dev/kmsg records: "PRI,SEQ,USEC,FLAGS[,...];MESSAGE"
// lines, each followed by " KEY=value" continuation lines.
func parseKmsg(data []byte) ([]artifact.KernelRecord, []string) {
	var out []artifact.KernelRecord
	var errs []string
	for n, line := range bytes.Split(data, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' {
			if len(out) > 0 {
				out[len(out)-1].Dict = append(out[len(out)-1].Dict, string(line[1:]))
			}
			continue
		}
		head, msg, ok := bytes.Cut(line, []byte{';'})
		f := strings.Split(string(head), ",")
		if !ok || len(f) < 3 {
			errs = append(errs, fmt.Sprintf("record %d: no PRI,SEQ,USEC;MESSAGE: %q", n+1, cut200(line)))
			continue
		}
		pri, e1 := strconv.Atoi(f[0])
		seq, e2 := strconv.ParseUint(f[1], 10, 64)
		usec, e3 := strconv.ParseUint(f[2], 10, 64)
		if e1 != nil || e2 != nil || e3 != nil || pri < 0 {
			errs = append(errs, fmt.Sprintf("record %d: bad number: %q", n+1, cut200(line)))
			continue
		}
		r := artifact.KernelRecord{Facility: pri >> 3, Level: pri & 7, Seq: seq, Usec: usec, Message: string(msg)}
		if len(f) > 3 {
			r.Flags = f[3]
		}
		out = append(out, r)
	}
	return out, errs
}

func cut200(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

// parseBinfmt parses one /proc/sys/fs/binfmt_misc/NAME file.
func parseBinfmt(name string, data []byte) artifact.BinfmtEntry {
	e := artifact.BinfmtEntry{Name: name}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch {
		case line == "enabled":
			e.Enabled = true
		case k == "interpreter":
			e.Interpreter = manifest.BString(v)
		case k == "flags:":
			e.Flags = v
		case k == "offset":
			e.Offset = v
		case k == "magic":
			e.Magic = v
		case k == "mask":
			e.Mask = v
		case k == "extension":
			e.Extension = v
		}
	}
	return e
}

// taintFlags are the bits of /proc/sys/kernel/tainted (kernel/panic.c).
var taintFlags = []struct{ letter, meaning string }{
	{"P", "proprietary module loaded"},
	{"F", "module force-loaded"},
	{"S", "kernel running on an out-of-specification system"},
	{"R", "module force-unloaded"},
	{"M", "machine check exception"},
	{"B", "bad page referenced or unexpected page flags"},
	{"U", "taint requested by userspace"},
	{"D", "kernel died recently (oops or BUG)"},
	{"A", "ACPI table overridden by user"},
	{"W", "kernel issued a warning"},
	{"C", "staging driver loaded"},
	{"I", "workaround for a platform firmware bug applied"},
	{"O", "externally-built (out-of-tree) module loaded"},
	{"E", "unsigned module loaded"},
	{"L", "soft lockup occurred"},
	{"K", "kernel live-patched"},
	{"X", "auxiliary taint (distribution-defined)"},
	{"T", "kernel built with the struct randomization plugin"},
	{"N", "in-kernel test run"},
	{"J", "userspace used a mutating debug operation in fwctl"},
}

// DecodeTaint names the set bits of a taint mask; unknown bits get "?".
func DecodeTaint(v uint64) []artifact.TaintFlag {
	var out []artifact.TaintFlag
	for bit := range 64 {
		if v&(1<<bit) == 0 {
			continue
		}
		f := artifact.TaintFlag{Bit: bit, Letter: "?", Meaning: "unknown taint bit"}
		if bit < len(taintFlags) {
			f.Letter, f.Meaning = taintFlags[bit].letter, taintFlags[bit].meaning
		}
		out = append(out, f)
	}
	return out
}

// Netlink framing (include/uapi/linux/netlink.h), native byte order.
const (
	nlmsgHdrLen = 16
	nlmsgError  = 2
	nlmsgDone   = 3
	nfgenmsgLen = 4
	nlaTypeMask = 0x3fff
	nftSubsys   = 10 // NFNL_SUBSYS_NFTABLES
	nftNewTable = 0
	nftNewChain = 3
	nftNewRule  = 6
	nftGetTable = 1
	nftGetChain = 4
	nftGetRule  = 7
)

// nlMessage is one netlink message: its type and the payload after the
// header.
type nlMessage struct {
	Type    uint16
	Payload []byte
}

// splitNetlink splits a buffer of netlink messages; a message whose length
// runs past the buffer ends the split with an error.
func splitNetlink(b []byte) ([]nlMessage, error) {
	var out []nlMessage
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:4]))
		if l < nlmsgHdrLen || l > len(b) {
			return out, fmt.Errorf("netlink message of length %d in %d bytes", l, len(b))
		}
		out = append(out, nlMessage{Type: binary.NativeEndian.Uint16(b[4:6]), Payload: b[nlmsgHdrLen:l]})
		b = b[min(len(b), (l+3)&^3):]
	}
	return out, nil
}

// nlAttrs splits netlink attributes into type -> value (the last of a
// repeated type wins; lists use nlAttrList).
func nlAttrs(b []byte) map[uint16][]byte {
	m := map[uint16][]byte{}
	for _, a := range nlAttrList(b) {
		m[a.typ] = a.val
	}
	return m
}

type nlAttr struct {
	typ uint16
	val []byte
}

func nlAttrList(b []byte) []nlAttr {
	var out []nlAttr
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < 4 || l > len(b) {
			break
		}
		out = append(out, nlAttr{typ: binary.NativeEndian.Uint16(b[2:4]) & nlaTypeMask, val: b[4:l]})
		b = b[min(len(b), (l+3)&^3):]
	}
	return out
}

func nlString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func be32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func be64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// nfFamilies names the NFPROTO_* families.
var nfFamilies = map[uint8]string{1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}

func nfFamily(f uint8) string {
	if s, ok := nfFamilies[f]; ok {
		return s
	}
	return "family-" + strconv.Itoa(int(f))
}

// parseNftDump decodes a netlink dump of nftables NEWTABLE, NEWCHAIN and
// NEWRULE messages (NFTA_* attributes, values big-endian) into doc.
func parseNftDump(b []byte, doc *artifact.Nftables) []string {
	var errs []string
	msgs, err := splitNetlink(b)
	if err != nil {
		errs = append(errs, err.Error())
	}
	for _, m := range msgs {
		if m.Type == nlmsgDone || m.Type == nlmsgError || m.Type>>8 != nftSubsys || len(m.Payload) < nfgenmsgLen {
			if m.Type == nlmsgError && len(m.Payload) >= 4 {
				if code := int32(binary.NativeEndian.Uint32(m.Payload)); code != 0 {
					errs = append(errs, fmt.Sprintf("netlink error %d", -code))
				}
			}
			continue
		}
		fam := nfFamily(m.Payload[0])
		a := nlAttrs(m.Payload[nfgenmsgLen:])
		switch m.Type & 0xff {
		case nftNewTable:
			doc.Tables = append(doc.Tables, artifact.NftTable{Family: fam, Name: nlString(a[1]),
				Flags: be32(a[2]), Use: be32(a[3]), Handle: be64(a[4])})
		case nftNewChain:
			c := artifact.NftChain{Family: fam, Table: nlString(a[1]), Handle: be64(a[2]), Name: nlString(a[3]), Type: nlString(a[7])}
			if h, ok := a[4]; ok {
				ha := nlAttrs(h)
				if v, ok := ha[1]; ok && len(v) >= 4 {
					c.Hook = ptr(int(be32(v)))
				}
				if v, ok := ha[2]; ok && len(v) >= 4 {
					c.Priority = ptr(int32(be32(v)))
				}
				c.Device = nlString(ha[3])
			}
			if v, ok := a[5]; ok && len(v) >= 4 {
				c.Policy = map[uint32]string{0: "drop", 1: "accept"}[be32(v)]
			}
			doc.Chains = append(doc.Chains, c)
		case nftNewRule:
			r := artifact.NftRule{Family: fam, Table: nlString(a[1]), Chain: nlString(a[2]), Handle: be64(a[3]), Expressions: []string{}}
			for _, el := range nlAttrList(a[4]) {
				r.Expressions = append(r.Expressions, nlString(nlAttrs(el.val)[1]))
			}
			if ud, ok := a[7]; ok {
				// NFTNL_UDATA_RULE_COMMENT (type 0): one byte type, one
				// byte length, the text.
				if len(ud) >= 2 && ud[0] == 0 && int(ud[1]) <= len(ud)-2 {
					r.Comment = nlString(ud[2 : 2+int(ud[1])])
				}
			}
			doc.Rules = append(doc.Rules, r)
		}
	}
	count := map[[3]string]int{}
	for _, r := range doc.Rules {
		count[[3]string{r.Family, r.Table, r.Chain}]++
	}
	for i := range doc.Chains {
		c := &doc.Chains[i]
		c.Rules = count[[3]string{c.Family, c.Table, c.Name}]
	}
	return errs
}

// Layouts of the legacy x_tables structures (linux/netfilter_ipv4/
// ip_tables.h, netfilter_ipv6/ip6_tables.h) on 64-bit and 32-bit hosts
// alike: the counters are 8-byte aligned.
const (
	iptEntryV4Len   = 112 // struct ipt_entry up to elems
	iptEntryV6Len   = 168 // struct ip6t_entry up to elems
	xtTargetNameOff = 2
	xtNameLen       = 29
)

// parseIptEntries walks the entry table IPT_SO_GET_ENTRIES returned
// (without its 40-byte header) and lists each rule's target, counters
// and, for IPv4, addresses and interfaces.
func parseIptEntries(b []byte, v6 bool) ([]artifact.IptEntry, []string) {
	var out []artifact.IptEntry
	var errs []string
	hdr, tOff, nOff, cOff := iptEntryV4Len, 88, 90, 96
	if v6 {
		hdr, tOff, nOff, cOff = iptEntryV6Len, 140, 142, 152
	}
	for off := 0; off < len(b); {
		e := b[off:]
		if len(e) < hdr {
			errs = append(errs, fmt.Sprintf("entry at %d: %d bytes, shorter than an entry", off, len(e)))
			break
		}
		to := int(binary.NativeEndian.Uint16(e[tOff:]))
		next := int(binary.NativeEndian.Uint16(e[nOff:]))
		if next < hdr || next > len(e) || to < hdr || to+xtTargetNameOff+xtNameLen > next {
			errs = append(errs, fmt.Sprintf("entry at %d: bad offsets (target %d, next %d)", off, to, next))
			break
		}
		ent := artifact.IptEntry{
			Target:  nlString(e[to+xtTargetNameOff : to+xtTargetNameOff+xtNameLen]),
			Packets: binary.NativeEndian.Uint64(e[cOff:]),
			Bytes:   binary.NativeEndian.Uint64(e[cOff+8:]),
		}
		if ent.Target == "" {
			// The standard target: a verdict (negative) or a jump offset.
			if to+32+4 <= next {
				v := int32(binary.NativeEndian.Uint32(e[to+32:]))
				ent.Target = map[int32]string{-1: "DROP", -2: "ACCEPT", -4: "QUEUE", -5: "RETURN"}[v]
				if ent.Target == "" {
					ent.Target = "jump:" + strconv.Itoa(int(v))
				}
			}
		}
		if !v6 {
			ent.Src = maskedV4(e[0:4], e[8:12])
			ent.Dst = maskedV4(e[4:8], e[12:16])
			ent.InIface = nlString(e[16:32])
			ent.OutIface = nlString(e[32:48])
			ent.Proto = binary.NativeEndian.Uint16(e[80:82])
		} else {
			ent.InIface = nlString(e[64:80])
			ent.OutIface = nlString(e[80:96])
			ent.Proto = binary.NativeEndian.Uint16(e[128:130])
		}
		out = append(out, ent)
		off += next
	}
	return out, errs
}

func maskedV4(a, m []byte) string {
	addr := netip.AddrFrom4([4]byte(a))
	bits := 0
	for _, x := range m {
		for x&0x80 != 0 {
			bits++
			x <<= 1
		}
	}
	if addr.IsUnspecified() && bits == 0 {
		return ""
	}
	return addr.String() + "/" + strconv.Itoa(bits)
}

// bpfProgTypes names BPF_PROG_TYPE_* (include/uapi/linux/bpf.h).
var bpfProgTypes = []string{"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
	"perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb",
	"cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2",
	"sk_reuseport", "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt",
	"tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter"}

// bpfLinkTypes names BPF_LINK_TYPE_*.
var bpfLinkTypes = []string{"unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp",
	"perf_event", "kprobe_multi", "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit", "sockmap"}

func nameOf(names []string, v uint32) string {
	if int(v) < len(names) {
		return names[v]
	}
	return "type-" + strconv.FormatUint(uint64(v), 10)
}

// Offsets in struct bpf_prog_info, bpf_map_info and bpf_link_info.
const (
	bpfInfoBufLen = 256
)

// decodeProgInfo decodes struct bpf_prog_info as the kernel filled it
// (n bytes); map IDs are read separately.
func decodeProgInfo(b []byte) (artifact.BPFProgram, bool) {
	if len(b) < 84 {
		return artifact.BPFProgram{}, false
	}
	ne := binary.NativeEndian
	p := artifact.BPFProgram{
		Type:       ne.Uint32(b[0:]),
		ID:         ne.Uint32(b[4:]),
		Tag:        hex.EncodeToString(b[8:16]),
		JitedLen:   ne.Uint32(b[16:]),
		XlatedLen:  ne.Uint32(b[20:]),
		LoadTimeNS: ne.Uint64(b[40:]),
		UID:        ne.Uint32(b[48:]),
		Name:       nlString(b[64:80]),
		MapIDs:     []uint32{},
		Holders:    []artifact.SocketOwner{},
	}
	if len(b) >= 88 {
		p.GPLCompatible = ne.Uint32(b[84:])&1 != 0
	}
	p.TypeName = nameOf(bpfProgTypes, p.Type)
	return p, true
}

func decodeMapInfo(b []byte) (artifact.BPFMap, bool) {
	if len(b) < 40 {
		return artifact.BPFMap{}, false
	}
	ne := binary.NativeEndian
	return artifact.BPFMap{Type: ne.Uint32(b[0:]), ID: ne.Uint32(b[4:]), KeySize: ne.Uint32(b[8:]),
		ValueSize: ne.Uint32(b[12:]), MaxEntries: ne.Uint32(b[16:]), Flags: ne.Uint32(b[20:]), Name: nlString(b[24:40])}, true
}

func decodeLinkInfo(b []byte) (artifact.BPFLink, bool) {
	if len(b) < 12 {
		return artifact.BPFLink{}, false
	}
	ne := binary.NativeEndian
	l := artifact.BPFLink{Type: ne.Uint32(b[0:]), ID: ne.Uint32(b[4:]), ProgID: ne.Uint32(b[8:])}
	l.TypeName = nameOf(bpfLinkTypes, l.Type)
	return l, true
}

// parseFdinfoID returns the value of "key:\tN" in a /proc/PID/fdinfo file.
func parseFdinfoID(data []byte, key string) (uint32, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && k == key {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			return uint32(n), err == nil
		}
	}
	return 0, false
}
