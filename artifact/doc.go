// Package artifact is the schema of hozen's structured artifacts: the JSON
// documents that collectors write under volatile/ and that readers (the
// report, show, timeline, diff) decode. Collectors and readers both import
// this package, and neither imports the other.
//
// # Versions
//
// Every document starts with a "schema" field, [Version] at the time it was
// written. A reader that meets a version it does not know says so rather
// than guessing; a change that renames or retypes a field bumps [Version],
// while a new optional field does not.
//
// # Paths
//
// Each document has one path in the bundle, a constant here ([PathProcesses],
// [PathSockets], ...). A collector writes a document through a function that
// takes a [Doc], so a document cannot be written without its version: the
// [Header] embedded in it is stamped on the way out ([Header.Stamp]).
package artifact

import "fmt"

// Version is the schema version written into every structured artifact.
const Version = "hozen-artifact/1"

// Header starts every structured artifact.
type Header struct {
	// Schema is the schema version the document was written with.
	Schema string `json:"schema"`
}

// Stamp sets the document's schema to [Version].
func (h *Header) Stamp() { h.Schema = Version }

// SchemaVersion returns the version the document says it was written with.
func (h *Header) SchemaVersion() string { return h.Schema }

// Doc is a structured artifact: a pointer to a type that embeds [Header].
type Doc interface {
	Stamp()
	SchemaVersion() string
}

// The documents' paths in a bundle.
const (
	PathProcesses    = "volatile/processes/processes.json"
	PathHiddenPIDs   = "volatile/findings/hidden_pids.json"
	PathSockets      = "volatile/network/sockets.json"
	PathUnixSockets  = "volatile/network/unix_sockets.json"
	PathListening    = "volatile/network/listening.json"
	PathUnowned      = "volatile/findings/unowned_sockets.json"
	PathInterfaces   = "volatile/network/interfaces.json"
	PathRoutes       = "volatile/network/routes.json"
	PathNeighbours   = "volatile/network/neighbours.json"
	PathSystem       = "volatile/system/system.json"
	PathModules      = "volatile/system/modules.json"
	PathMounts       = "volatile/system/mounts.json"
	PathBlockDevices = "volatile/system/block_devices.json"
	PathAccounts     = "volatile/users/accounts.json"
	PathSessions     = "volatile/users/sessions.json"
	PathLogins       = "volatile/users/logins.json"
	PathFailedLogins = "volatile/users/failed_logins.json"
	PathLastlog      = "volatile/users/lastlog.json"
)

// Prefixes of the structured artifacts' directories in a bundle.
const (
	DirProcesses = "volatile/processes/"
	DirNetwork   = "volatile/network/"
	DirUsers     = "volatile/users/"
	DirSystem    = "volatile/system/"
	DirFindings  = "volatile/findings/"
)

// UnknownVersionError reports a document written with a schema this build
// of hozen does not know: a newer hozen wrote it.
type UnknownVersionError struct {
	Path    string
	Version string
}

func (e *UnknownVersionError) Error() string {
	return fmt.Sprintf("%s: schema %q is not one this hozen reads (it reads %q); read it with a newer hozen", e.Path, e.Version, Version)
}

// CheckVersion returns an [*UnknownVersionError] when d, decoded from path,
// was written with a schema other than [Version]. Documents written before
// versions were recorded have none, and are read as version 1.
func CheckVersion(path string, d Doc) error {
	switch v := d.SchemaVersion(); v {
	case "", Version:
		return nil
	default:
		return &UnknownVersionError{Path: path, Version: v}
	}
}
