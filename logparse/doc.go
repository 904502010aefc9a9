// Package logparse reads the logs a bundle holds into timeline events:
// syslog-style text files (RFC 3164 lines, whose year is not written and is
// inferred from the file's modification time; RFC 3339 timestamps as
// rsyslog's high-precision format and RFC 5424 write them), plain or gzip
// compressed, and systemd journal files, parsed natively from the format
// systemd documents (https://systemd.io/JOURNAL_FILE_FORMAT/).
//
// Everything read is hostile: the suspect host's owner wrote the logs, and
// a forger may have written every byte of the bundle. The parsers bound
// what they read (bytes, decompressed bytes, line length, events), check
// every offset of a journal against its size before following it, and
// never panic; what they skip or cut they say in notes.
//
// Each event names its source (the path in the bundle) and a byte offset:
// the start of the line in the file, or in the decompressed stream of a
// .gz file (Event.Decompressed), or the offset of the entry object in a
// journal file.
package logparse
