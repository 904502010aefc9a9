package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Format is the bundle format this package writes. hozen-bundle/2 is
// hozen-bundle/1 plus hozen/SHA256SUMS.sig, a signature of SHA256SUMS by
// the manifest's signer, in every signed bundle: with it SHA256SUMS binds
// every file to the signer for `sha256sum -c` too.
const Format = "hozen-bundle/2"

// FormatV1 is the format before SHA256SUMS was signed. Its bundles are
// still read and verified as they always were.
const FormatV1 = "hozen-bundle/1"

// KnownFormat reports whether this package reads bundles of format f.
func KnownFormat(f string) bool { return f == Format || f == FormatV1 }

// SignsSums reports whether a signed bundle of format f signs SHA256SUMS.
func SignsSums(f string) bool { return f != FormatV1 }

// Names of the fixed entries of a bundle.
const (
	HeaderPath    = "hozen/bundle.json"
	ManifestPath  = "hozen/manifest.json"
	SignaturePath = "hozen/manifest.json.sig"
	SumsPath      = "hozen/SHA256SUMS"
	SumsSigPath   = "hozen/SHA256SUMS.sig"
	RecordsDir    = "hozen/records/"
)

// RecordPath returns the entry name of the record with sequence number seq.
func RecordPath(seq int64) string { return fmt.Sprintf("%s%08d.json", RecordsDir, seq) }

// Header is hozen/bundle.json, the first entry of a bundle.
type Header struct {
	Format    string    `json:"format"`
	BundleID  string    `json:"bundle_id"`
	CaseID    string    `json:"case_id"`
	Examiner  string    `json:"examiner"`
	StartedAt time.Time `json:"started_at"`
	Host      Host      `json:"host"`
	Clock     Clock     `json:"clock"`
	Tool      Tool      `json:"tool"`
	Profile   Profile   `json:"profile"`
	// Hashes lists the digests each record carries; sha256 always.
	Hashes []string `json:"hashes"`
	// Signer is the key that signs the manifest; nil for an unsigned bundle.
	Signer *Signer `json:"signer,omitempty"`
	// Previous is the last sealed bundle of this case the ledger knew of.
	Previous  *Previous  `json:"previous,omitempty"`
	Footprint *Footprint `json:"footprint,omitempty"`
	// Privileges are those collect ran with; nil in bundles written
	// before they were recorded.
	Privileges *Privileges `json:"privileges,omitempty"`
	// DeadBox is set for a collection from a mounted image or a
	// container's root file system (collect --root DIR) rather than the
	// running host.
	DeadBox *DeadBox `json:"dead_box,omitempty"`
}

// Privileges are the identity and capabilities collect ran with. Without
// root, much of a host is out of reach (other users' processes' open
// files, environments and executables, /etc/shadow, other users' homes,
// the owners of sockets); Missing says what.
type Privileges struct {
	UID  int  `json:"uid"`
	EUID int  `json:"euid"`
	Root bool `json:"root"`
	// Capabilities is the effective capability mask (CapEff of
	// /proc/self/status, hex) where the OS has one.
	Capabilities string `json:"capabilities,omitempty"`
	// Missing lists what collection could not reach for want of root.
	Missing []string `json:"missing,omitempty"`
}

// DeadBox describes a collection from a file system that is not the
// running host's: volatile collectors were skipped, and the host identity
// came from the image's /etc.
type DeadBox struct {
	// Root is the directory collected as "/".
	Root BString `json:"root"`
	// Skipped lists the collectors that read live state and did not run.
	Skipped []string `json:"skipped"`
}

// Host is the identity of the host the evidence was collected on.
type Host struct {
	Hostname  string   `json:"hostname"`
	MachineID string   `json:"machine_id,omitempty"`
	BootID    string   `json:"boot_id,omitempty"`
	OS        string   `json:"os"`
	Arch      string   `json:"arch"`
	Kernel    string   `json:"kernel,omitempty"`
	OSRelease string   `json:"os_release,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
}

// Clock records the host's clock so that skew is on record.
type Clock struct {
	// Local is the host's wall clock at start, with its offset.
	Local    string `json:"local"`
	TimeZone string `json:"time_zone"`
	// UTCOffsetSeconds is the zone's offset east of UTC at start.
	UTCOffsetSeconds int        `json:"utc_offset_seconds"`
	BootTime         *time.Time `json:"boot_time,omitempty"`
	// ReferenceTime is the responder's trusted time, when given, and
	// SkewSeconds the host clock minus it.
	ReferenceTime *time.Time `json:"reference_time,omitempty"`
	SkewSeconds   *float64   `json:"skew_seconds,omitempty"`
}

// Tool identifies the hozen binary that wrote the bundle.
type Tool struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"go_version"`
	// SHA256 is the digest of the running executable's file.
	SHA256 string `json:"sha256"`
}

// Profile names the collection profile and the digest of its definition.
type Profile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	// Include and Exclude are the globs the command line added.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

// Signer names the key that signs the manifest.
type Signer struct {
	// Fingerprint is as `ssh-keygen -l` prints it: "SHA256:...".
	Fingerprint string `json:"fingerprint"`
	// PublicKey is the key in authorized_keys form.
	PublicKey string `json:"public_key"`
}

// Previous links a bundle to the case's bundle before it.
type Previous struct {
	BundleID string `json:"bundle_id"`
	Head     string `json:"head"`
}

// Footprint records what hozen itself did on the host.
type Footprint struct {
	PID    int       `json:"pid"`
	Args   []BString `json:"args"`
	Output BString   `json:"output"`
	Ledger BString   `json:"ledger,omitempty"`
}

// Entry types of a record: what the data entry before it holds.
const (
	EntryFile    = "file"    // a regular tar entry with the artifact's bytes
	EntrySymlink = "symlink" // a tar symlink entry; the target is in File.LinkTarget
	EntryNone    = "none"    // no data entry: a metadata-only record
)

// Outcomes of collecting one artifact.
const (
	OutcomeOK       = "ok"       // read whole
	OutcomePartial  = "partial"  // fewer bytes than expected, or capped
	OutcomeTimeout  = "timeout"  // the watchdog stopped the read
	OutcomeDenied   = "denied"   // permission denied
	OutcomeVanished = "vanished" // gone between listing and reading
	OutcomeChanged  = "changed"  // changed while read; hashed as read
	OutcomeSpecial  = "special"  // FIFO, device or socket: metadata only
	OutcomeError    = "error"    // any other failure; see Errors
	// OutcomeRedacted: read whole, but occurrences of a secret of hozen's
	// own were masked (see Warnings): not a byte-for-byte copy.
	OutcomeRedacted = "redacted"
	// OutcomeSkipped: deliberately not read (hozen's own key or
	// passphrase file); metadata only.
	OutcomeSkipped = "skipped"
)

// Record describes one artifact. Its exact bytes are hashed into the chain.
type Record struct {
	Seq int64 `json:"seq"`
	// Path is the artifact's entry name in the bundle.
	Path BString `json:"path"`
	// Entry is one of EntryFile, EntrySymlink, EntryNone.
	Entry string `json:"entry"`
	// Source is the host path, or the collector's name.
	Source    BString `json:"source"`
	Collector string  `json:"collector"`
	// Size is the byte count of the data entry.
	Size int64 `json:"size"`
	// BytesRead is how many bytes came from the source; less than Size
	// when the source shrank or failed (the rest is zero padding).
	BytesRead   int64     `json:"bytes_read"`
	SHA256      string    `json:"sha256,omitempty"`
	MD5         string    `json:"md5,omitempty"`
	SHA1        string    `json:"sha1,omitempty"`
	Outcome     string    `json:"outcome"`
	Errors      []string  `json:"errors,omitempty"`
	Warnings    []string  `json:"warnings,omitempty"`
	File        *FileMeta `json:"file,omitempty"`
	CollectedAt time.Time `json:"collected_at"`
	// Prev is the chain hash of the record before, or of bundle.json.
	Prev string `json:"prev"`
}

// FileMeta is a host file's metadata as seen by lstat at collection time.
type FileMeta struct {
	// Mode is the Go fs.FileMode string ("-rw-r--r--"); ModeBits its value.
	Mode       string     `json:"mode"`
	ModeBits   uint32     `json:"mode_bits"`
	Type       string     `json:"type"` // file, dir, symlink, fifo, socket, device, chardev, other
	Size       int64      `json:"size"`
	UID        *int64     `json:"uid,omitempty"`
	GID        *int64     `json:"gid,omitempty"`
	Owner      string     `json:"owner,omitempty"`
	Group      string     `json:"group,omitempty"`
	Mtime      time.Time  `json:"mtime"`
	Atime      *time.Time `json:"atime,omitempty"`
	Ctime      *time.Time `json:"ctime,omitempty"`
	Btime      *time.Time `json:"btime,omitempty"`
	Inode      uint64     `json:"inode,omitempty"`
	Device     uint64     `json:"device,omitempty"`
	Nlink      uint64     `json:"nlink,omitempty"`
	Blocks     int64      `json:"blocks,omitempty"`
	LinkTarget *BString   `json:"link_target,omitempty"`
}

// Manifest is hozen/manifest.json, the seal of a bundle.
type Manifest struct {
	Format     string    `json:"format"`
	BundleID   string    `json:"bundle_id"`
	Status     string    `json:"status"` // StatusSealed or StatusInterrupted
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// HeaderSHA256 is the digest of bundle.json's bytes (the chain's start).
	HeaderSHA256 string `json:"header_sha256"`
	Counts       Counts `json:"counts"`
	// Records holds every record's chain hash, in order.
	Records []string `json:"records"`
	// Head is the last record's chain hash (HeaderSHA256 with no records).
	Head string `json:"head"`
	// MerkleRoot is the RFC 6962 tree hash over the records' bytes.
	MerkleRoot string `json:"merkle_root"`
	// Frames indexes the zstd frames before the manifest's own.
	Frames []Frame `json:"frames"`
	// Ledger is the custody ledger's checkpoint at sealing time.
	Ledger *Checkpoint `json:"ledger,omitempty"`
	// Reason says why a bundle was sealed early (status interrupted).
	Reason string `json:"reason,omitempty"`
}

// Manifest statuses.
const (
	StatusSealed      = "sealed"
	StatusInterrupted = "interrupted"
)

// Counts summarises a bundle's records.
type Counts struct {
	Records   int64 `json:"records"`
	Artifacts int64 `json:"artifacts"` // records with a data entry
	Errors    int64 `json:"errors"`    // records whose outcome is not ok
	Bytes     int64 `json:"bytes"`     // data bytes stored
}

// Frame is one independent zstd frame of the bundle file.
type Frame struct {
	Offset int64 `json:"offset"` // in the compressed file
	Size   int64 `json:"size"`   // compressed bytes
	// UOffset and USize locate the frame's bytes in the tar stream.
	UOffset int64 `json:"uoffset"`
	USize   int64 `json:"usize"`
	// SHA256 is the digest of the compressed bytes.
	SHA256 string `json:"sha256"`
}

// Checkpoint is a custody ledger's size and Merkle root.
type Checkpoint struct {
	Size int64  `json:"size"`
	Root string `json:"root"`
	// Text is the checkpoint as `hozen custody head` prints it.
	Text string `json:"text,omitempty"`
}

// Marshal returns v's canonical bytes: compact JSON with a final newline.
// Struct field order fixes key order, so equal values give equal bytes.
func Marshal(v any) ([]byte, error) {
	return AppendMarshal(nil, v)
}

// AppendMarshal appends v's canonical bytes (as Marshal) to b.
func AppendMarshal(b []byte, v any) ([]byte, error) {
	if r, ok := v.(*Record); ok && r != nil {
		if b == nil {
			b = make([]byte, 0, 1024)
		}
		if out, ok := appendRecord(b, r); ok {
			return append(out, '\n'), nil
		}
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return append(j, '\n'), nil
	}
	return append(append(b, j...), '\n'), nil
}

// SHA256Hex returns the lower-case hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
