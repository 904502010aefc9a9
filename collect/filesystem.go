package collect

import "time"

// FileSystem walks the host's local file systems for their metadata: a
// Sleuth Kit 3.x bodyfile of every file ([artifact.PathBodyfilePrefix]
// parts), and findings for SUID/SGID files, file capabilities, immutable
// and append-only files, world-writable and unowned files and hidden
// executables ([artifact.PathFileSystem]). Linux only.
type FileSystem struct {
	// MaxFiles and MaxTime bound the walk (0: the defaults).
	MaxFiles int64
	MaxTime  time.Duration
	// PartBytes bounds one bodyfile part (0: the default).
	PartBytes int
}

// ExeHashes hashes (SHA-256) every executable file in the standard
// program directories ([artifact.PathExeHashes]). Linux only.
type ExeHashes struct {
	MaxFiles    int64
	MaxTime     time.Duration
	MaxFileSize int64
	// HashTime bounds the hashing, after the listing (0: MaxTime): the
	// executables it does not reach stay listed without a hash.
	HashTime time.Duration
}

// Defaults of the file-system walks.
const (
	DefaultFSMaxFiles     = 10_000_000
	DefaultFSMaxTime      = 30 * time.Minute
	DefaultBodyPartBytes  = 16 << 20
	DefaultExeMaxFiles    = 100_000
	DefaultExeMaxTime     = 60 * time.Second
	DefaultExeMaxFileSize = 512 << 20
	// flaggedCap bounds the files listed per rule, findingsCap the
	// findings made per rule (the rest are counted).
	flaggedCap  = 1000
	findingsCap = 100
)

// File-system finding rules.
const (
	RuleSUID          = "suid-file"
	RuleCapabilities  = "file-capabilities"
	RuleImmutable     = "immutable-file"
	RuleWorldWritable = "world-writable"
	RuleUnowned       = "unowned-file"
	RuleHiddenExec    = "hidden-executable"
)

// Name implements Collector.
func (f *FileSystem) Name() string { return "filesystem" }

// Name implements Collector.
func (e *ExeHashes) Name() string { return "exe-hashes" }
