package artifact

import "time"

// Paths of the package and file-system documents.
const (
	PathDpkgPackages = "volatile/packages/dpkg.json"
	PathDpkgVerify   = "volatile/packages/dpkg_verify.json"
	PathRPM          = "volatile/packages/rpm.json"
	PathRPMVerify    = "volatile/packages/rpm_verify.json"
	PathExeHashes    = "volatile/filesystem/exe_hashes.json"
	PathFileSystem   = "volatile/filesystem/filesystem.json"
	// PathBodyfilePrefix starts the bodyfile's parts: bodyfile.000,
	// bodyfile.001, ..., each a complete Sleuth Kit 3.x bodyfile of whole
	// lines; concatenated in order they are the whole.
	PathBodyfilePrefix = "volatile/filesystem/bodyfile."
	DirPackages        = "volatile/packages/"
	DirFileSystem      = "volatile/filesystem/"
)

// DpkgPackage is one stanza of /var/lib/dpkg/status.
type DpkgPackage struct {
	Name          string `json:"name"`
	Version       string `json:"version,omitempty"`
	Architecture  string `json:"architecture,omitempty"`
	Status        string `json:"status,omitempty"` // "install ok installed"
	Source        string `json:"source,omitempty"`
	MultiArch     string `json:"multi_arch,omitempty"`
	InstalledSize int64  `json:"installed_size_kib,omitempty"`
	Maintainer    string `json:"maintainer,omitempty"`
	// Conffiles are the package's configuration files with the MD5 dpkg
	// recorded at installation.
	Conffiles []DpkgConffile `json:"conffiles,omitempty"`
}

// DpkgConffile is one line of a status stanza's Conffiles field.
type DpkgConffile struct {
	Path     string `json:"path"`
	MD5      string `json:"md5"`
	Obsolete bool   `json:"obsolete,omitempty"`
}

// DpkgPackages is volatile/packages/dpkg.json: the dpkg inventory.
type DpkgPackages struct {
	Header
	// Source is the status file read; the raw file is stored beside.
	Source   string        `json:"source"`
	Packages []DpkgPackage `json:"packages"`
	// Errors are stanzas or lines that did not parse.
	Errors []string `json:"errors,omitempty"`
}

// DpkgVerify is volatile/packages/dpkg_verify.json: package files checked
// against the MD5 sums dpkg recorded (/var/lib/dpkg/info/*.md5sums and the
// status file's Conffiles), as `dpkg -V` checks them.
type DpkgVerify struct {
	Header
	// Scope is "programs" (program and library directories) or "all".
	Scope       string `json:"scope"`
	Packages    int    `json:"packages"`
	FilesListed int64  `json:"files_listed"`
	// FilesInScope counts the files the scope covers, of which
	// FilesChecked were hashed before any bound stopped the check.
	FilesInScope int64 `json:"files_in_scope,omitempty"`
	FilesChecked int64 `json:"files_checked"`
	BytesChecked int64 `json:"bytes_checked"`
	// SkippedLarge counts files in scope not hashed for their size (the
	// programs scope hashes files up to 32 MiB).
	SkippedLarge int64 `json:"skipped_large,omitempty"`
	// Limit says which bound stopped the check early ("bytes", "time"),
	// empty when every file in scope was checked.
	Limit string `json:"limit,omitempty"`
	// Stopped says, when a bound was hit, which one and how much of the
	// scope was checked ("time (1.5s) budget hit: 812 of 5120 files in
	// scope checked").
	Stopped  string     `json:"stopped,omitempty"`
	Failures []DpkgFail `json:"failures"`
	// FailuresDropped counts failures beyond the list's cap.
	FailuresDropped int64    `json:"failures_dropped,omitempty"`
	Errors          []string `json:"errors,omitempty"`
}

// DpkgFail is one package file that does not match its record.
type DpkgFail struct {
	Package string `json:"package"`
	Path    string `json:"path"`
	// Kind is "checksum" (contents differ), "missing", "not-regular"
	// (a symlink or other file in its place), "unreadable" or "bad-entry".
	Kind     string `json:"kind"`
	Conffile bool   `json:"conffile,omitempty"`
	Expected string `json:"expected_md5,omitempty"`
	Actual   string `json:"actual_md5,omitempty"`
	Error    string `json:"error,omitempty"`
	// Mtime and Ctime are the file's, when it could be stat'ed.
	Mtime *time.Time `json:"mtime,omitempty"`
	Ctime *time.Time `json:"ctime,omitempty"`
}

// RPMDatabase is volatile/packages/rpm.json: the RPM database files
// found (each stored raw at its files/ path) and, where one of them is
// rpmdb.sqlite (RPM 4.16 and later), the inventory parsed from the bytes
// stored. Berkeley DB (Packages) and ndb (Packages.db) databases are
// stored raw only.
type RPMDatabase struct {
	Header
	Files []RPMFile `json:"files"`
	// Source is the rpmdb.sqlite the inventory was read from, empty when
	// none was parsed.
	Source string `json:"source,omitempty"`
	// WAL says what became of its -wal file: "none" (absent or empty),
	// "merged" (its committed transactions applied, as SQLite applies
	// them on opening), "invalid" (not a WAL SQLite would read), or
	// "not merged: REASON".
	WAL       string `json:"wal,omitempty"`
	WALFrames int    `json:"wal_frames,omitempty"`
	// Packages is the inventory, in the database's order (hnum).
	Packages []RPMPackage `json:"packages"`
	// Errors are headers that did not parse and read errors.
	Errors []string `json:"errors,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// RPMFile is one RPM database file found, and its bundle path.
type RPMFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Stored string `json:"stored,omitempty"`
	Error  string `json:"error,omitempty"`
}

// RPMPackage is one package header of rpmdb.sqlite.
type RPMPackage struct {
	// Hnum is the header's number in the database (Packages.hnum).
	Hnum    int64  `json:"hnum"`
	Name    string `json:"name"`
	Epoch   *int32 `json:"epoch,omitempty"`
	Version string `json:"version"`
	Release string `json:"release"`
	Arch    string `json:"arch,omitempty"`
	// InstallTime is when rpm installed it (INSTALLTIME).
	InstallTime *time.Time `json:"install_time,omitempty"`
	Size        int64      `json:"size"`
	Vendor      string     `json:"vendor,omitempty"`
	Packager    string     `json:"packager,omitempty"`
	SourceRPM   string     `json:"source_rpm,omitempty"`
	// DigestAlgo names the file digests' algorithm ("md5", "sha256", ...).
	DigestAlgo string `json:"digest_algo,omitempty"`
	Files      int    `json:"files"`
	Error      string `json:"error,omitempty"`
}

// RPMVerify is volatile/packages/rpm_verify.json: the files of RPM
// packages checked against the digests in their headers (FILEDIGESTS),
// as `rpm -V` checks them, in the same scope and bounds as [DpkgVerify].
type RPMVerify struct {
	Header
	Scope        string `json:"scope"`
	Packages     int    `json:"packages"`
	FilesListed  int64  `json:"files_listed"`
	FilesChecked int64  `json:"files_checked"`
	BytesChecked int64  `json:"bytes_checked"`
	SkippedLarge int64  `json:"skipped_large,omitempty"`
	// SkippedAlgo counts files whose digest algorithm hozen does not
	// compute.
	SkippedAlgo     int64     `json:"skipped_algo,omitempty"`
	Limit           string    `json:"limit,omitempty"`
	Failures        []RPMFail `json:"failures"`
	FailuresDropped int64     `json:"failures_dropped,omitempty"`
	Errors          []string  `json:"errors,omitempty"`
}

// RPMFail is one RPM package file that does not match its header.
type RPMFail struct {
	Package  string     `json:"package"`
	Path     string     `json:"path"`
	Kind     string     `json:"kind"` // as DpkgFail's
	Conffile bool       `json:"conffile,omitempty"`
	Algo     string     `json:"algo,omitempty"`
	Expected string     `json:"expected,omitempty"`
	Actual   string     `json:"actual,omitempty"`
	Error    string     `json:"error,omitempty"`
	Mtime    *time.Time `json:"mtime,omitempty"`
	Ctime    *time.Time `json:"ctime,omitempty"`
}

// ProgramFile is one file in a program directory.
type ProgramFile struct {
	Path  string    `json:"path"`
	Type  string    `json:"type"` // "file" or "symlink"
	Mode  string    `json:"mode"`
	UID   uint32    `json:"uid"`
	GID   uint32    `json:"gid"`
	Size  int64     `json:"size"`
	Mtime time.Time `json:"mtime"`
	// SHA256 of the contents (files only; empty when not read).
	SHA256 string `json:"sha256,omitempty"`
	Target string `json:"target,omitempty"` // a symlink's target
	// Package owns the path by dpkg's lists; empty for none or unknown.
	Packaged *bool  `json:"packaged,omitempty"`
	Error    string `json:"error,omitempty"`
}

// ExeHashes is volatile/filesystem/exe_hashes.json.
type ExeHashes struct {
	Header
	Dirs  []string      `json:"dirs"`
	Files []ProgramFile `json:"files"`
	// Limit names the bound that stopped the walk ("files", "time",
	// "bytes"), empty when none did.
	Limit string `json:"limit,omitempty"`
	// Hashed counts the files hashed (or that failed to hash, with their
	// error); Stopped says, when the time budget left some executables
	// listed without a hash, how many of how many were hashed.
	Hashed  int      `json:"hashed"`
	Stopped string   `json:"stopped,omitempty"`
	Errors  []string `json:"errors,omitempty"`
}

// FSMount is one mount the file-system walk considered.
type FSMount struct {
	MountPoint string `json:"mount_point"`
	FSType     string `json:"fs_type"`
	Source     string `json:"source,omitempty"`
	// Walked is false for pseudo and network file systems and for a mount
	// of a device already walked; Reason says why.
	Walked bool   `json:"walked"`
	Reason string `json:"reason,omitempty"`
	Files  int64  `json:"files,omitempty"`
}

// FSEntry is one file a file-system rule flagged.
type FSEntry struct {
	Path  string    `json:"path"`
	Mode  string    `json:"mode"`
	UID   uint32    `json:"uid"`
	GID   uint32    `json:"gid"`
	Size  int64     `json:"size"`
	Mtime time.Time `json:"mtime"`
	// Detail: the capability set (hex), the attribute flags, ...
	Detail string `json:"detail,omitempty"`
}

// FileSystem is volatile/filesystem/filesystem.json: what the metadata
// walk covered, its bodyfile parts, and the files its rules flagged.
type FileSystem struct {
	Header
	Mounts []FSMount `json:"mounts"`
	// Bodyfile lists the bundle paths of the bodyfile's parts in order.
	Bodyfile []string `json:"bodyfile"`
	Files    int64    `json:"files"`
	// Limit names the bound that stopped the walk ("files", "time").
	Limit string `json:"limit,omitempty"`
	// Flagged lists, per rule id, the files it flagged (capped at
	// FlaggedCap each; Dropped counts the rest).
	Flagged map[string][]FSEntry `json:"flagged"`
	Dropped map[string]int64     `json:"dropped,omitempty"`
	Errors  []string             `json:"errors,omitempty"`
	// ErrorsDropped counts errors beyond the list's cap.
	ErrorsDropped int64 `json:"errors_dropped,omitempty"`
}
