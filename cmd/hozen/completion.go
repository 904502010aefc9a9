package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/collect/profile"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/report"
)

// Shell completion ('hozen completion bash|zsh|fish|powershell') completes
// the values hozen knows, not only file names: bundle files for BUNDLE
// arguments, the views of show, the built-in profiles, and every flag that
// takes one of a fixed set of words. The table is here, in one place;
// TestCompletionWordsAccepted runs every word through its command.

// bundleExts are the file name endings of bundles: what collect writes,
// encrypted or not, and what a cut-off collection leaves.
var bundleExts = []string{"tar.zst", "tar.zst.age", "tar.zst.partial", "tar.zst.age.partial"}

// timelineFormats, exportFormats and extraHashes are the words of
// timeline --format, custody export --format and collect --hash.
var (
	timelineFormats = []string{"csv", "jsonl", "bodyfile"}
	exportFormats   = []string{"csv", "json", "html", "case"}
	extraHashes     = []string{"md5", "sha1"}
	// verifyOutcomes are what verify reports, for custody record --outcome.
	verifyOutcomes = []string{"intact", "tampered", "incomplete"}
)

// recordActions are the actions 'custody record' takes by hand: all but
// those collect, push and custody import record themselves.
func recordActions() []string {
	var out []string
	for _, a := range custody.Actions {
		if a != custody.ActionCollected && a != custody.ActionSealed && a != custody.ActionImported && a != custody.ActionTimestamped && a != custody.ActionStored {
			out = append(out, string(a))
		}
	}
	return out
}

func builtinProfileNames() []string {
	var out []string
	for _, p := range profile.Builtins() {
		out = append(out, p.Name)
	}
	return out
}

// words completes one of a fixed set of words, and no file.
func words(list func() []string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return list(), cobra.ShellCompDirectiveNoFileComp
	}
}

func fixed(list ...string) func() []string { return func() []string { return list } }

// bundleFiles completes bundle files.
func bundleFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return bundleExts, cobra.ShellCompDirectiveFilterFileExt
}

// pemFiles and tsrFiles complete certificate files and stored timestamps.
func pemFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []string{"pem", "crt"}, cobra.ShellCompDirectiveFilterFileExt
}

func tsrFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []string{"tsr"}, cobra.ShellCompDirectiveFilterFileExt
}

// profileNames completes the built-in profiles that start with what was
// typed; when none does, the shell completes file names (a profile FILE).
func profileNames(_ *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []string
	for _, n := range builtinProfileNames() {
		if strings.HasPrefix(n, typed) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveDefault
}

// argsCompletion completes positional arguments: the i-th with the i-th
// function; past the list, the last (nil: nothing) goes on.
func argsCompletion(fns ...cobra.CompletionFunc) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
		fn := fns[min(len(args), len(fns)-1)]
		if fn == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(c, args, typed)
	}
}

// addCompletions registers the completions on the command tree under root.
func addCompletions(root *cobra.Command) {
	args := map[string]cobra.CompletionFunc{
		"verify":   bundleFiles,
		"ls":       argsCompletion(bundleFiles, nil),
		"extract":  argsCompletion(bundleFiles, nil), // PATHs are inside the bundle
		"report":   argsCompletion(bundleFiles, nil),
		"timeline": argsCompletion(bundleFiles, nil),
		"show":     argsCompletion(bundleFiles, words(fixed(report.Views...)), nil),
		"export":   argsCompletion(bundleFiles, nil),
		"diff":     argsCompletion(bundleFiles, bundleFiles, nil),
		"profiles": profileNames,
		// PATH is inside the bundle; a proof is any file.
		"prove": argsCompletion(bundleFiles, nil),
		"verify-proof": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveDefault
		},
		"timestamp": argsCompletion(bundleFiles, nil),
	}
	flags := map[string]map[string]cobra.CompletionFunc{
		"collect":        {"profile": profileNames, "hash": words(fixed(extraHashes...))},
		"timeline":       {"format": words(fixed(timelineFormats...))},
		"custody export": {"format": words(fixed(exportFormats...))},
		"export":         {"format": words(fixed(bundleExportFormats...))},
		"verify":         {"tsa-ca": pemFiles, "tsr": tsrFiles},
		"custody record": {"action": words(recordActions), "outcome": words(fixed(verifyOutcomes...))},
		"report": {"output": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []string{"html"}, cobra.ShellCompDirectiveFilterFileExt
		}, "diff": bundleFiles},
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		if fn, ok := args[path]; ok {
			c.ValidArgsFunction = fn
			delete(args, path)
		}
		for name, fn := range flags[path] {
			if err := c.RegisterFlagCompletionFunc(name, fn); err != nil {
				panic("completion of " + path + " --" + name + ": " + err.Error())
			}
		}
		delete(flags, path)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	// A renamed command must not lose its completion silently.
	for path := range args {
		panic("completion for a command that does not exist: " + path)
	}
	for path := range flags {
		panic("flag completion for a command that does not exist: " + path)
	}
}
