// Package manifest defines the records of a hozen evidence bundle (format
// hozen-bundle/2; hozen-bundle/1 is still read) and the pure checks over them.
//
// # What it holds
//
// A bundle starts with a [Header] (hozen/bundle.json). Every artifact is
// followed by its [Record] (hozen/records/NNNNNNNN.json). The records form a
// hash chain: a record's Prev is the SHA-256 of the exact bytes of the record
// before it, and the first record's Prev is the SHA-256 of bundle.json. The
// [Manifest] (hozen/manifest.json) lists every record's chain hash, the final
// head, and the RFC 6962 Merkle root over the record bytes, so a single
// artifact can later be disclosed with an inclusion proof.
//
// # Checks
//
// [Chain] builds and checks the chain as records arrive, and computes the
// tree root ([Chain.MerkleRoot]); [Sign] and [VerifySignature] make and check
// OpenSSH SSHSIG signatures in the namespace [SignatureNamespace], which
// `ssh-keygen -Y verify` accepts. Errors carry the evidence: a
// [*RecordError] names the record and why it failed.
//
// The manifest's two lists that grow with a bundle, the records' chain
// hashes and the frame index, are kept in a [List] the caller provides
// (bundle spools them to disk): [WriteManifest] writes a manifest from
// them as a stream, and [ReadManifest] checks one against them as it
// streams by, so neither side holds them.
//
// The package does no I/O of its own: no disk, no network.
package manifest
