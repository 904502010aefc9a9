// Package ledgerlink joins evidence bundles to their events in a custody
// ledger. Package bundle knows nothing of ledgers and package custody
// knows bundles only by their hashes; what decides that a verified bundle
// file is the one a ledger saw sealed, what hozen records when it verifies
// or extracts a bundle, and which events make a bundle's custody trail
// lives here, above both, and cmd/hozen calls it.
//
// [Check] matches a verified bundle to its ledger events: a "sealed"
// event must name the file's SHA-256 and the chain head verification
// found. A file no sealed event names, whose header names a bundle id the
// ledger saw sealed, is another file than the one sealed; when it ends
// before its seal it is a cut of the sealed bundle, which is tampering,
// not an interrupted collection. [RecordVerified] and [RecordExtracted]
// append the "verified" and "extracted" events. [TrailOf] gathers a
// bundle's events for a report. The package never prints.
package ledgerlink
