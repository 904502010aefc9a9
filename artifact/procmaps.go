package artifact

import (
	"strconv"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Paths of the memory-map collector's documents and preserved files.
const (
	// PathProcMaps is the parsed memory maps of every process ([ProcMaps]);
	// the raw maps are at RawMapsPath(pid).
	PathProcMaps = "volatile/processes/maps.json"
	// PathPreserved lists the program and file bytes preserved from
	// processes ([Preserved]).
	PathPreserved = "volatile/processes/preserved.json"
	// DirPreservedExe holds executables that processes run but that are
	// gone from the file system (deleted, memfd:), one file per distinct
	// SHA-256, named by it.
	DirPreservedExe = "volatile/processes/exe/"
	// DirPreservedFD holds deleted files that processes still hold open,
	// named by SHA-256.
	DirPreservedFD = "volatile/processes/fd/"
	// PathTmpPlaces summarises the walk of the temporary places
	// ([TmpPlaces]); the files themselves are under files/.
	PathTmpPlaces = "volatile/tmpplaces/tmpplaces.json"
)

// RawMapsPath is where /proc/PID/maps is stored raw.
func RawMapsPath(pid int) string {
	return "volatile/raw/proc/" + strconv.Itoa(pid) + "/maps"
}

// ProcMaps is volatile/processes/maps.json: for every process, the files
// it maps and the regions that rules look at. The raw maps of each process
// are stored beside it (RawMapsPath).
type ProcMaps struct {
	Header
	CollectedAt time.Time `json:"collected_at"`
	Count       int       `json:"count"`
	// EnvironSkipped says process environments were not read (the
	// no_environ option), so the LD_PRELOAD rule did not run.
	EnvironSkipped bool          `json:"environ_skipped,omitempty"`
	Processes      []ProcessMaps `json:"processes"`
	Errors         []string      `json:"errors,omitempty"`
}

// ProcessMaps is one process's memory map, summarised.
type ProcessMaps struct {
	PID  int              `json:"pid"`
	Name manifest.BString `json:"name,omitempty"`
	// Exe is /proc/PID/exe's target without " (deleted)"; ExeDeleted says
	// the kernel marked it deleted and the name no longer leads to it.
	Exe        manifest.BString `json:"exe,omitempty"`
	ExeDeleted bool             `json:"exe_deleted,omitempty"`
	// ExeSHA256 names the preserved copy of a deleted or memory-only
	// executable (DirPreservedExe + ExeSHA256), when one was stored.
	ExeSHA256 string `json:"exe_sha256,omitempty"`
	// Raw is the bundle path of the raw maps.
	Raw     string `json:"raw,omitempty"`
	Regions int    `json:"regions"`
	// Files are the distinct files mapped, in address order.
	Files []MappedFile `json:"files,omitempty"`
	// AnonExec are the anonymous executable regions other than the
	// kernel's own ([vdso], [vsyscall]).
	AnonExec []MapRegion `json:"anon_exec,omitempty"`
	// LDPreload holds the LD_PRELOAD values in the environment.
	LDPreload []manifest.BString `json:"ld_preload,omitempty"`
	// DeletedFDs are open descriptors whose file is deleted.
	DeletedFDs []DeletedFD `json:"deleted_fds,omitempty"`
	Outcome    string      `json:"outcome"`
	Errors     []string    `json:"errors,omitempty"`
}

// MappedFile is one file mapped by a process.
type MappedFile struct {
	Path    manifest.BString `json:"path"`
	Deleted bool             `json:"deleted,omitempty"`
	// Exec says one of its regions is executable (code: the program or a
	// library).
	Exec    bool   `json:"exec,omitempty"`
	Dev     string `json:"dev"`
	Inode   uint64 `json:"inode"`
	Regions int    `json:"regions"`
}

// MapRegion is one region as /proc/PID/maps gives it (addresses in hex).
type MapRegion struct {
	Start string           `json:"start"`
	End   string           `json:"end"`
	Perms string           `json:"perms"`
	Name  manifest.BString `json:"name,omitempty"`
}

// DeletedFD is an open descriptor of a deleted file.
type DeletedFD struct {
	FD     int              `json:"fd"`
	Target manifest.BString `json:"target"`
	// SHA256 names the preserved copy (DirPreservedFD + SHA256), when
	// one was stored.
	SHA256 string `json:"sha256,omitempty"`
}

// Preserved is volatile/processes/preserved.json: the bytes hozen kept of
// programs and files that exist only in a process's hands.
type Preserved struct {
	Header
	CollectedAt time.Time `json:"collected_at"`
	// MaxBytes bounds the bytes preserved in all; MaxFileBytes each file.
	MaxBytes     int64 `json:"max_bytes"`
	MaxFileBytes int64 `json:"max_file_bytes"`
	UsedBytes    int64 `json:"used_bytes"`
	// BudgetHit says a file was cut or skipped for MaxBytes (or the
	// collection's total budget).
	BudgetHit bool            `json:"budget_hit,omitempty"`
	Files     []PreservedFile `json:"files"`
}

// PreservedFile is one preserved file.
type PreservedFile struct {
	// Kind is "exe" (a process's executable) or "fd" (an open file).
	Kind string `json:"kind"`
	// Path is the bundle path of the bytes; empty when none were stored.
	Path   string `json:"path,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	// Size is the file's size; Stored the bytes stored (fewer when cut).
	Size      int64             `json:"size"`
	Stored    int64             `json:"stored"`
	Truncated bool              `json:"truncated,omitempty"`
	Device    uint64            `json:"device,omitempty"`
	Inode     uint64            `json:"inode,omitempty"`
	Holders   []PreservedHolder `json:"holders"`
	Error     string            `json:"error,omitempty"`
}

// PreservedHolder is a process that runs or holds a preserved file.
type PreservedHolder struct {
	PID int `json:"pid"`
	// FD is the descriptor, for Kind "fd".
	FD *int `json:"fd,omitempty"`
	// Original is the path the kernel gives, without " (deleted)".
	Original manifest.BString `json:"original"`
}

// TmpPlaces is volatile/tmpplaces/tmpplaces.json: what the walk of the
// temporary places covered, and where it stopped.
type TmpPlaces struct {
	Header
	CollectedAt time.Time `json:"collected_at"`
	Places      []string  `json:"places"`
	// Files counts the entries recorded; Executables those a rule flagged.
	Files       int `json:"files"`
	Executables int `json:"executables"`
	// MaxFiles bounds the entries of each place.
	MaxFiles int   `json:"max_files"`
	MaxBytes int64 `json:"max_bytes"`
	// MaxFileBytes is the per-file cap on contents.
	MaxFileBytes int64 `json:"max_file_bytes"`
	// Stopped says which walks ended early, and why.
	Stopped []string `json:"stopped,omitempty"`
}
