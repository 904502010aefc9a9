package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// velociraptorArtifact is the part of Velociraptor's artifact schema the
// hozen artifact uses.
type velociraptorArtifact struct {
	Name                string   `yaml:"name"`
	Author              string   `yaml:"author"`
	Description         string   `yaml:"description"`
	Type                string   `yaml:"type"`
	Precondition        string   `yaml:"precondition"`
	RequiredPermissions []string `yaml:"required_permissions"`
	Resources           struct {
		Timeout int `yaml:"timeout"`
	} `yaml:"resources"`
	Tools []struct {
		Name         string `yaml:"name"`
		URL          string `yaml:"url"`
		ServeLocally bool   `yaml:"serve_locally"`
	} `yaml:"tools"`
	Parameters []struct {
		Name        string   `yaml:"name"`
		Description string   `yaml:"description"`
		Default     string   `yaml:"default"`
		Type        string   `yaml:"type"`
		Choices     []string `yaml:"choices"`
	} `yaml:"parameters"`
	ColumnTypes []struct {
		Name string `yaml:"name"`
		Type string `yaml:"type"`
	} `yaml:"column_types"`
	Sources []struct {
		Query string `yaml:"query"`
	} `yaml:"sources"`
}

// TestVelociraptorArtifact checks the artifact's structure (a Velociraptor
// server cannot run here): its name and type, the tools it fetches, its
// parameters, a query that fetches the tool, runs it with execve() and
// uploads the bundle and the ledger; and that every flag it passes to
// 'hozen collect' is one the real binary's 'collect --help' lists, and
// every profile it offers one 'hozen profiles' knows.
func TestVelociraptorArtifact(t *testing.T) {
	path := filepath.Join("velociraptor", "Custom.Hozen.Collect.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a velociraptorArtifact
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true) // a misspelt key is an error here, as on the server
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if a.Name != "Custom.Hozen.Collect" || a.Type != "CLIENT" {
		t.Errorf("name %q type %q; want Custom.Hozen.Collect, CLIENT", a.Name, a.Type)
	}
	if !slices.Contains(a.RequiredPermissions, "EXECVE") {
		t.Errorf("required_permissions %v: execve() needs EXECVE", a.RequiredPermissions)
	}
	if !strings.Contains(a.Precondition, "linux") {
		t.Errorf("precondition %q: the tools are Linux binaries", a.Precondition)
	}
	if a.Resources.Timeout <= 0 {
		t.Errorf("resources.timeout %d: a collection needs a time limit", a.Resources.Timeout)
	}
	if len(a.Sources) != 1 {
		t.Fatalf("%d sources; want 1", len(a.Sources))
	}
	q := a.Sources[0].Query
	for _, want := range []string{"Artifact.Generic.Utils.FetchBinary(", "execve(", "upload(", `"collect"`, "*.tar.zst", "custody.db"} {
		if !strings.Contains(q, want) {
			t.Errorf("query lacks %s", want)
		}
	}
	if len(a.Tools) == 0 {
		t.Fatal("no tools")
	}
	for _, tool := range a.Tools {
		if !strings.Contains(q, `"`+tool.Name+`"`) {
			t.Errorf("tool %s is never fetched by the query", tool.Name)
		}
		if !tool.ServeLocally {
			t.Errorf("tool %s: serve_locally must be true (clients fetch it from the server)", tool.Name)
		}
	}
	params := map[string][]string{}
	for _, p := range a.Parameters {
		params[p.Name] = p.Choices
		if !regexp.MustCompile(`\b` + p.Name + `\b`).MatchString(q) {
			t.Errorf("parameter %s is never used by the query", p.Name)
		}
	}
	for _, want := range []string{"CaseID", "Examiner", "Profile"} {
		if _, ok := params[want]; !ok {
			t.Errorf("parameter %s missing", want)
		}
	}
	for _, c := range a.ColumnTypes {
		if c.Type == "upload" && !strings.Contains(q, " AS "+c.Name) {
			t.Errorf("column %s is declared an upload but the query has no such column", c.Name)
		}
	}

	dir := t.TempDir()
	bin := buildHozen(t, dir)
	help, err := exec.Command(bin, "collect", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("hozen collect --help: %v\n%s", err, help)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?(--[a-z0-9-]+)`).FindAllStringSubmatch(string(help), -1) {
		known[m[1]] = true
	}
	if len(known) < 5 {
		t.Fatalf("read only %d flags from collect --help:\n%s", len(known), help)
	}
	flags := regexp.MustCompile(`"(--[^"]*)"`).FindAllStringSubmatch(q, -1)
	if len(flags) < 4 {
		t.Fatalf("the query passes %d flags to hozen; want at least --case, --examiner, --profile, --out", len(flags))
	}
	for _, m := range flags {
		if !known[m[1]] {
			t.Errorf("the query passes %s, which 'hozen collect --help' does not list", m[1])
		}
	}
	profiles, err := exec.Command(bin, "profiles").CombinedOutput()
	if err != nil {
		t.Fatalf("hozen profiles: %v\n%s", err, profiles)
	}
	for _, p := range params["Profile"] {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p) + `\b`).Match(profiles) {
			t.Errorf("the Profile choice %s is not a built-in profile:\n%s", p, profiles)
		}
	}
}
