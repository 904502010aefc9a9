package collect

import (
	"bytes"
	"os"

	"github.com/hozen-dfir/hozen/manifest"
)

// ownSecretEnv lists the environment variables through which hozen itself
// takes secrets (a key's passphrase). Their values never go into a bundle.
func ownSecretEnv() []string { return []string{"HOZEN_PASSPHRASE"} }

// RedactedValue replaces a secret of hozen's own in the evidence.
const RedactedValue = "[redacted by hozen: its own passphrase]"

// redactOwnEnviron blanks the values of hozen's own secret variables in
// the environment of hozen's own process (pid), on a live host (env nil
// or rooted at /). The variable's name stays, so the record shows that it
// was set. Unsetting it would not do: the kernel's copy of a process's
// environment (/proc/PID/environ) is the one it started with.
func redactOwnEnviron(env *Env, pid int, environ []manifest.BString) []manifest.BString {
	if pid != os.Getpid() || (env != nil && env.Root != "" && env.Root != "/") {
		return environ
	}
	for i, e := range environ {
		for _, name := range ownSecretEnv() {
			if bytes.HasPrefix([]byte(e), []byte(name+"=")) {
				environ[i] = manifest.BString(name + "=" + RedactedValue)
			}
		}
	}
	return environ
}
