package report

import (
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// The structs below decode the collectors' larger JSON artifacts (see
// package collect: ProcessTable, SocketTable, LoginFiles, LastlogFile,
// SystemInfo, HiddenPIDs, UnownedSockets) into only the fields the report
// shows, where the report reshapes them (a process tree, sockets joined to
// processes). Tables the report shows as they are (interfaces, routes,
// neighbours) use collect's types directly. The tests marshal the fixtures
// with collect's own types, which keeps the two in step.

type jsonProcTable struct {
	CollectedAt time.Time  `json:"collected_at"`
	Source      string     `json:"source"`
	BootTime    *time.Time `json:"boot_time"`
	Count       int        `json:"count"`
	Vanished    int        `json:"vanished"`
	Processes   []jsonProc `json:"processes"`
	Errors      []string   `json:"errors"`
}

type jsonProc struct {
	PID          int                `json:"pid"`
	PPID         int                `json:"ppid"`
	Name         manifest.BString   `json:"name"`
	State        string             `json:"state"`
	UID          *uint32            `json:"uid"`
	EUID         *uint32            `json:"euid"`
	User         string             `json:"user"`
	EUser        string             `json:"euser"`
	StartTime    *time.Time         `json:"start_time"`
	Argv         []manifest.BString `json:"argv"`
	Exe          manifest.BString   `json:"exe"`
	ExeDeleted   bool               `json:"exe_deleted"`
	ExeHash      *jsonExeHash       `json:"exe_hash"`
	Cwd          manifest.BString   `json:"cwd"`
	FDCount      int                `json:"fd_count"`
	Threads      int                `json:"threads"`
	RSSBytes     uint64             `json:"rss_bytes"`
	KernelThread bool               `json:"kernel_thread"`
	TracerPID    int                `json:"tracer_pid"`
	Hidden       bool               `json:"hidden"`
	Outcome      string             `json:"outcome"`
	Errors       []string           `json:"errors"`
}

type jsonExeHash struct {
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Hashed    int64  `json:"hashed"`
	Truncated bool   `json:"truncated"`
	Error     string `json:"error"`
}

type jsonSocketTable struct {
	Sockets []jsonSocket `json:"sockets"`
	Errors  []string     `json:"errors"`
}

type jsonSocket struct {
	Proto       string      `json:"proto"`
	State       string      `json:"state"`
	LocalAddr   string      `json:"local_addr"`
	LocalPort   uint16      `json:"local_port"`
	RemoteAddr  string      `json:"remote_addr"`
	RemotePort  uint16      `json:"remote_port"`
	Listening   bool        `json:"listening"`
	UID         *uint32     `json:"uid"`
	User        string      `json:"user"`
	Inode       uint64      `json:"inode"`
	OwnerStatus string      `json:"owner_status"`
	Owners      []jsonOwner `json:"owners"`
}

type jsonOwner struct {
	PID  int              `json:"pid"`
	Name manifest.BString `json:"name"`
	FD   int              `json:"fd"`
}

type jsonLoginFiles struct {
	Files []struct {
		Source  string      `json:"source"`
		Outcome string      `json:"outcome"`
		Errors  []string    `json:"errors"`
		Records []jsonLogin `json:"records"`
	} `json:"files"`
}

type jsonLogin struct {
	Type     int16            `json:"type"`
	TypeName string           `json:"type_name"`
	PID      int32            `json:"pid"`
	Line     manifest.BString `json:"line"`
	User     manifest.BString `json:"user"`
	Host     manifest.BString `json:"host"`
	Time     time.Time        `json:"time"`
	Address  string           `json:"address"`
}

type jsonLastlogFile struct {
	Source  string `json:"source"`
	Outcome string `json:"outcome"`
	Entries []struct {
		UID       uint32           `json:"uid"`
		User      string           `json:"user"`
		Time      time.Time        `json:"time"`
		Line      manifest.BString `json:"line"`
		Host      manifest.BString `json:"host"`
		NoAccount bool             `json:"no_account"`
	} `json:"entries"`
	Errors []string `json:"errors"`
}

type jsonAccounts struct {
	UID0 []manifest.BString `json:"uid0"`
}

type jsonSystem struct {
	Clock struct {
		HostUTC       time.Time  `json:"host_utc"`
		ReferenceTime *time.Time `json:"reference_time"`
		SkewSeconds   *float64   `json:"skew_seconds"`
	} `json:"clock"`
	Hostname   string `json:"hostname"`
	OS         string `json:"os"`
	PrettyName string `json:"pretty_name"`
	Kernel     struct {
		Release     string  `json:"release"`
		Version     string  `json:"version"`
		CommandLine string  `json:"command_line"`
		Tainted     *uint64 `json:"tainted"`
	} `json:"kernel"`
	MachineID     string     `json:"machine_id"`
	BootID        string     `json:"boot_id"`
	BootTime      *time.Time `json:"boot_time"`
	UptimeSeconds *float64   `json:"uptime_seconds"`
	TimeZone      struct {
		Name             string `json:"name"`
		UTCOffsetSeconds *int   `json:"utc_offset_seconds"`
	} `json:"time_zone"`
	Errors []string `json:"errors"`
}

type jsonHiddenPIDs struct {
	Method []string `json:"method"`
	Listed int      `json:"listed"`
	Hidden []struct {
		PID       int              `json:"pid"`
		Tgid      int              `json:"tgid"`
		Kind      string           `json:"kind"`
		Name      manifest.BString `json:"name"`
		SeenBy    []string         `json:"seen_by"`
		ProcEntry bool             `json:"proc_entry"`
		Note      string           `json:"note"`
	} `json:"hidden"`
	Errors []string `json:"errors"`
}

type jsonUnowned struct {
	Method  string       `json:"method"`
	Sockets []jsonSocket `json:"sockets"`
}
