// Package report reads a hozen bundle for an investigator: it verifies the
// bundle while reading it, and arranges what it holds for people.
//
// # Building
//
// [Build] runs [bundle.Verify] over a bundle and decodes the collectors'
// JSON artifacts as they pass into a [Report]: its [Verification], a
// [Summary] of the collection, the process tree ([Process]), the network
// ([Network]), logins ([Logins]), every artifact ([Artifact]), the
// persistence artifacts and the findings ([Finding]). A bundle that is not intact still gets a report; its
// Verification says what failed, and it holds only what was read before.
// [Report.SetCustody] adds the bundle's trail from a custody ledger.
//
// # Writing
//
// [WriteHTML] writes one self-contained HTML page under a strict
// Content-Security-Policy ([CSP]). [Report.Timeline] lists the events
// oldest first, for [WriteCSV], [WriteJSONL] and [WriteBodyfile] (the
// bodyfile of mactime). [WriteTable] and [WriteTableJSON] print one of the
// [Views] as an aligned table or as JSON.
//
// Names and command lines come from the suspect host: [Display] renders
// one for a terminal or a page, every byte that is not printable UTF-8 as
// a \xNN escape, and [Cmdline] quotes argv as a shell would read it.
package report
