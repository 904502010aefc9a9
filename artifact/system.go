package artifact

import (
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Clock is the host clock as read at collection time.
type Clock struct {
	// HostUTC is the host's clock (Env.Now) in UTC.
	HostUTC time.Time `json:"host_utc"`
	// ReferenceTime is the responder's time, when given; SkewSeconds is
	// HostUTC minus it (positive: the host clock is ahead).
	ReferenceTime *time.Time `json:"reference_time,omitempty"`
	SkewSeconds   *float64   `json:"skew_seconds,omitempty"`
}

// TimeZone is how the host is set to show time.
type TimeZone struct {
	// Name is /etc/timezone (Debian family), trimmed.
	Name string `json:"name,omitempty"`
	// LocaltimeLink is the target of the /etc/localtime symlink and
	// FromLink the zone name it gives ("Europe/Berlin").
	LocaltimeLink string `json:"localtime_link,omitempty"`
	FromLink      string `json:"from_link,omitempty"`
	// LocaltimeSHA256 is the digest of /etc/localtime when it is a file.
	LocaltimeSHA256 string `json:"localtime_sha256,omitempty"`
	// UTCOffsetSeconds is the collector's own zone offset at HostUTC, on a
	// live host the zone Go resolved from /etc/localtime.
	UTCOffsetSeconds *int `json:"utc_offset_seconds,omitempty"`
}

// Kernel describes the running kernel.
type Kernel struct {
	Release     string `json:"release"`
	Version     string `json:"version"`
	Type        string `json:"type,omitempty"`
	CommandLine string `json:"command_line,omitempty"`
	// Tainted is /proc/sys/kernel/tainted: non-zero after, for example, an
	// unsigned or out-of-tree module was loaded.
	Tainted *uint64 `json:"tainted,omitempty"`
	// TaintFlags decodes Tainted, one entry per set bit.
	TaintFlags []TaintFlag `json:"taint_flags,omitempty"`
}

// SystemInfo is system.json.
type SystemInfo struct {
	Header
	Clock      Clock             `json:"clock"`
	Hostname   string            `json:"hostname"`
	DomainName string            `json:"domain_name,omitempty"`
	OS         string            `json:"os"`
	OSRelease  map[string]string `json:"os_release,omitempty"`
	// OSReleaseSource is the file OSRelease came from.
	OSReleaseSource string     `json:"os_release_source,omitempty"`
	PrettyName      string     `json:"pretty_name,omitempty"`
	Kernel          Kernel     `json:"kernel"`
	MachineID       string     `json:"machine_id,omitempty"`
	BootID          string     `json:"boot_id,omitempty"`
	BootTime        *time.Time `json:"boot_time,omitempty"`
	UptimeSeconds   *float64   `json:"uptime_seconds,omitempty"`
	TimeZone        TimeZone   `json:"time_zone"`
	Errors          []string   `json:"errors,omitempty"`
}

// Module is one line of /proc/modules.
type Module struct {
	Name     string   `json:"name"`
	Size     int64    `json:"size"`
	RefCount int64    `json:"ref_count"`
	UsedBy   []string `json:"used_by"`
	State    string   `json:"state"`
	Address  string   `json:"address"`
	// Taint is the flags in parentheses ("OE": out-of-tree, unsigned).
	Taint string `json:"taint,omitempty"`
}

// Mount is one line of /proc/self/mountinfo. Paths are byte strings with
// the kernel's octal escapes (\040) decoded.
type Mount struct {
	ID           int64            `json:"id"`
	ParentID     int64            `json:"parent_id"`
	Device       string           `json:"device"` // major:minor
	Root         manifest.BString `json:"root"`
	MountPoint   manifest.BString `json:"mount_point"`
	Options      string           `json:"options"`
	Optional     []string         `json:"optional"`
	FSType       string           `json:"fs_type"`
	Source       manifest.BString `json:"source"`
	SuperOptions string           `json:"super_options"`
}

// BlockDevice is one entry of /sys/block.
type BlockDevice struct {
	Name      string      `json:"name"`
	SizeBytes *int64      `json:"size_bytes,omitempty"`
	Removable *bool       `json:"removable,omitempty"`
	ReadOnly  *bool       `json:"read_only,omitempty"`
	Vendor    string      `json:"vendor,omitempty"`
	Model     string      `json:"model,omitempty"`
	Serial    string      `json:"serial,omitempty"`
	Partition []Partition `json:"partitions,omitempty"`
}

// Partition is a partition of a block device.
type Partition struct {
	Name        string `json:"name"`
	Number      int64  `json:"number"`
	StartSector int64  `json:"start_sector"`
	SizeBytes   int64  `json:"size_bytes"`
}

// Table is the JSON of a parsed kernel table with what went wrong.
type Table[T any] struct {
	Header
	Source string   `json:"source"`
	Items  []T      `json:"items"`
	Errors []string `json:"errors,omitempty"`
}
