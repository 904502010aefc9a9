package report

import (
	"bytes"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/manifest"
)

func fixtureReport(t *testing.T) (*Report, string) {
	t.Helper()
	path := writeFixture(t, t.TempDir(), fixtureArtifacts(t))
	trust := manifest.Trust{{Key: testSigner(t).PublicKey(), Principals: []string{"ana@lab"}}}
	return buildFile(t, path, Options{Trust: trust}), path
}

// TestModelGolden pins the report's data model: verification, the
// process tree, connections joined to processes, logins, persistence,
// findings. Times come from the fixture and the injected clock.
func TestModelGolden(t *testing.T) {
	r, _ := fixtureReport(t)
	if !r.Verification.Intact() || !r.Verification.Trusted {
		t.Fatalf("fixture not intact and trusted: %+v", r.Verification)
	}
	r.SetCustody("custody.db", "hozen-custody/1:1:00", nil, nil)
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "model.golden.json", append(b, '\n'))

	// The tree: 1 -> 400 -> 1234 -> 1240 -> 1300 -> 1301; 2 a root.
	var chain []int
	for p := r.Processes[0]; ; p = p.Children[0] {
		chain = append(chain, p.PID)
		if len(p.Children) == 0 {
			break
		}
	}
	if got := jsonOf(chain); got != "[1,400,1234,1240,1300,1301]" {
		t.Errorf("tree chain %s", got)
	}
	if c := r.Network.Connections; !c[0].Listening || !c[1].Listening || !c[2].Listening || c[3].Listening {
		t.Errorf("listening sockets are not first: %+v", c)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestTablesGolden pins the terminal views.
func TestTablesGolden(t *testing.T) {
	r, _ := fixtureReport(t)
	for _, v := range Views {
		var buf bytes.Buffer
		if err := WriteTable(&buf, r, v); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "show_"+v+".golden", buf.Bytes())
		if bytes.ContainsAny(buf.Bytes(), "\xff\xfe\x1b") {
			t.Errorf("%s: raw bytes reach the terminal", v)
		}
	}
	if err := WriteTable(new(bytes.Buffer), r, "nope"); err == nil {
		t.Error("unknown view accepted")
	}
}

// TestTimelineCSV: the CSV has Timesketch's columns and parses back with
// commas, quotes and newlines of an argv intact.
func TestTimelineCSV(t *testing.T) {
	r, _ := fixtureReport(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r.Timeline()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	for _, need := range []string{"message", "datetime", "timestamp_desc"} {
		if _, ok := col[need]; !ok {
			t.Fatalf("no %s column: %v", need, rows[0])
		}
	}
	dt := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	want := `/tmp/.x/kworker -c a,b "quoted" 'single' line1` + "\n" + `line2 <script>alert(1)</script> bad\xffbyte`
	found := map[string]bool{}
	for _, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			t.Fatalf("row of %d fields: %q", len(row), row)
		}
		if !dt.MatchString(row[col["datetime"]]) {
			t.Errorf("datetime %q is not ISO 8601 UTC", row[col["datetime"]])
		}
		found[row[col["timestamp_desc"]]] = true
		if row[col["pid"]] == "1300" && row[col["timestamp_desc"]] == "Process Start" {
			if got := row[col["command_line"]]; got != want {
				t.Errorf("command_line\n got %q\nwant %q", got, want)
			}
			found["argv"] = true
		}
	}
	for _, d := range []string{"Modification Time", "Last Access Time", "Metadata Modification Time", "Creation Time", "Process Start", "Login", "Logout", "Failed Login", "Collection Start", "argv"} {
		if !found[d] {
			t.Errorf("no %q event", d)
		}
	}
}

func TestTimelineJSONL(t *testing.T) {
	r, _ := fixtureReport(t)
	r.SetCustody("l.db", "", []custody.Event{{Seq: 1, At: t0, Actor: "Ana", Action: custody.ActionSealed, Reason: "sealed"}}, nil)
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, r.Timeline()); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	custodySeen := false
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		for _, k := range []string{"message", "datetime", "timestamp_desc", "timestamp"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("no %s in %s", k, l)
			}
		}
		if m["data_type"] == KindCustody {
			custodySeen = true
		}
	}
	if !custodySeen {
		t.Error("no custody event in the timeline")
	}
}

// TestBodyfile: every line has the 11 fields of TSK 3.x, and mactime -b
// reads the file.
func TestBodyfile(t *testing.T) {
	r, _ := fixtureReport(t)
	var buf bytes.Buffer
	if err := WriteBodyfile(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if n := strings.Count(l, "|"); n != 10 {
			t.Fatalf("%d separators in %q", n, l)
		}
	}
	if !strings.Contains(buf.String(), `|/tmp/we\x7cird\xffname, "x"|`) {
		t.Errorf("odd name not escaped:\n%s", buf.String())
	}
	mactime, err := exec.LookPath("mactime")
	if err != nil {
		t.Skip("mactime (Debian package sleuthkit) not installed")
	}
	body := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(body, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mactime, "-b", body, "-d", "-y", "-z", "UTC")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mactime: %v\n%s", err, stderr.String())
	}
	// No event at time 0 (mactime -y prints it as 0000-00-00, without -y
	// as "Xxx Xxx 00 0000"): an event that is not a file has its one time
	// in every column. The only rows at 0 are the birth times the fixture's
	// files lack (TSK's 0, "unknown", as fls writes it).
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "1970") || (strings.Contains(l, "0000-00-00") && (!strings.Contains(l, ",...b,") || strings.Contains(l, `,"[`))) {
			t.Errorf("mactime shows a row at time 0: %s", l)
		}
	}
	// mactime -d: Date,Size,Type,Mode,UID,GID,Meta,File Name
	for _, want := range []string{",m...,-rw-r--r--,0,0,", "/etc/crontab", ",macb,", "/etc/systemd/system/kworker.service", "[process] process 1300", "[login] failed login of admin"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("mactime output lacks %q:\n%s", want, out)
		}
	}
	if !bytes.Contains(out, []byte("2026-03-14T07:35:00Z")) && !bytes.Contains(out, []byte("Sat Mar 14 2026 07:35:00")) {
		t.Errorf("mactime output lacks the crontab's mtime 07:35 UTC:\n%s", out)
	}
}

func renderHTML(t *testing.T, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// srcHref finds attributes that could make a browser fetch something.
var srcHref = regexp.MustCompile(`(?i)\b(src|href|action|srcset|poster|data|xlink:href)\s*=\s*["']?\s*(https?:)?//`)

// TestHTMLSelfContained: one file, nothing fetched, everything escaped.
func TestHTMLSelfContained(t *testing.T) {
	r, _ := fixtureReport(t)
	h := renderHTML(t, r)
	if !strings.Contains(h, `http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;`) {
		t.Error("no CSP meta with default-src 'none'")
	}
	if m := srcHref.FindString(h); m != "" {
		t.Errorf("a reference outside the file: %s", m)
	}
	if strings.Contains(h, "<script>alert(1)") || strings.Contains(h, "<2>") {
		t.Error("argv reached the HTML unescaped")
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `bad\xffbyte`, `x\xfe`, `line1\nline2`, "INTACT", "trusted (ana@lab)",
		"deleted exe", "hidden", "198.51.100.66:4444", "listens tcp/22", "/etc/crontab", "kworker.service", "toor", "no account", "95.000 s (host clock"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Count(h, "<script") != 1 || strings.Count(h, "<style") != 1 {
		t.Error("want exactly one inline script and one style element")
	}
	if !strings.Contains(h, "@media print") {
		t.Error("no print stylesheet")
	}
}

// TestTamperedReport: a bundle changed after sealing gives a report that
// says so first, in words and in red.
func TestTamperedReport(t *testing.T) {
	path := writeFixture(t, t.TempDir(), fixtureArtifacts(t))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0x40
	bad := filepath.Join(t.TempDir(), "tampered.tar.zst")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := buildFile(t, bad, Options{})
	if r.Verification.Outcome != "tampered" || r.Verification.Reason == "" {
		t.Fatalf("verification %+v", r.Verification)
	}
	h := renderHTML(t, r)
	banner := strings.Index(h, `class="banner banner-tampered"`)
	words := strings.Index(h, ">TAMPERED<")
	main := strings.Index(h, "<main>")
	if banner < 0 || words < 0 || banner > main || words > main {
		t.Fatalf("no tampered banner before the content (banner %d, words %d, main %d)", banner, words, main)
	}
	if !strings.Contains(h, "Do not rely on anything in this report") {
		t.Error("no warning in words")
	}
	if !regexp.MustCompile(`\.banner-tampered[^{]*\{[^}]*border-color:var\(--bad\)`).MatchString(reportCSS) ||
		!strings.Contains(reportCSS, "--bad:#a4161a") {
		t.Error("tampered banner is not red")
	}
}

// TestIncompleteReport: a bundle cut short says how far it verified.
func TestIncompleteReport(t *testing.T) {
	path := writeFixture(t, t.TempDir(), fixtureArtifacts(t))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.tar.zst.partial")
	if err := os.WriteFile(cut, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	r := buildFile(t, cut, Options{})
	v := r.Verification
	if v.Outcome != "incomplete" || v.Records == 0 || v.Offset == 0 {
		t.Fatalf("verification %+v", v)
	}
	if int64(len(r.Artifacts)) != v.Records {
		t.Errorf("%d artifacts shown, %d records verified", len(r.Artifacts), v.Records)
	}
	h := renderHTML(t, r)
	want := regexp.MustCompile(`<b>This bundle was never sealed, or was cut short: ` + itoaRe(v.Records) + ` records verified before the cut at byte \d+\.</b>`)
	if !want.MatchString(h) || strings.Index(h, ">INCOMPLETE<") > strings.Index(h, "<main>") {
		t.Errorf("no incomplete banner with the count %d", v.Records)
	}
}

func itoaRe(n int64) string { return regexp.QuoteMeta(jsonOf(n)) }

// TestUntrusted: another key's signature is not passed off as intact.
func TestUntrusted(t *testing.T) {
	path := writeFixture(t, t.TempDir(), fixtureArtifacts(t))
	other := manifest.Trust{{Key: otherKey(t)}}
	r := buildFile(t, path, Options{Trust: other})
	if !r.Verification.Untrusted || r.Verification.Outcome != "tampered" {
		t.Fatalf("%+v", r.Verification)
	}
	if h := renderHTML(t, r); !strings.Contains(h, "SIGNATURE NOT TRUSTED") {
		t.Error("no untrusted banner")
	}
}

// TestMaxJSON: an artifact over the cap is left out, and the report says so.
func TestMaxJSON(t *testing.T) {
	path := writeFixture(t, t.TempDir(), fixtureArtifacts(t))
	r := buildFile(t, path, Options{MaxJSON: 1000})
	if r.ProcessCount != 0 {
		t.Error("process table read beyond the cap")
	}
	found := false
	for _, n := range r.Notes {
		if strings.Contains(n, "volatile/processes/processes.json is") && strings.Contains(n, "more than the 1000") {
			found = true
		}
	}
	if !found {
		t.Errorf("no note of the cap: %q", r.Notes)
	}
}

func TestDisplay(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		"a\xffb":       `a\xffb`,
		"tab\there\\":  `tab\there\\`,
		"esc\x1b[31m":  `esc\x1b[31m`,
		"ünï":          "ünï",
		"rtl\u202eexe": `rtl\u202eexe`,
	} {
		if got := Display(in); got != want {
			t.Errorf("Display(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Cmdline(bss("ls", "-l", "a b", "it's", "", "x\ny")); got != `ls -l 'a b' 'it'\''s' '' $'x\ny'` {
		t.Errorf("Cmdline = %s", got)
	}
}

func otherKey(t *testing.T) ssh.PublicKey {
	s, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s.PublicKey()
}

// On a terminal, show folds rows longer than the width, continuations
// indented to the COMMAND column; width 0 (a pipe) prints what
// WriteTable prints.
func TestTableFolded(t *testing.T) {
	r, _ := fixtureReport(t)
	var plain, zero, folded bytes.Buffer
	if err := WriteTable(&plain, r, "processes"); err != nil {
		t.Fatal(err)
	}
	if err := WriteTableFolded(&zero, r, "processes", 0); err != nil {
		t.Fatal(err)
	}
	if plain.String() != zero.String() {
		t.Fatal("width 0 changed the table")
	}
	const width = 160
	if err := WriteTableFolded(&folded, r, "processes", width); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(folded.String(), "\n"), "\n")
	col := strings.Index(plain.String(), "COMMAND")
	long := 0
	for _, l := range strings.Split(plain.String(), "\n") {
		if len([]rune(l)) > width {
			long++
		}
	}
	if long == 0 {
		t.Fatal("the fixture has no row longer than the width")
	}
	conts := 0
	for _, l := range lines {
		if n := len([]rune(l)); n > width {
			t.Errorf("a line of %d runes: %q", n, l)
		}
		if strings.HasPrefix(l, strings.Repeat(" ", col)) {
			conts++
		}
	}
	if conts < long {
		t.Errorf("%d continuation lines indented to column %d for %d long rows:\n%s", conts, col, long, folded.String())
	}
	// Nothing lost: the folded text without its breaks and indents is the table's.
	join := strings.ReplaceAll(folded.String(), "\n"+strings.Repeat(" ", col), "")
	if join != plain.String() {
		t.Errorf("folding changed the text:\n%s\nvs\n%s", join, plain.String())
	}
}
