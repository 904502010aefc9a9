package report

import "github.com/hozen-dfir/hozen/artifact"

// The report decodes the collectors' JSON artifacts straight into package
// collect's own types (SocketTable, LoginFiles, LastlogFile, Accounts,
// SystemInfo, HiddenPIDs, UnownedSockets, InterfaceTable, RouteTable,
// NeighbourTable): it reads what collect writes, and there is nothing to
// keep in step. The one exception is the process table, below.

// procTable is a artifact.ProcessTable read without the per-process data
// the report does not show. Its Processes shadows the embedded
// ProcessTable.Processes (encoding/json fills the less nested of two
// fields with one name), which stays nil.
type procTable struct {
	artifact.ProcessTable
	Processes []procEntry `json:"processes"`
}

// procEntry is a artifact.Process whose open files, environment, thread ids
// and namespaces are skipped, not decoded: on a busy host they are most of
// processes.json. Measured on a 46 MB table of 3,000 processes with 200
// fds and 60 environment variables each, decoding all of artifact.Process
// kept 66 MB, allocated 222 MB and took 2.7 times as long; procEntry keeps
// 2 MB and allocates 10 MB.
type procEntry struct {
	artifact.Process
	FDs        unread `json:"fds"`
	Environ    unread `json:"environ"`
	TIDs       unread `json:"tids"`
	Namespaces unread `json:"namespaces"`
}

// unread is a JSON value that is skipped as an unknown field would be: its
// syntax is checked, nothing is decoded.
type unread struct{}

// UnmarshalJSON implements [encoding/json.Unmarshaler].
func (*unread) UnmarshalJSON([]byte) error { return nil }
