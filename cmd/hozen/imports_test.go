package main

import (
	"os/exec"
	"strings"
	"testing"
)

// sqliteDriver is the SQLite driver's module.
const sqliteDriver = "modernc.org/sqlite"

// TestImportDirection checks the import rules of docs/architecture.md on
// the module as it is: a rule broken here is a design decision undone.
func TestImportDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/hozen-dfir/hozen/"
	imports := map[string][]string{}
	var sqliteUsers []string
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], mod) {
			continue
		}
		pkg := strings.TrimPrefix(f[0], mod)
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, mod) {
				imports[pkg] = append(imports[pkg], strings.TrimPrefix(imp, mod))
			}
			if imp == sqliteDriver || strings.HasPrefix(imp, sqliteDriver+"/") {
				sqliteUsers = append(sqliteUsers, pkg)
			}
		}
	}
	// The SQLite driver: the ledger, and the in-memory read-only opener
	// of the databases collectors read (rpmdb.sqlite, Podman's db.sql).
	for _, pkg := range sqliteUsers {
		if pkg != "custody" && pkg != "collect/sqlitemem" {
			t.Errorf("%s imports %s: only custody and collect/sqlitemem import the SQLite driver (docs/architecture.md)", pkg, sqliteDriver)
		}
	}
	if len(imports) < 5 {
		t.Fatalf("go list named %d project packages that import others: %v", len(imports), imports)
	}
	under := func(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }
	for pkg, imps := range imports {
		for _, imp := range imps {
			var broken string
			switch {
			case pkg == "manifest":
				broken = "manifest imports no project package"
			case under(pkg, "collect") && (under(imp, "bundle") || under(imp, "custody")):
				broken = "collect imports neither bundle nor custody"
			case pkg == "bundle" && under(imp, "custody"), pkg == "custody" && under(imp, "bundle"):
				broken = "bundle and custody do not import each other"
			case (pkg == "report" || pkg == "export" || pkg == "diff") && under(imp, "collect"):
				broken = "readers import artifact, not collect"
			case under(imp, "cmd"):
				broken = "nothing imports cmd/hozen"
			case under(pkg, "artifact") && imp != "manifest":
				broken = "artifact imports only manifest"
			}
			if broken != "" {
				t.Errorf("%s imports %s: %s (docs/architecture.md)", pkg, imp, broken)
			}
		}
	}
}
