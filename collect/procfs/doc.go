// Package procfs parses the text formats of Linux's /proc file system:
// socket tables (/proc/net/tcp, tcp6, udp, udp6, unix), routes
// (/proc/net/route, ipv6_route), the ARP table (/proc/net/arp), interface
// addresses (/proc/net/if_inet6), per-process files (/proc/PID/stat,
// maps, status, cmdline, environ), the kernel's tables (/proc/modules,
// /proc/PID/mountinfo) and the boot time in /proc/stat. The account files
// /etc/passwd and /etc/group are the package collect/etc's.
//
// # Contract
//
// Every parser is pure: it takes the bytes a caller read and returns values,
// never touching the disk. Parsers never panic on malformed input; a line
// they cannot make sense of is skipped and reported (in a [LineError], or
// for the kernel tables as a "line N: ..." string stored as it is in the
// artifact's errors), so that a collector can keep what parsed and record
// what did not.
//
// Addresses in /proc/net/{tcp,udp}{,6} and /proc/net/route are printed by
// the kernel as 32-bit words in the host's byte order; the parsers decode
// them with the byte order of the machine running the parser (every
// little-endian Linux, which is nearly all, reads fixtures alike).
package procfs

import "fmt"

// LineError says which line of a file could not be parsed, and why.
type LineError struct {
	Line int    // 1-based
	Text string // the line, cut to 200 bytes
	Err  string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s: %q", e.Line, e.Err, e.Text) }

func lineErr(n int, line []byte, msg string) LineError {
	if len(line) > 200 {
		line = line[:200]
	}
	return LineError{Line: n, Text: string(line), Err: msg}
}
