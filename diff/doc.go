// Package diff compares two collections of one host: what started, stopped
// and changed between them. [Read] verifies a bundle and keeps, as it
// streams, only what a comparison needs (the structured JSON artifacts and
// the records of collected files, never a file's contents) in a
// [Snapshot]; [Compare] is a pure function of two snapshots, and returns a
// [Result] that [WriteText] and [WriteJSON] print and the HTML report
// renders.
//
// # Matching rules
//
// Each section pairs an old entry with a new one by an identity; an entry
// whose identity is only in NEW is new (+), only in OLD gone (-), in both
// with a different value changed (~).
//
//   - processes: the start time, the command line (argv, byte for byte)
//     and the executable (its SHA-256 where hashed, else its path; the
//     short name for a kernel thread, which has neither). A pid is not an
//     identity: pids are reused, so a pid that now runs another program is
//     one process gone and one new, and a restarted daemon (same
//     executable and argv, a new start time) is too. When one side hashed
//     the executable and the other could not, the path stands in and the
//     entry is marked changed; two different hashes are two processes.
//     Where the start time is unknown, the pid joins the identity. Changed:
//     the parent, the user and effective user, a deleted executable.
//   - listening: the network namespace, protocol, local address and port.
//     Changed: the processes holding it (another program on the same port).
//   - connections: the namespace, protocol, local and remote address and
//     port. Changed: the state, the owners.
//   - users and groups: the name. Changed: uid, gid, home, shell, GECOS;
//     a group's gid and members.
//   - logins: a login record (wtmp, and the sessions of utmp) by its
//     source file, time, type, user, line, host and pid. A record gone from
//     NEW means the file was rotated or cut: worth a look.
//   - files: every record whose path is under files/, by that path.
//     Changed: the SHA-256 of the content (or a symlink's target), the
//     mode, the owner; a file NEW could not read (denied, error) is
//     changed, with why. A file whose record in NEW says vanished is gone.
//     Times alone (touch) are not a change.
//   - raw sockets: table, protocol, packet type, local address and
//     interface. Changed: uid, owners.
//   - persistence: kind, path and user. Changed: the lines that say what
//     runs (as a multiset: a line moved is not a change), size, mtime,
//     ctime, mode, owner, the rules that flagged it. A flagged entry is
//     marked in its key.
//   - packages: manager, name and architecture. Changed: version (old ->
//     new), status.
//   - package files failing verification: package and path. New: a file
//     that fails in NEW only. Changed: the failure, the digests.
//   - kernel modules: the name. Changed: size, taint flags.
//   - eBPF programs: tag, type and name (an id is not an identity: a
//     program reloaded gets another). Changed: uid, holders.
//   - containers: runtime, namespace and id. Changed: name, image, state,
//     command, privileges, host namespaces, mounts.
//   - findings: rule, path and pid (rule, pid and title when there is no
//     path: a title may say how long before collection a file changed).
//     Changed: severity, title.
//
// A section is compared only when both bundles hold its artifact; it is
// listed as not compared otherwise (a host without dpkg, a dead-box
// collection without live state, a bundle of an older hozen, a profile
// that did not collect files). Files collected by
// one bundle's profile and not the other's show as added or removed: the
// result says when the two collections used different profiles or globs.
//
// # Trust
//
// Read returns what verified before a failure; a Snapshot records the
// bundle's [bundle.Status]. Compare marks a result whose input is not
// intact (tampered, untrusted) so that every writer can say so on every
// line, and says when an input is incomplete. Whether to refuse is the
// caller's decision; hozen diff refuses a tampered input and two hosts
// unless told.
package diff
