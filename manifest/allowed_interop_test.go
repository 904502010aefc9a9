package manifest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// allowedMatrix is the interop matrix: allowed_signers files (most of one
// line) that hozen must judge as ssh-keygen -Y verify judges them. {A} is
// the signer's public key, {B} another key, {RSA-A} the signer's key
// labelled with the wrong type.
var allowedMatrix = []string{
	"ana@lab {A}",
	"ana@lab namespaces=\"hozen-bundle\" {A}",
	"ana@lab namespaces=\"*,!hozen-bundle\" {A}",
	"ana@lab valid-before=\"20200101\" {A}",
	"ana@lab valid-after=\"20991231\" {A}",
	"*@lab {A}",
	"an?@lab {A}",
	"*,!ana@lab {A}",
	"!ana@lab,* {A}",
	"bo@lab,ana@lab {A}",
	"\"ana@lab\" {A}",
	"\"ana lab\",bo@lab {A}",
	"a\"na@l\"ab {A}",
	"ana@lab NAMESPACES=\"git,hozen-*\" {A}",
	"ana@lab namespaces=\"git\" {A}",
	"ana@lab namespaces=\"!git,hozen-bundle\" {A}",
	"ana@lab namespaces=\"\" {A}",
	"ana@lab namespaces=\"a b,hozen-bundle\" {A}",
	"ana@lab namespaces=hozen-bundle {A}",
	"ana@lab namespaces=\"hozen-bundle\",namespaces=\"git\" {A}",
	"ana@lab namespaces=\"hozen-bundle\", {A}",
	"ana@lab namespaces=\"hozen-bundle\",,valid-after=\"20200101Z\" {A}",
	"ana@lab valid-after=\"202401010000Z\",valid-before=\"20250101000000Z\" {A}",
	"ana@lab valid-after=\"20240615120000\" {A}",
	"ana@lab valid-after=\"20240615\" {A}",
	"ana@lab valid-before=\"20240615utc\" {A}",
	"ana@lab valid-before=\"20240615120000Z\" {A}",
	"ana@lab valid-after=\"20240615120001z\" {A}",
	"ana@lab valid-after=\"20240230Z\" {A}",
	"ana@lab valid-after=\"20241301Z\" {A}",
	"ana@lab valid-after=\"2024061512Z\" {A}",
	"ana@lab valid-after=\"19690101Z\" {A}",
	"ana@lab valid-before=\"20240101Z\",valid-after=\"20250101Z\" {A}",
	"ana@lab valid-after=\"20240101Z\",valid-after=\"20240102Z\" {A}",
	"ana@lab VALID-BEFORE=\"20991231\",cert-authority {A}",
	"ana@lab cert-authority {A}",
	"ana@lab bogus {A}",
	"ana@lab {B}",
	"ana@lab {RSA-A}",
	"ana@lab",
	"# ana@lab {A}",
	"   ana@lab\t  {A}   a comment with spaces",
	"ana@lab {A}\r",
	"ana@lab namespaces=\"hozen-bundle\" {A}\nana@lab bogus {A}",
	"ana@lab bogus {A}\nana@lab namespaces=\"hozen-bundle\" {A}",
	"ana@lab valid-before=\"20200101Z\" {A}\nbo@lab {A}",
	"ana@lab namespaces=\"git\" {A}\n*@lab valid-after=\"20200101Z\" {A}",
	"ana@lab {B}\n\n# no\nbo@lab namespaces=\"*,!hozen-*\" {A}",
}

// The principals asked for (-I), and the times validity is judged at
// (-Overify-time). Times without Z are read in Europe/Berlin, which keeps
// summer time in June: hozen must read them as ssh-keygen does.
var (
	matrixPrincipals = []string{"ana@lab", "bo@lab", "ana lab"}
	matrixTimes      = []string{"20240615120000Z", "20150101000000Z", "21000101000000Z", "20240614223000Z"}
)

const matrixZone = "Europe/Berlin"

// TestAllowedSignersInterop judges every line of allowedMatrix, for every
// principal and time, with hozen and with the real ssh-keygen, and asks
// that they agree: hozen trusts the signer exactly when `ssh-keygen -Y
// verify -f FILE -I PRINCIPAL -n hozen-bundle` exits 0. The message is
// signed by ssh-keygen -Y sign and by hozen's Sign. Without a principal,
// hozen agrees with `ssh-keygen -Y find-principals` (which ignores
// namespaces) on lines without namespaces, never trusts where it refuses,
// and names the same principals.
func TestAllowedSignersInterop(t *testing.T) {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skip("ssh-keygen not installed")
	}
	loc, err := time.LoadLocation(matrixZone)
	if err != nil {
		t.Skipf("no zone %s: %v", matrixZone, err)
	}
	dir := t.TempDir()
	run := func(stdin []byte, args ...string) (int, string) {
		cmd := exec.Command(keygen, args...)
		cmd.Env = append(os.Environ(), "TZ="+matrixZone)
		cmd.Stdin = bytes.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			return ee.ExitCode(), out.String()
		case err != nil:
			t.Fatal(err)
		}
		return 0, out.String()
	}
	pubOf := func(name string) string {
		if code, _ := run(nil, "-q", "-t", "ed25519", "-N", "", "-C", name+"@lab", "-f", filepath.Join(dir, name)); code != 0 {
			t.Fatalf("ssh-keygen could not make key %s", name)
		}
		b, err := os.ReadFile(filepath.Join(dir, name+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(b))
		return f[0] + " " + f[1]
	}
	pa, pb := pubOf("ana"), pubOf("bo")
	blob := strings.Fields(pa)[1]

	msg := []byte(`{"format":"hozen-bundle/1","matrix":true}`)
	msgFile := filepath.Join(dir, "msg")
	if err := os.WriteFile(msgFile, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _ := run(nil, "-Y", "sign", "-q", "-f", filepath.Join(dir, "ana"), "-n", SignatureNamespace, msgFile); code != 0 {
		t.Fatal("ssh-keygen -Y sign failed")
	}
	priv, err := os.ReadFile(filepath.Join(dir, "ana"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	hsig, err := Sign(bytes.NewReader(msg), signer)
	if err != nil {
		t.Fatal(err)
	}
	sigs := map[string]string{"ssh-keygen": msgFile + ".sig", "hozen": filepath.Join(dir, "hozen.sig")}
	if err := os.WriteFile(sigs["hozen"], hsig, 0o600); err != nil {
		t.Fatal(err)
	}

	type result struct{ cases, trusted, refused int }
	var mu sync.Mutex
	var res result
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, tmpl := range allowedMatrix {
		content := strings.NewReplacer("{A}", pa, "{B}", pb, "{RSA-A}", "ssh-rsa "+blob).Replace(tmpl) + "\n"
		file := filepath.Join(dir, fmt.Sprintf("allowed_%02d", i))
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		for sigName, sigFile := range sigs {
			armored, err := os.ReadFile(sigFile)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := SignatureKey(armored)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifySignature(bytes.NewReader(msg), armored, pub); err != nil {
				t.Fatalf("%s signature: %v", sigName, err)
			}
			for _, at := range matrixTimes {
				when, err := ParseAbsoluteTime(at, loc)
				if err != nil {
					t.Fatal(err)
				}
				principals := append([]string{""}, matrixPrincipals...)
				if sigName == "ssh-keygen" && at != matrixTimes[0] {
					principals = []string{"", "ana@lab"} // the key is the same; fewer runs
				}
				for _, p := range principals {
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer func() { <-sem; wg.Done() }()
						name := fmt.Sprintf("line %d %q, -I %q, time %s, %s signature", i, strings.TrimSpace(tmpl), p, at, sigName)
						hozen, hp := hozenDecision(file, []byte(content), p, when, loc, pub)
						if p != "" {
							code, _ := run(msg, "-Y", "verify", "-f", file, "-I", p, "-n", SignatureNamespace, "-s", sigFile, "-Overify-time="+at)
							if hozen != (code == 0) {
								t.Errorf("%s: hozen trusts %v, ssh-keygen exits %d", name, hozen, code)
							}
						} else {
							code, out := run(nil, "-Y", "find-principals", "-f", file, "-s", sigFile, "-Overify-time="+at)
							found := code == 0
							nsFree := !strings.Contains(strings.ToLower(content), "namespaces=")
							switch {
							case nsFree && hozen != found:
								t.Errorf("%s: hozen trusts %v, find-principals exits %d", name, hozen, code)
							case hozen && !found:
								t.Errorf("%s: hozen trusts, find-principals exits %d", name, code)
							case hozen && nsFree && hp != strings.ReplaceAll(strings.TrimSpace(out), "\n", ","):
								t.Errorf("%s: hozen names principals %q, find-principals %q", name, hp, out)
							}
						}
						mu.Lock()
						res.cases++
						if hozen {
							res.trusted++
						} else {
							res.refused++
						}
						mu.Unlock()
					}()
				}
			}
		}
	}
	wg.Wait()
	t.Logf("%d lines, %d cases: %d trusted, %d refused", len(allowedMatrix), res.cases, res.trusted, res.refused)
	if res.trusted < 20 || res.refused < 20 {
		t.Errorf("the matrix should both trust and refuse often: %+v", res)
	}
}

// hozenDecision is hozen's trust decision for a bundle signed by pub,
// judged against the allowed_signers file content; and the principals
// it names.
func hozenDecision(file string, content []byte, principal string, at time.Time, loc *time.Location, pub ssh.PublicKey) (bool, string) {
	tr, _, err := ParseAllowedSigners(file, content, TrustPolicy{Principal: principal, At: at, Local: loc})
	if err != nil {
		return false, ""
	}
	tk, err := tr.Check(pub, SignatureNamespace)
	if err != nil {
		return false, ""
	}
	return true, strings.Join(tk.Principals, ",")
}

// TestParseAbsoluteTime: the formats ssh-keygen takes, in UTC and in a
// zone with summer time (read as standard time, as mktime does).
func TestParseAbsoluteTime(t *testing.T) {
	berlin, err := time.LoadLocation(matrixZone)
	if err != nil {
		t.Skip(err)
	}
	good := map[string]string{
		"20240615Z":       "2024-06-15T00:00:00Z",
		"202406151230Z":   "2024-06-15T12:30:00Z",
		"20240615123045z": "2024-06-15T12:30:45Z",
		"20240615UTC":     "2024-06-15T00:00:00Z",
		"20240230Z":       "2024-03-01T00:00:00Z",
		"20240615":        "2024-06-14T23:00:00Z", // CET, not CEST
		"20240115":        "2024-01-14T23:00:00Z",
		"20241231235960Z": "2025-01-01T00:00:00Z",
	}
	for in, want := range good {
		got, err := ParseAbsoluteTime(in, berlin)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("%s: %v %v, want %s", in, got.UTC(), err, want)
		}
	}
	for _, in := range []string{"", "Z", "2024061", "2024061512Z", "20241301Z", "20240615246000Z", "2024O615Z", "19700101Z", "19690101Z", "20240615 Z"} {
		if got, err := ParseAbsoluteTime(in, berlin); err == nil {
			t.Errorf("%q accepted as %v", in, got)
		}
	}
}

// TestMatchPatternList: OpenSSH's pattern lists.
func TestMatchPatternList(t *testing.T) {
	cases := []struct {
		s, list string
		want    int
	}{
		{"ana@lab", "ana@lab", 1},
		{"ana@lab", "*", 1},
		{"ana@lab", "*@lab", 1},
		{"ana@lab", "an?@lab", 1},
		{"ana@lab", "a*a*b", 1},
		{"ana@lab", "a*x", 0},
		{"ana@lab", "*,!ana@lab", -1},
		{"ana@lab", "!ana@*,*", -1},
		{"bo@lab", "*,!ana@lab", 1},
		{"ana@lab", "ANA@LAB", 0},
		{"hozen-bundle", "", 0},
		{"hozen-bundle", "git,,hozen-*", 1},
		{"ana@lab", "!x", 0},
		{"ana@lab", strings.Repeat("a", 1023) + ",*", 0},
		{"ana@lab", "*," + strings.Repeat("a", 1022), 1},
	}
	for _, c := range cases {
		if got := matchPatternList(c.s, c.list); got != c.want {
			t.Errorf("match %q against %.40q: %d, want %d", c.s, c.list, got, c.want)
		}
	}
}

// FuzzParseAllowedLine: the line parser never panics.
func FuzzParseAllowedLine(f *testing.F) {
	blob := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0}, 8))
	for _, s := range allowedMatrix {
		f.Add(strings.ReplaceAll(s, "{A}", "ssh-ed25519 "+blob))
	}
	f.Fuzz(func(t *testing.T, line string) {
		parseAllowedLine(line, time.UTC)
	})
}
