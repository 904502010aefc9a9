package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/report"
)

// Messages name commands for the reader to run next ('hozen custody
// import' folds it in). These tests hold every such name to the command
// tree: a hint must never send a responder to a command that does not
// exist.

// helpOf runs 'hozen ARGS... --help' and fails unless it exits 0 with the
// help of the command path named by args.
func helpOf(t *testing.T, args []string) {
	t.Helper()
	code, out, stderr := runHozen(t, append(args, "--help")...)
	want := strings.Join(append([]string{"hozen"}, args...), " ")
	if code != exitOK {
		t.Errorf("'%s --help' exits %d: %s", want, code, stderr)
		return
	}
	if !strings.Contains(out, "Usage:\n  "+want+" ") && !strings.Contains(out, "Usage:\n  "+want+"\n") {
		t.Errorf("'%s --help' shows the help of another command:\n%s", want, out)
	}
}

// proseWords follow "hozen" in messages where it is the tool's name, not a
// command ("hozen never overwrites ..."). A word here is never a command
// name; a new message that puts any other word after "hozen" must name a
// command.
var proseWords = map[string]bool{
	"bundle": true, "chain-of-custody": true, "checks": true, "collection": true,
	"computes": true, "cuts": true, "does": true, "frame": true, "had": true,
	"in": true, "knows": true, "lists": true, "never": true, "reads": true, "snapshots": true,
	"stores": true, "writes": true,
}

// TestHintCommandsExist reads every string literal of the packages whose
// messages reach the user and runs each command they name with --help.
func TestHintCommandsExist(t *testing.T) {
	root := newRootCmd(&app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	mention := regexp.MustCompile(`hozen((?: [a-z%][a-z0-9-]*)+)`)
	checked := map[string]bool{}
	for _, dir := range []string{".", "../../artifact", "../../bundle", "../../collect", "../../collect/profile", "../../custody", "../../manifest", "../../report"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
				}
				for _, m := range mention.FindAllStringSubmatch(s, -1) {
					words := strings.Fields(m[1])
					if words[0] == "%s" || proseWords[words[0]] {
						continue
					}
					// The longest run of words that is a path in the tree.
					c, path := root, []string(nil)
					for _, w := range words {
						sub := findSub(c, w)
						if sub == nil {
							break
						}
						c, path = sub, append(path, w)
					}
					if len(path) == 0 {
						t.Errorf("%s: %q names no hozen command (add %q to proseWords if it is prose)",
							fset.Position(lit.Pos()), m[0], words[0])
						continue
					}
					if len(path) < len(words) && c.HasSubCommands() && !proseAfter(words[len(path)]) {
						t.Errorf("%s: %q: %q is not a command of 'hozen %s'",
							fset.Position(lit.Pos()), m[0], words[len(path)], strings.Join(path, " "))
					}
					key := strings.Join(path, " ")
					if !checked[key] {
						checked[key] = true
						helpOf(t, path)
					}
				}
				return true
			})
		}
	}
	if len(checked) < 5 {
		t.Fatalf("found only %d commands named in messages: is the pattern wrong?", len(checked))
	}
}

// proseAfter: words that follow a command with subcommands in prose
// ("a hozen custody ledger").
func proseAfter(w string) bool { return w == "ledger" }

func findSub(c *cobra.Command, name string) *cobra.Command {
	for _, sub := range c.Commands() {
		if sub.Name() == name || sub.HasAlias(name) {
			return sub
		}
	}
	return nil
}

// TestUsageHintNamesTheCommand: for every command, a usage error's hint
// names that command by its whole path, and that hint's command runs.
func TestUsageHintNamesTheCommand(t *testing.T) {
	root := newRootCmd(&app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	hint := regexp.MustCompile(`hozen: hint: run '([^']*) --help' for usage`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			path := strings.Fields(sub.CommandPath())[1:]
			code, _, stderr := runHozen(t, append(path, "--no-such-flag")...)
			m := hint.FindStringSubmatch(stderr)
			switch {
			case code != exitUsage:
				t.Errorf("'%s --no-such-flag' exits %d, want %d", sub.CommandPath(), code, exitUsage)
			case m == nil:
				t.Errorf("'%s --no-such-flag' gives no usage hint:\n%s", sub.CommandPath(), stderr)
			case m[1] != sub.CommandPath():
				t.Errorf("'%s --no-such-flag' hints at %q", sub.CommandPath(), m[0])
			default:
				helpOf(t, path)
			}
			walk(sub)
		}
	}
	walk(root)
}

// TestUsageHintOfCheckedFlags: usage errors raised after flag parsing, by
// the command's own checks, name the command too.
func TestUsageHintOfCheckedFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "custody.db")
	if code, _, stderr := runHozen(t, "custody", "--ledger", db, "record", "--action", "note", "--actor", "A", "--reason", "r"); code != exitOK {
		t.Fatalf("custody record: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		cmd  string
	}{
		{[]string{"custody", "--ledger", db, "verify", "--pubkey", "k.pub"}, "hozen custody verify"},
		{[]string{"custody", "--ledger", db, "head", "--key", "k"}, "hozen custody head"},
		{[]string{"custody", "--ledger", db, "record", "--action", "imported", "--actor", "A", "--reason", "r"}, "hozen custody record"},
		{[]string{"collect", "--level", "23"}, "hozen collect"},
	} {
		code, _, stderr := runHozen(t, tc.args...)
		want := "hozen: hint: run '" + tc.cmd + " --help' for usage\n"
		if code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("hozen %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(tc.args, " "), code, stderr, exitUsage, want)
		}
	}
}

// TestLevelHelp: what collect --help says of --level is what the encoder
// does with each level: every level from 1 to 22 falls in a step the help
// names, and the steps are klauspost/compress's encoder levels.
func TestLevelHelp(t *testing.T) {
	c := newCollectCmd(&app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	usage := c.Flags().Lookup("level").Usage
	steps := map[string]zstd.EncoderLevel{
		"fastest": zstd.SpeedFastest, "default": zstd.SpeedDefault,
		"better": zstd.SpeedBetterCompression, "best": zstd.SpeedBestCompression,
	}
	said := map[int]zstd.EncoderLevel{}
	for _, m := range regexp.MustCompile(`(\d+)-(\d+) (\w+)`).FindAllStringSubmatch(usage, -1) {
		lo, _ := strconv.Atoi(m[1])
		hi, _ := strconv.Atoi(m[2])
		step, ok := steps[m[3]]
		if !ok {
			t.Fatalf("--level help names a step %q: %s", m[3], usage)
		}
		for n := lo; n <= hi; n++ {
			said[n] = step
		}
	}
	for n := 1; n <= 22; n++ {
		step, ok := said[n]
		if !ok {
			t.Errorf("--level help does not say what level %d is: %s", n, usage)
		} else if got := zstd.EncoderLevelFromZstd(n); got != step {
			t.Errorf("--level %d: help says %s, the encoder uses %s", n, step, got)
		}
	}
}

// TestCompletionWordsAccepted: every word completion offers is one its
// command takes. Each command checks its word before it opens anything, so
// a missing bundle or ledger shows the word passed.
func TestCompletionWordsAccepted(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.tar.zst")
	db := filepath.Join(dir, "custody.db")
	notRefused := func(args []string, flag string) {
		t.Helper()
		_, _, stderr := runHozen(t, args...)
		if strings.Contains(stderr, flag) {
			t.Errorf("hozen %s: the completed word is refused:\n%s", strings.Join(args, " "), stderr)
		}
	}
	for _, v := range report.Views {
		notRefused([]string{"show", missing, v}, "no view")
	}
	for _, f := range timelineFormats {
		notRefused([]string{"timeline", missing, "--format", f}, "--format")
	}
	for _, f := range exportFormats {
		notRefused([]string{"custody", "--ledger", db, "export", "--format", f}, "--format")
	}
	for _, h := range extraHashes {
		notRefused([]string{"collect", "--hash", h, "--level", "0"}, "--hash")
	}
	for _, act := range recordActions() {
		args := []string{"custody", "--ledger", db, "record", "--action", act, "--actor", "A", "--reason", "r", "--to", "B", "--outcome", verifyOutcomes[0]}
		if code, _, stderr := runHozen(t, args...); code != exitOK {
			t.Errorf("hozen %s: exit %d:\n%s", strings.Join(args, " "), code, stderr)
		}
	}
	for _, p := range builtinProfileNames() {
		if code, _, stderr := runHozen(t, "profiles", p); code != exitOK {
			t.Errorf("hozen profiles %s: exit %d:\n%s", p, code, stderr)
		}
	}
	// The test can fail: a word no command takes is refused.
	_, _, stderr := runHozen(t, "timeline", missing, "--format", "xml")
	if !strings.Contains(stderr, "--format") {
		t.Errorf("timeline --format xml is not refused:\n%s", stderr)
	}
}
