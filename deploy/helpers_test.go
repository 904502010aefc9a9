package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// buildHozen builds the real hozen binary as a release file
// (hozen-linux-ARCH) into dir and writes dir/SHA256SUMS for it, as
// 'make dist' does. It returns the binary's path.
func buildHozen(t *testing.T, dir string) string {
	t.Helper()
	name := "hozen-" + runtime.GOOS + "-" + runtime.GOARCH
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/hozen")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/hozen: %v\n%s", err, out)
	}
	sum := fileSHA256(t, bin)
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(sum+"  "+name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return bin
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
