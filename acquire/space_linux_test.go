package acquire

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFreeSpace: on a tmpfs of 1 MiB, checkFreeSpace refuses to start and
// diskFullError names the destination and the bytes written (root only).
func TestFreeSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1024k"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	defer syscall.Unmount(dir, syscall.MNT_DETACH)
	if err := checkFreeSpace(dir, 0); !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), dir+" has 1.0 MiB free, collect needs at least 64.0 MiB") {
		t.Errorf("checkFreeSpace: %v", err)
	}
	if err := checkFreeSpace(dir, 512<<10); err != nil {
		t.Errorf("checkFreeSpace(512 KiB): %v", err)
	}
	partial := filepath.Join(dir, "b.tar.zst.partial")
	f, err := os.Create(partial)
	if err != nil {
		t.Fatal(err)
	}
	_, werr := f.Write(make([]byte, 2<<20))
	f.Close()
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("write: %v", werr)
	}
	err, ok := diskFullError(werr, partial)
	want := "no space left on " + dir + ": 1048576 bytes written; the bundle so far is " + partial + " (not sealed"
	if !ok || !errors.Is(err, ErrNoSpace) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("diskFullError: %v", err)
	}
	if other := errors.New("x"); func() bool { e, ok := diskFullError(other, partial); return ok || e != other }() {
		t.Error("other errors must pass through")
	}
}

// TestRunNoSpace: a session refuses to start on a destination with too
// little room, before the ledger or the bundle is created (root only).
func TestRunNoSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1024k"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	defer syscall.Unmount(dir, syscall.MNT_DETACH)
	o := testOptions(t, nil)
	o.Out = dir
	res, err := Run(context.Background(), o)
	if !errors.Is(err, ErrNoSpace) || !strings.HasSuffix(err.Error(), "free some space or choose another --out") {
		t.Fatalf("Run: %v, %v; want ErrNoSpace", res, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%s holds %v; want nothing", dir, entries)
	}
}
