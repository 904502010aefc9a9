// Package bundle writes and verifies hozen evidence bundles (format
// hozen-bundle/1, docs/format.md): one tar stream, compressed as a series
// of independent zstd frames, holding the artifacts, their hash-chained
// records (package manifest), and a signed seal.
//
// # Writing
//
// [Create] starts a bundle in a directory under its final name plus
// [PartialSuffix], writing the [manifest.Header] first. [Writer.Put] stores
// one artifact and the record that describes it; a [Writer] is the sink
// collectors write to. [Writer.Seal] writes the manifest, its signature and
// SHA256SUMS, syncs the file and only then renames it to its final name,
// returning what was sealed ([Sealed]). [Writer.Abort] keeps every complete
// frame under the .partial name, which never verifies as intact. With
// [Options.Recipients] the stream is encrypted with age on the way out
// ([AgeSuffix]); [ParseRecipient] and [ParseRecipients] read public keys.
//
// # Verifying
//
// [Verify] reads a bundle to its end and checks every frame, every tar
// header and padding byte, every artifact's digest, every record's link,
// the manifest, the frame index, the signature and SHA256SUMS. What it
// concluded is the [Result]'s [Outcome]: [Intact], [Tampered] or
// [Incomplete]; why, a typed error in [Result.Err] ([*FrameError],
// [*StreamError], [*IncompleteError], or manifest's record and manifest
// errors). A [Handler] in [VerifyOptions] sees the content as it is
// verified; what it writes out it must keep only once Verify returned.
// [Decrypt] and [IsEncrypted] open an encrypted bundle for Verify.
//
// # What it does not do
//
// The package knows nothing of collectors, the custody ledger, or the
// command line: a bundle stands alone, and the ledger knows bundles only by
// their hashes. It does not print.
package bundle
