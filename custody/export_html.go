package custody

import (
	"cmp"
	"html/template"
	"io"
	"slices"
	"time"
)

// HTMLForm says what [WriteHTML] prints besides the events.
type HTMLForm struct {
	// Ledger is the ledger's id; Path its file name as the examiner knows it.
	Ledger string
	Path   string
	// Checkpoint is the ledger's head now, to copy onto other records.
	Checkpoint Checkpoint
	// VerifyError is why the ledger does not verify; nil if it does.
	VerifyError error
	// Now dates the form.
	Now time.Time
}

// formBundle is one bundle's custody on the form.
type formBundle struct {
	ID, File, SHA256, Head, MerkleRoot, Host string
	Events                                   []Event
}

type formCase struct {
	ID      string
	Bundles []*formBundle
}

// WriteHTML writes a printable chain-of-custody form: one section per
// case, and in it one table per bundle with every event (who, when, what,
// where, why, the event's hash), the bundle's identifying digests, the
// ledger's head to copy onto paper, and blank rows for hand-written
// transfers with signatures. It is one HTML file with no script and
// nothing fetched.
func WriteHTML(w io.Writer, form HTMLForm, events []Event) error {
	var cases []*formCase
	byCase := map[string]*formCase{}
	byBundle := map[string]*formBundle{}
	for _, e := range events {
		c := byCase[e.CaseID]
		if c == nil {
			c = &formCase{ID: e.CaseID}
			byCase[e.CaseID] = c
			cases = append(cases, c)
		}
		key := e.CaseID + "\x00" + cmp.Or(e.BundleID, e.BundleSHA256)
		b := byBundle[key]
		if b == nil {
			b = &formBundle{ID: e.BundleID}
			byBundle[key] = b
			c.Bundles = append(c.Bundles, b)
		}
		b.File = cmp.Or(b.File, e.BundleFile)
		b.SHA256 = cmp.Or(b.SHA256, e.BundleSHA256)
		b.Head = cmp.Or(b.Head, e.BundleHead)
		b.MerkleRoot = cmp.Or(b.MerkleRoot, e.BundleMerkleRoot)
		b.Host = cmp.Or(b.Host, hostOfCollection(e))
		b.Events = append(b.Events, e)
	}
	slices.SortStableFunc(cases, func(a, b *formCase) int { return cmp.Compare(a.ID, b.ID) })
	data := struct {
		HTMLForm
		Verified bool
		Error    string
		Cases    []*formCase
		Count    int
	}{HTMLForm: form, Verified: form.VerifyError == nil, Cases: cases, Count: len(events)}
	if form.VerifyError != nil {
		data.Error = form.VerifyError.Error()
	}
	return formTmpl.Execute(w, data)
}

func hostOfCollection(e Event) string {
	if e.Action == ActionCollected || e.Action == ActionSealed {
		return e.Host
	}
	return ""
}

// formCSP forbids every fetch and every script; only the form's own style
// element applies.
const formCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

var formTmpl = template.Must(template.New("form").Funcs(template.FuncMap{
	"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"csp":   func() string { return formCSP },
	"blank": func() []int { return []int{1, 2, 3, 4} },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{csp}}">
<link rel="icon" href="data:,">
<title>Chain of custody — {{.Path}}</title>
<style>
body { font: 11pt/1.4 system-ui, "Noto Sans", "DejaVu Sans", sans-serif; color: #111; margin: 24px 32px; }
h1 { font-size: 18pt; margin: 0 0 4px; border-bottom: 3px double #111; padding-bottom: 4px; }
h2 { font-size: 14pt; margin: 22px 0 6px; border-bottom: 1px solid #111; }
h3 { font-size: 11.5pt; margin: 14px 0 4px; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 9pt; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 10px; }
th, td { border: 1px solid #444; padding: 3px 6px; text-align: left; vertical-align: top; font-size: 9.5pt; }
th { background: #e8e8e8; }
table.kv th { width: 13em; background: none; font-weight: 600; }
.status-ok { color: #17663a; font-weight: 700; }
.status-bad { color: #a4161a; font-weight: 700; border: 2px solid #a4161a; padding: 6px; }
tr.blank td { height: 2.4em; }
.sign { display: grid; grid-template-columns: 1fr 1fr; gap: 28px; margin-top: 26px; }
.sign div { border-top: 1px solid #111; padding-top: 3px; font-size: 9pt; }
.note { font-size: 9pt; color: #333; }
@media print { @page { size: A4; margin: 14mm 12mm; } body { margin: 0; } section.bundle { break-inside: avoid-page; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
</style>
</head>
<body>
<h1>Chain of custody record</h1>
<table class="kv">
<tr><th>ledger</th><td><code>{{.Path}}</code> (id <code>{{.Ledger}}</code>)</td></tr>
<tr><th>ledger head</th><td><code>{{.Checkpoint.Text}}</code></td></tr>
<tr><th>integrity</th><td>{{if .Verified}}<span class="status-ok">the ledger's hash chain verified</span>{{else}}<div class="status-bad">THE LEDGER DOES NOT VERIFY: {{.Error}}. The events below may be false.</div>{{end}}</td></tr>
<tr><th>events</th><td>{{.Count}}</td></tr>
<tr><th>form printed</th><td>{{time .Now}}</td></tr>
</table>
<p class="note">Each event's hash is the SHA-256 of its canonical record in the ledger; <code>hozen custody verify --head VALUE</code> proves that a later ledger still contains the head above. Copy the head onto any paper record of a transfer.</p>
{{range .Cases}}
<h2>Case {{if .ID}}{{.ID}}{{else}}(none){{end}}</h2>
{{range .Bundles}}
<section class="bundle">
<h3>Bundle {{if .File}}{{.File}}{{else if .ID}}{{.ID}}{{else}}(no bundle){{end}}</h3>
<table class="kv">
{{if .ID}}<tr><th>bundle id</th><td><code>{{.ID}}</code></td></tr>{{end}}
{{if .SHA256}}<tr><th>file SHA-256</th><td><code>{{.SHA256}}</code></td></tr>{{end}}
{{if .Head}}<tr><th>chain head</th><td><code>{{.Head}}</code></td></tr>{{end}}
{{if .MerkleRoot}}<tr><th>Merkle root</th><td><code>{{.MerkleRoot}}</code></td></tr>{{end}}
{{if .Host}}<tr><th>collected on</th><td>{{.Host}}</td></tr>{{end}}
</table>
<table>
<thead><tr><th>#</th><th>date and time (UTC)</th><th>action</th><th>by</th><th>to</th><th>location</th><th>reason / outcome</th><th>event hash</th></tr></thead>
<tbody>
{{range .Events}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td><b>{{.Action}}</b></td><td>{{.Actor}}{{if .Signature}} (signed){{end}}</td><td>{{.Recipient}}</td><td>{{.Location}}{{if and .Location .Host}}<br>{{end}}{{if .Host}}<span class="note">on {{.Host}}</span>{{end}}</td><td>{{.Reason}}{{if and .Reason .Outcome}} — {{end}}{{.Outcome}}</td><td><code>{{.Hash}}</code></td></tr>
{{end}}
{{range blank}}<tr class="blank"><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>
{{end}}
</tbody>
</table>
</section>
{{end}}
{{end}}
<div class="sign">
<div>Released by (name, signature, date)</div>
<div>Received by (name, signature, date)</div>
</div>
</body>
</html>
`))
