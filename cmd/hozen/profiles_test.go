package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestProfilesCmd: the listing names every built-in with its collectors,
// groups and caps; --json is machine-readable; a bad file is exit 2 with
// the file and line on stderr.
func TestProfilesCmd(t *testing.T) {
	code, out, errs := runHozen(t, "profiles")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"triage (default)\n", "\nfull\n", "\nvolatile\n",
		"collectors  network, processes, kernel, procmaps, containers, tmpplaces, users, system, firewall, persistence, packages, exe-hashes\n    network      sockets with their owning processes",
		"    persistence  cron, systemd units", "logs (64 MiB per file)", "total       8 GiB",
		"      /var/log/**\n", "      except /var/log/journal/**\n", "files       none"} {
		if !strings.Contains(out, want) {
			t.Errorf("listing lacks %q", want)
		}
	}

	code, out, _ = runHozen(t, "profiles", "--json")
	var ps []struct {
		Name       string   `json:"name"`
		SHA256     string   `json:"sha256"`
		Collectors []string `json:"collectors"`
		Files      []struct {
			Group        string `json:"group"`
			MaxFileBytes int64  `json:"max_file_bytes"`
		} `json:"files"`
		MaxTotalBytes int64 `json:"max_total_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &ps); err != nil || code != exitOK {
		t.Fatalf("--json: exit %d, %v", code, err)
	}
	if len(ps) != 3 || ps[0].Name != "triage" || len(ps[0].SHA256) != 64 || len(ps[2].Files) != 0 || ps[1].MaxTotalBytes != 0 {
		t.Errorf("--json: %+v", ps)
	}

	code, out, _ = runHozen(t, "profiles", "../../testdata/profiles/good.yaml")
	if code != exitOK || !strings.HasPrefix(out, "accounts-and-cron\n") || !strings.Contains(out, "options     no_environ") ||
		!strings.Contains(out, "keys (1 MiB per file)") {
		t.Errorf("a user file: exit %d\n%s", code, out)
	}

	code, _, errs = runHozen(t, "profiles", "../../testdata/profiles/bad_glob.yaml")
	if code != exitUsage || !strings.HasPrefix(errs, "hozen: error: profile ../../testdata/profiles/bad_glob.yaml:7: ") {
		t.Errorf("bad file: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runHozen(t, "profiles", "nosuch")
	if code != exitUsage || !strings.Contains(errs, "run 'hozen profiles' to list them") {
		t.Errorf("unknown name: exit %d, stderr %q", code, errs)
	}
}
