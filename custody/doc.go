// Package custody keeps hozen's chain-of-custody ledger: who held which
// evidence bundle, when, where and why, in an SQLite file (pure Go,
// modernc.org/sqlite) that travels with the bundles and opens in the sqlite3
// CLI. This package is the only importer of the SQLite driver.
//
// # Events
//
// An [Event] is one custody fact: a bundle collected or sealed, verified,
// transferred, received, accessed, extracted, exported, a note, or another
// ledger imported (see [Actions]). [Ledger.Append] gives it a seq, a UUIDv7
// id, the time (UTC) and its place in a hash chain: Prev is the Hash of the
// event before, and Hash is the SHA-256 of the event's record, its canonical
// JSON (stored beside the columns, so `sqlite3 ... | sha256sum` recomputes
// it). Appends take SQLite's write lock, so several processes may append to
// one file at once and still form one chain.
//
// # Tamper evidence
//
// Triggers refuse UPDATE and DELETE. What the triggers cannot stop (a row
// edited, deleted or reordered with another tool) the chain shows:
// [Ledger.Verify] returns an [*EventError] naming the event. The events are
// also the leaves of an RFC 6962 Merkle tree (golang.org/x/mod/sumdb/tlog);
// a [Checkpoint] (size and root, one line of text, see [ParseHead]) kept
// elsewhere, on a custody form or in a sealed bundle's manifest, lets Verify
// prove by a consistency proof that the ledger only grew since, which
// catches a cut-off tail or an older copy of the file put back
// ([*HeadError]). Events may carry their actor's SSHSIG signature
// ([Options].Signer, [VerifyEventSignature]); heads can be signed with
// [SignCheckpoint] or ssh-keygen.
//
// # Imports
//
// [Ledger.Import] folds another ledger (a responder's USB stick) in: its
// events keep their own chain and hashes, and an "imported" event in this
// ledger's chain records the other ledger's id, size and root, so that
// Verify checks imported chains against it ([*ChainError]).
//
// Errors that mean tampering wrap [ErrTampered]. The file format is
// specified in docs/custody.md. The package never prints.
package custody
