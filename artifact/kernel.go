package artifact

import (
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Paths of the kernel and firewall collectors' documents.
const (
	PathRawSockets   = "volatile/kernel/raw_sockets.json"
	PathKernelLog    = "volatile/kernel/kmsg.json"
	PathModuleCheck  = "volatile/kernel/module_check.json"
	PathBPF          = "volatile/kernel/bpf.json"
	PathSysctl       = "volatile/kernel/sysctl.json"
	PathBinfmt       = "volatile/kernel/binfmt_misc.json"
	PathNftables     = "volatile/firewall/nftables.json"
	PathIptables     = "volatile/firewall/iptables.json"
	PathRawKernelLog = "volatile/raw/dev/kmsg"
	PathRawNftPrefix = "volatile/raw/netlink/nftables-"    // + kind + ".bin"
	PathRawIptPrefix = "volatile/raw/getsockopt/iptables-" // + family-table + ".bin"
)

// RawSocket is one raw (/proc/net/raw, raw6) or packet (/proc/net/packet)
// socket with the processes that hold it.
type RawSocket struct {
	// Table is "raw", "raw6" or "packet".
	Table string `json:"table"`
	// Protocol is the IP protocol of a raw socket (the "port" column) or
	// the ethertype of a packet socket (0x0003 is ETH_P_ALL: every frame).
	Protocol     uint16 `json:"protocol"`
	ProtocolName string `json:"protocol_name,omitempty"`
	// Type is the packet socket's type ("raw", "dgram"); empty for raw.
	Type      string `json:"type,omitempty"`
	LocalAddr string `json:"local_addr,omitempty"`
	// Iface is the interface index a packet socket is bound to; 0: all.
	Iface       int           `json:"iface,omitempty"`
	UID         uint32        `json:"uid"`
	User        string        `json:"user,omitempty"`
	Inode       uint64        `json:"inode"`
	Drops       uint64        `json:"drops,omitempty"`
	OwnerStatus string        `json:"owner_status"`
	Owners      []SocketOwner `json:"owners"`
	// OwnerExes are the owners' executables (/proc/PID/exe), by PID.
	OwnerExes map[int]manifest.BString `json:"owner_exes,omitempty"`
}

// RawSockets is raw_sockets.json.
type RawSockets struct {
	Header
	CollectedAt time.Time   `json:"collected_at"`
	Sockets     []RawSocket `json:"sockets"`
	Errors      []string    `json:"errors,omitempty"`
}

// KernelRecord is one /dev/kmsg record.
type KernelRecord struct {
	Facility int    `json:"facility"`
	Level    int    `json:"level"`
	Seq      uint64 `json:"seq"`
	// Usec is microseconds since boot (CLOCK_MONOTONIC at logging).
	Usec    uint64 `json:"usec"`
	Flags   string `json:"flags,omitempty"`
	Message string `json:"message"`
	// Dict is the record's KEY=value continuation lines.
	Dict []string `json:"dict,omitempty"`
}

// KernelLog is kmsg.json: the kernel ring buffer as /dev/kmsg gave it.
type KernelLog struct {
	Header
	CollectedAt time.Time      `json:"collected_at"`
	Source      string         `json:"source"`
	Records     []KernelRecord `json:"records"`
	// Lost counts EPIPE reads: records overwritten while reading.
	Lost int `json:"lost,omitempty"`
	// Truncated says a bound (bytes, records or time) ended the read.
	Truncated string   `json:"truncated,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// ModuleView is a loadable module as /sys/module shows it.
type ModuleView struct {
	Name string `json:"name"`
	// InProcModules and InSysModule say where the module was seen.
	InProcModules bool   `json:"in_proc_modules"`
	InSysModule   bool   `json:"in_sys_module"`
	InitState     string `json:"initstate,omitempty"`
	RefCount      string `json:"refcnt,omitempty"`
	Taint         string `json:"taint,omitempty"`
}

// ModuleCheck is module_check.json: /proc/modules against /sys/module.
type ModuleCheck struct {
	Header
	CollectedAt time.Time `json:"collected_at"`
	Method      string    `json:"method"`
	// Builtin counts /sys/module entries of built-in code (no initstate).
	Builtin int `json:"builtin"`
	// Modules lists every loadable module seen in either place.
	Modules []ModuleView `json:"modules"`
	// Mismatch lists those seen in one place only, in both reads.
	Mismatch []ModuleView `json:"mismatch"`
	Errors   []string     `json:"errors,omitempty"`
}

// BPFProgram is one loaded eBPF program (BPF_OBJ_GET_INFO_BY_FD).
type BPFProgram struct {
	ID       uint32 `json:"id"`
	Type     uint32 `json:"type"`
	TypeName string `json:"type_name"`
	Name     string `json:"name"`
	Tag      string `json:"tag"`
	// LoadedAt is the load time (boot time + the kernel's nanoseconds
	// since boot), when the boot time is known.
	LoadedAt      *time.Time    `json:"loaded_at,omitempty"`
	LoadTimeNS    uint64        `json:"load_time_ns"`
	UID           uint32        `json:"uid"`
	MapIDs        []uint32      `json:"map_ids"`
	Holders       []SocketOwner `json:"holders"`
	XlatedLen     uint32        `json:"xlated_len"`
	JitedLen      uint32        `json:"jited_len"`
	GPLCompatible bool          `json:"gpl_compatible"`
}

// BPFMap is one eBPF map.
type BPFMap struct {
	ID         uint32 `json:"id"`
	Type       uint32 `json:"type"`
	Name       string `json:"name"`
	KeySize    uint32 `json:"key_size"`
	ValueSize  uint32 `json:"value_size"`
	MaxEntries uint32 `json:"max_entries"`
	Flags      uint32 `json:"flags"`
}

// BPFLink is one eBPF link (an attachment).
type BPFLink struct {
	ID       uint32 `json:"id"`
	Type     uint32 `json:"type"`
	TypeName string `json:"type_name"`
	ProgID   uint32 `json:"prog_id"`
}

// BPFObjects is bpf.json.
type BPFObjects struct {
	Header
	CollectedAt time.Time    `json:"collected_at"`
	Method      string       `json:"method"`
	Programs    []BPFProgram `json:"programs"`
	Maps        []BPFMap     `json:"maps"`
	Links       []BPFLink    `json:"links"`
	Errors      []string     `json:"errors,omitempty"`
}

// Sysctls is sysctl.json: every readable value under /proc/sys/{kernel,
// net,fs,vm}, by dotted name, as the kernel printed it (trimmed).
type Sysctls struct {
	Header
	CollectedAt time.Time         `json:"collected_at"`
	Values      map[string]string `json:"values"`
	Count       int               `json:"count"`
	Truncated   string            `json:"truncated,omitempty"`
	Errors      []string          `json:"errors,omitempty"`
}

// BinfmtEntry is one /proc/sys/fs/binfmt_misc entry.
type BinfmtEntry struct {
	Name        string           `json:"name"`
	Enabled     bool             `json:"enabled"`
	Interpreter manifest.BString `json:"interpreter"`
	Flags       string           `json:"flags,omitempty"`
	Offset      string           `json:"offset,omitempty"`
	Magic       string           `json:"magic,omitempty"`
	Mask        string           `json:"mask,omitempty"`
	Extension   string           `json:"extension,omitempty"`
}

// Binfmt is binfmt_misc.json.
type Binfmt struct {
	Header
	CollectedAt time.Time     `json:"collected_at"`
	Status      string        `json:"status,omitempty"`
	Entries     []BinfmtEntry `json:"entries"`
	Errors      []string      `json:"errors,omitempty"`
}

// NftTable, NftChain and NftRule are nftables objects decoded from the
// netlink dump.
type NftTable struct {
	Family string `json:"family"`
	Name   string `json:"name"`
	Flags  uint32 `json:"flags"`
	Use    uint32 `json:"use"`
	Handle uint64 `json:"handle"`
}

type NftChain struct {
	Family   string `json:"family"`
	Table    string `json:"table"`
	Name     string `json:"name"`
	Handle   uint64 `json:"handle"`
	Type     string `json:"type,omitempty"`
	Hook     *int   `json:"hook,omitempty"`
	Priority *int32 `json:"priority,omitempty"`
	Device   string `json:"device,omitempty"`
	// Policy is the base chain's verdict: "accept" or "drop".
	Policy string `json:"policy,omitempty"`
	Rules  int    `json:"rules"`
}

type NftRule struct {
	Family string `json:"family"`
	Table  string `json:"table"`
	Chain  string `json:"chain"`
	Handle uint64 `json:"handle"`
	// Expressions names the rule's expressions in order ("meta", "cmp",
	// "immediate"); their data is in the raw dump.
	Expressions []string `json:"expressions"`
	Comment     string   `json:"comment,omitempty"`
}

// Nftables is nftables.json.
type Nftables struct {
	Header
	CollectedAt time.Time  `json:"collected_at"`
	Method      string     `json:"method"`
	Tables      []NftTable `json:"tables"`
	Chains      []NftChain `json:"chains"`
	Rules       []NftRule  `json:"rules"`
	Errors      []string   `json:"errors,omitempty"`
}

// IptEntry is one rule of a legacy iptables table.
type IptEntry struct {
	Target  string `json:"target"`
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	// Src and Dst are "addr/mask" (IPv4 only; IPv6 in the raw bytes).
	Src      string `json:"src,omitempty"`
	Dst      string `json:"dst,omitempty"`
	InIface  string `json:"in_iface,omitempty"`
	OutIface string `json:"out_iface,omitempty"`
	Proto    uint16 `json:"proto,omitempty"`
}

// IptTable is one legacy table as IPT_SO_GET_INFO/GET_ENTRIES gave it.
type IptTable struct {
	Family     string     `json:"family"`
	Name       string     `json:"name"`
	ValidHooks uint32     `json:"valid_hooks"`
	NumEntries uint32     `json:"num_entries"`
	Size       uint32     `json:"size"`
	Raw        string     `json:"raw,omitempty"`
	Entries    []IptEntry `json:"entries"`
	Errors     []string   `json:"errors,omitempty"`
}

// Iptables is iptables.json.
type Iptables struct {
	Header
	CollectedAt time.Time  `json:"collected_at"`
	Method      string     `json:"method"`
	Tables      []IptTable `json:"tables"`
	Errors      []string   `json:"errors,omitempty"`
}

// TaintFlag is one set bit of /proc/sys/kernel/tainted.
type TaintFlag struct {
	Bit     int    `json:"bit"`
	Letter  string `json:"letter"`
	Meaning string `json:"meaning"`
}
