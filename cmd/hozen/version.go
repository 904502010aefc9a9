package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/manifest"
)

// buildInfo describes the running binary, from debug.ReadBuildInfo: no
// build timestamps, so builds are reproducible.
type buildInfo struct {
	Version   string
	Commit    string
	Modified  bool
	GoVersion string
	SHA256    string // of the executable file; "" if it cannot be read
	Path      string
}

// ldVersion and ldCommit are set by 'make build' and 'make dist'
// (-ldflags -X) from git, for builds that the go command cannot stamp with
// VCS information itself (it does not in a git worktree, whose .git is a
// file). The VCS stamp, when there is one, wins.
var ldVersion, ldCommit string

func readBuildInfo() buildInfo {
	bi := buildInfo{Version: "(devel)", GoVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			bi.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				bi.Commit = s.Value
			case "vcs.modified":
				bi.Modified = s.Value == "true"
			}
		}
	}
	if bi.Version == "(devel)" && ldVersion != "" {
		bi.Version = ldVersion
	}
	if bi.Commit == "" && ldCommit != "" {
		bi.Commit = ldCommit
	}
	if exe, err := os.Executable(); err == nil {
		bi.Path = exe
		if sum, err := fileSHA256(exe); err == nil {
			bi.SHA256 = sum
		}
	}
	return bi
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print version, commit, Go version and the SHA-256 of this binary",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			bi := readBuildInfo()
			commit := bi.Commit
			if commit == "" {
				commit = "unknown"
			} else if bi.Modified {
				commit += " (modified)"
			}
			fmt.Fprintf(a.stdout, "hozen %s\ncommit %s\n%s\nsha256 %s\n", bi.Version, commit, bi.GoVersion, bi.SHA256)
			return nil
		},
	}
}

// toolInfo names this binary for a bundle's header.
func toolInfo() manifest.Tool {
	bi := readBuildInfo()
	return manifest.Tool{Name: "hozen", Version: bi.Version, Commit: bi.Commit, GoVersion: bi.GoVersion, SHA256: bi.SHA256}
}
