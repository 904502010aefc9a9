package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/hozen-dfir/hozen/bundle"
)

// releaseFlags are the build flags of 'make dist' (Makefile DISTFLAGS),
// without the VCS stamp, which a test cannot rely on.
var releaseFlags = []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

func releaseEnv() []string {
	return append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOAMD64=v1", "GOARM64=v8.0", "GO386=sse2")
}

// buildRelease builds hozen from the module at modRoot into out, as
// 'make dist' does.
func buildRelease(t *testing.T, modRoot, out string) {
	t.Helper()
	cmd := exec.Command("go", append(releaseFlags, "-o", out, "./cmd/hozen")...)
	cmd.Dir = modRoot
	cmd.Env = releaseEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
}

// releaseBinary builds hozen for a test, as 'make dist' does.
func releaseBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the release binary; skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "hozen")
	buildRelease(t, "../..", bin)
	return bin
}

func sumOf(t *testing.T, p string) string {
	t.Helper()
	s, err := fileSHA256(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Two builds of the same source, the second from a copy of the module at
// another path, are byte-identical.
func TestReproducibleBuild(t *testing.T) {
	a := releaseBinary(t)
	src := t.TempDir()
	copyModule(t, "../..", src)
	b := filepath.Join(t.TempDir(), "hozen")
	buildRelease(t, src, b)
	if sumOf(t, a) != sumOf(t, b) {
		t.Fatalf("two builds differ: %s %s", sumOf(t, a), sumOf(t, b))
	}
	t.Logf("%s/%s: both builds have sha256 %s", runtime.GOOS, runtime.GOARCH, sumOf(t, a))
}

// copyModule copies the module's source (no .git, no build output).
func copyModule(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() && (rel == ".git" || strings.HasPrefix(rel, "dist")) {
			return filepath.SkipDir
		}
		if rel == ".git" || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// 'hozen version' prints the SHA-256 of the binary that runs, the same
// value a bundle's header records as tool.sha256. The binary runs from
// read-only media and writes nothing beside itself or in its working
// directory: only in --out.
func TestReadOnlyMediaAndVersion(t *testing.T) {
	bin := releaseBinary(t)
	media := t.TempDir()
	stick := filepath.Join(media, "hozen")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stick, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(media, "quick.yaml"), []byte("name: quick\ndescription: system only\ncollectors: [system]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly(t, media)
	before := snapshot(t, media)

	home := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(stick, args...)
		cmd.Dir = media // a program that wrote to "." would write on the stick
		cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+media)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("hozen %v: %v\n%s", args, err, stderr.String())
		}
		return out
	}
	ver := string(run("version"))
	want := "sha256 " + sumOf(t, stick) + "\n"
	if !strings.Contains(ver, want) || !strings.Contains(ver, runtime.Version()) {
		t.Fatalf("hozen version:\n%swant the line %q and %s", ver, want, runtime.Version())
	}

	out := t.TempDir()
	path := strings.TrimSpace(lastLine(run("collect", "--profile", filepath.Join(media, "quick.yaml"), "--out", out, "--case", "RO")))
	if filepath.Dir(path) != out {
		t.Fatalf("bundle written to %s, not in --out %s", path, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := bundle.Verify(f, bundle.VerifyOptions{})
	if err != nil || res.Outcome != bundle.Intact {
		t.Fatalf("verify: %v %v", err, res.Err)
	}
	if got := res.Header.Tool.SHA256; got != sumOf(t, stick) {
		t.Errorf("bundle header records tool sha256 %s, the binary is %s", got, sumOf(t, stick))
	}
	if after := snapshot(t, media); after != before {
		t.Fatalf("the media changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if ents, _ := os.ReadDir(home); len(ents) != 0 {
		t.Errorf("hozen wrote into HOME: %v", ents)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return lines[len(lines)-1]
}

// readOnly makes dir read-only: as root, a read-only bind mount (root
// ignores permission bits), undone at the end; else chmod a-w.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() == 0 && runtime.GOOS == "linux" {
		if err := exec.Command("mount", "--bind", dir, dir).Run(); err == nil {
			t.Cleanup(func() {
				if b, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
					t.Errorf("umount %s: %v %s", dir, err, b)
				}
			})
			if b, err := exec.Command("mount", "-o", "remount,ro,bind", dir).CombinedOutput(); err != nil {
				t.Fatalf("remount read-only: %v %s", err, b)
			}
			if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o644); err == nil {
				t.Fatal("the read-only bind mount is writable")
			}
			t.Logf("%s is a read-only bind mount", dir)
			return
		}
		t.Logf("mount --bind failed; falling back to chmod (root can still write: the snapshot check stands)")
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
}

// snapshot lists everything under dir: names, modes, sizes, times.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var sb strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fmt.Fprintf(&sb, "%s %v %s %d\n", rel, fi.Mode(), fi.ModTime(), fi.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// TestMakeBuildStampsCommit: the binary 'make build' leaves says which
// commit it was built from, as a release does, also in a git worktree
// (where the go command itself does not stamp one).
func TestMakeBuildStampsCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hozen with make; skipped with -short")
	}
	for _, tool := range []string{"make", "git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s command", tool)
		}
	}
	head, err := exec.Command("git", "-C", "../..", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not built from a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "hozen")
	cmd := exec.Command("make", "-C", "../..", "--no-print-directory", "build", "BIN="+bin)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("hozen version: %v\n%s", err, out)
	}
	want := "commit " + strings.TrimSpace(string(head))
	if !strings.Contains(string(out), want+"\n") && !strings.Contains(string(out), want+" (modified)\n") {
		t.Errorf("hozen version from 'make build' prints\n%s\nwant a line %q", out, want)
	}
}

// TestMakeFuzzHasEveryTarget: 'make fuzz' runs every fuzz target of the
// module, and only ones that exist (Makefile FUZZ_TARGETS).
func TestMakeFuzzHasEveryTarget(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	block := regexp.MustCompile(`(?s)FUZZ_TARGETS := \\\n(.*?)\n\n`).FindSubmatch(mk)
	if block == nil {
		t.Fatal("no FUZZ_TARGETS list in the Makefile")
	}
	for _, f := range strings.Fields(strings.ReplaceAll(string(block[1]), `\`, " ")) {
		listed[f] = true
	}
	found := map[string]bool{}
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	err = filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != "../.." {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", filepath.Dir(p))
		for _, m := range fuzzFunc.FindAllSubmatch(b, -1) {
			found["./"+filepath.ToSlash(rel)+":"+string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for f := range found {
		if !listed[f] {
			t.Errorf("fuzz target %s is not in the Makefile's FUZZ_TARGETS", f)
		}
	}
	for f := range listed {
		if !found[f] {
			t.Errorf("FUZZ_TARGETS lists %s, which does not exist", f)
		}
	}
	if len(found) < 10 {
		t.Fatalf("found only %d fuzz targets: %v", len(found), found)
	}
}
