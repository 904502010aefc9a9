package custody

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
)

// csvHeader names the columns of [WriteCSV], as in the events table.
var csvHeader = []string{
	"ledger", "seq", "id", "at", "actor", "action", "case_id",
	"bundle_id", "bundle_file", "bundle_sha256", "bundle_head", "bundle_merkle_root",
	"host", "location", "recipient", "reason", "outcome",
	"source_ledger", "source_size", "source_root", "signature", "prev", "hash",
}

// WriteCSV writes events as CSV (RFC 4180) with a header row, for
// spreadsheets.
func WriteCSV(w io.Writer, events []Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for i := range events {
		e := &events[i]
		err := cw.Write([]string{
			e.Ledger, strconv.FormatInt(e.Seq, 10), e.ID, FormatTime(e.At), e.Actor, string(e.Action), e.CaseID,
			e.BundleID, e.BundleFile, e.BundleSHA256, e.BundleHead, e.BundleMerkleRoot,
			e.Host, e.Location, e.Recipient, e.Reason, e.Outcome,
			e.SourceLedger, strconv.FormatInt(e.SourceSize, 10), e.SourceRoot, e.Signature, e.Prev, e.Hash,
		})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Export is the JSON form of a ledger for case files: its id and
// checkpoint, and every event with the exact record its hash covers.
type Export struct {
	Format     string          `json:"format"`
	Ledger     string          `json:"ledger"`
	Checkpoint Checkpoint      `json:"checkpoint"`
	Events     []ExportedEvent `json:"events"`
}

// ExportedEvent is an event with its record: SHA-256(record) = hash.
type ExportedEvent struct {
	Event
	Record string `json:"record"`
}

// WriteJSON writes events as one indented JSON [Export] object.
func WriteJSON(w io.Writer, ledger string, cp Checkpoint, events []Event) error {
	x := Export{Format: Format, Ledger: ledger, Checkpoint: cp, Events: make([]ExportedEvent, len(events))}
	for i := range events {
		x.Events[i] = ExportedEvent{Event: events[i], Record: string(events[i].Record())}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(x)
}
