package collect

import (
	"os"
	"testing"

	"github.com/hozen-dfir/hozen/manifest"
)

func TestRedactOwnEnviron(t *testing.T) {
	in := func() []manifest.BString {
		return []manifest.BString{"PATH=/bin", "HOZEN_PASSPHRASE=s3cret", "HOZEN_PASSPHRASE_X=kept"}
	}
	got := redactOwnEnviron(&Env{Root: "/"}, os.Getpid(), in())
	if got[1] != "HOZEN_PASSPHRASE="+RedactedValue || got[0] != "PATH=/bin" || got[2] != "HOZEN_PASSPHRASE_X=kept" {
		t.Fatalf("own process: %q", got)
	}
	// Another process's environment is evidence, kept as it is; so is a
	// fixture tree's.
	if got := redactOwnEnviron(&Env{Root: "/"}, os.Getpid()+1, in()); got[1] != "HOZEN_PASSPHRASE=s3cret" {
		t.Fatalf("other process: %q", got)
	}
	if got := redactOwnEnviron(&Env{Root: "testdata/x"}, os.Getpid(), in()); got[1] != "HOZEN_PASSPHRASE=s3cret" {
		t.Fatalf("fixture: %q", got)
	}
}
