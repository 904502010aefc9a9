package collect

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// systemRoot builds a fixture root: /etc from testdata/linuxroot, and the
// /proc and /sys files the system collector reads written here (the shared
// testdata/linuxroot/proc belongs to the processes and network tests).
func systemRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	etc, err := filepath.Abs(filepath.Join(linuxFixtureRoot, "etc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(etc, filepath.Join(root, "etc")); err != nil {
		t.Skip("symlink:", err)
	}
	files := map[string]string{
		"proc/sys/kernel/hostname":       "web01\n",
		"proc/sys/kernel/domainname":     "(none)\n",
		"proc/sys/kernel/osrelease":      "6.8.0-45-generic\n",
		"proc/sys/kernel/version":        "#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024\n",
		"proc/sys/kernel/ostype":         "Linux\n",
		"proc/sys/kernel/tainted":        "12288\n",
		"proc/sys/kernel/random/boot_id": "5f3c9d2e-8a1b-4c7d-9e0f-123456789abc\n",
		"proc/cmdline":                   "BOOT_IMAGE=/vmlinuz-6.8.0-45-generic root=UUID=1234 ro quiet\n",
		"proc/version":                   "Linux version 6.8.0-45-generic (buildd@lcy02) #45-Ubuntu SMP\n",
		"proc/stat":                      "cpu  1 2 3 4 5 6 7 0 0 0\ncpu0 1 2 3 4 5 6 7 0 0 0\nintr 0\nctxt 99\nbtime 1740816000\nprocesses 4242\n",
		"proc/uptime":                    "183600.25 350000.50\n",
		"proc/modules": "diamorphine 16384 0 - Live 0xffffffffc0a00000 (OE)\n" +
			"nf_tables 376832 2 nft_compat,nft_chain_nat, Live 0x0000000000000000\n" +
			"ext4 1064960 1 - Live 0xffffffffc0800000\n",
		"proc/self/mountinfo": "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n" +
			"45 22 0:40 / /media/usb\\040stick rw,nosuid,nodev master:3 shared:9 - vfat /dev/sdb1 rw,fmask=0022\n" +
			"60 22 0:5 / /dev rw,nosuid - devtmpfs udev rw,size=4000000k\n",
		"sys/block/nvme0n1/size":                "1000215216\n",
		"sys/block/nvme0n1/removable":           "0\n",
		"sys/block/nvme0n1/ro":                  "0\n",
		"sys/block/nvme0n1/device/model":        "Samsung SSD 980 1TB                     \n",
		"sys/block/nvme0n1/device/serial":       "S64ANS0T000000\n",
		"sys/block/nvme0n1/nvme0n1p1/partition": "1\n",
		"sys/block/nvme0n1/nvme0n1p1/start":     "2048\n",
		"sys/block/nvme0n1/nvme0n1p1/size":      "1048576\n",
		"sys/block/sdb/size":                    "61440000\n",
		"sys/block/sdb/removable":               "1\n",
		"sys/block/sdb/ro":                      "1\n",
		"sys/block/sdb/device/vendor":           "SanDisk \n",
		"sys/block/sdb/device/model":            "Cruzer Blade    \n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// wantSystemJSON is volatile/system/system.json for systemRoot at
// 2025-03-03T12:00:00Z with a reference time 90.5 s earlier.
const wantSystemJSON = `{
  "schema": "hozen-artifact/1",
  "clock": {
    "host_utc": "2025-03-03T12:00:00Z",
    "reference_time": "2025-03-03T11:58:29.5Z",
    "skew_seconds": 90.5
  },
  "hostname": "web01",
  "os": "linux",
  "os_release": {
    "HOME_URL": "https://www.ubuntu.com/",
    "ID": "ubuntu",
    "ID_LIKE": "debian",
    "NAME": "Ubuntu",
    "PRETTY_NAME": "Ubuntu 24.04.1 LTS",
    "VERSION": "24.04.1 LTS (Noble Numbat)",
    "VERSION_CODENAME": "noble",
    "VERSION_ID": "24.04"
  },
  "os_release_source": "/etc/os-release",
  "pretty_name": "Ubuntu 24.04.1 LTS",
  "kernel": {
    "release": "6.8.0-45-generic",
    "version": "#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024",
    "type": "Linux",
    "command_line": "BOOT_IMAGE=/vmlinuz-6.8.0-45-generic root=UUID=1234 ro quiet",
    "tainted": 12288,
    "taint_flags": [
      {
        "bit": 12,
        "letter": "O",
        "meaning": "externally-built (out-of-tree) module loaded"
      },
      {
        "bit": 13,
        "letter": "E",
        "meaning": "unsigned module loaded"
      }
    ]
  },
  "machine_id": "0123456789abcdef0123456789abcdef",
  "boot_id": "5f3c9d2e-8a1b-4c7d-9e0f-123456789abc",
  "boot_time": "2025-03-01T08:00:00Z",
  "uptime_seconds": 183600.25,
  "time_zone": {
    "name": "Europe/Berlin",
    "localtime_link": "/usr/share/zoneinfo/Europe/Berlin",
    "from_link": "Europe/Berlin"
  }
}
`

func TestSystemFixture(t *testing.T) {
	root := systemRoot(t)
	ref := time.Date(2025, 3, 3, 11, 58, 29, 500000000, time.UTC)
	s := &recSink{}
	if err := (&System{ReferenceTime: &ref}).Collect(context.Background(), fixedEnv(root), s); err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{
		"volatile/raw/proc/cmdline",
		"volatile/raw/proc/version",
		"volatile/system/system.json",
		"volatile/raw/proc/modules",
		"volatile/system/modules.json",
		"volatile/raw/proc/self/mountinfo",
		"volatile/system/mounts.json",
		"volatile/system/block_devices.json",
	}
	if !slices.Equal(s.order, wantOrder) {
		t.Fatalf("artifacts:\n%v\nwant\n%v", s.order, wantOrder)
	}
	for _, r := range s.recs {
		if r.Outcome != manifest.OutcomeOK || len(r.Errors) != 0 || r.Collector != "system" {
			t.Errorf("%s: %s %v (collector %q)", r.Path, r.Outcome, r.Errors, r.Collector)
		}
	}
	if got := string(s.data["volatile/system/system.json"]); got != wantSystemJSON {
		t.Errorf("system.json:\n%s\nwant\n%s", got, wantSystemJSON)
	}
	if got := string(s.data["volatile/raw/proc/modules"]); got[:12] != "diamorphine " {
		t.Errorf("raw modules %q", got)
	}

	var mods artifact.Table[artifact.Module]
	s.decode(t, "volatile/system/modules.json", &mods)
	wantMods := []artifact.Module{
		{Name: "diamorphine", Size: 16384, RefCount: 0, UsedBy: []string{}, State: "Live", Address: "0xffffffffc0a00000", Taint: "OE"},
		{Name: "nf_tables", Size: 376832, RefCount: 2, UsedBy: []string{"nft_compat", "nft_chain_nat"}, State: "Live", Address: "0x0000000000000000"},
		{Name: "ext4", Size: 1064960, RefCount: 1, UsedBy: []string{}, State: "Live", Address: "0xffffffffc0800000"},
	}
	if !reflect.DeepEqual(mods.Items, wantMods) {
		t.Errorf("modules:\n%+v\nwant\n%+v", mods.Items, wantMods)
	}

	var mounts artifact.Table[artifact.Mount]
	s.decode(t, "volatile/system/mounts.json", &mounts)
	if len(mounts.Items) != 3 {
		t.Fatalf("mounts: %+v", mounts)
	}
	usb := mounts.Items[1]
	wantUSB := artifact.Mount{ID: 45, ParentID: 22, Device: "0:40", Root: "/", MountPoint: "/media/usb stick",
		Options: "rw,nosuid,nodev", Optional: []string{"master:3", "shared:9"}, FSType: "vfat",
		Source: "/dev/sdb1", SuperOptions: "rw,fmask=0022"}
	if !reflect.DeepEqual(usb, wantUSB) {
		t.Errorf("usb mount:\n%+v\nwant\n%+v", usb, wantUSB)
	}

	var blocks artifact.Table[artifact.BlockDevice]
	s.decode(t, "volatile/system/block_devices.json", &blocks)
	b, _ := json.Marshal(blocks.Items)
	wantBlocks := `[{"name":"nvme0n1","size_bytes":512110190592,"removable":false,"read_only":false,"model":"Samsung SSD 980 1TB","serial":"S64ANS0T000000","partitions":[{"name":"nvme0n1p1","number":1,"start_sector":2048,"size_bytes":536870912}]},` +
		`{"name":"sdb","size_bytes":31457280000,"removable":true,"read_only":true,"vendor":"SanDisk","model":"Cruzer Blade"}]`
	if string(b) != wantBlocks {
		t.Errorf("block devices:\n%s\nwant\n%s", b, wantBlocks)
	}
}

// TestSystemLinkedFiles: /etc/os-release as a relative link and
// machine-id as an absolute one are followed inside the root.
func TestSystemLinkedFiles(t *testing.T) {
	root := t.TempDir()
	for name, body := range map[string]string{
		"usr/lib/os-release":      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"var/lib/dbus/machine-id": "fedcba9876543210fedcba9876543210\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc/os-release")); err != nil {
		t.Skip("symlink:", err)
	}
	if err := os.Symlink("/var/lib/dbus/machine-id", filepath.Join(root, "etc/machine-id")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop", filepath.Join(root, "etc/timezone")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("timezone", filepath.Join(root, "etc/loop")); err != nil {
		t.Fatal(err)
	}
	s := &recSink{}
	if err := (&System{}).Collect(context.Background(), fixedEnv(root), s); err != nil {
		t.Fatal(err)
	}
	var info artifact.SystemInfo
	s.decode(t, "volatile/system/system.json", &info)
	if info.PrettyName != "Debian GNU/Linux 12 (bookworm)" || info.OSReleaseSource != "/etc/os-release" {
		t.Errorf("os-release through a link: %q from %q", info.PrettyName, info.OSReleaseSource)
	}
	if info.MachineID != "fedcba9876543210fedcba9876543210" {
		t.Errorf("machine-id through an absolute link: %q", info.MachineID)
	}
	if info.TimeZone.Name != "" {
		t.Errorf("a link loop gave a zone %q", info.TimeZone.Name)
	}
}

// TestSystemEmptyRoot: nothing to read is recorded, not fatal.
func TestSystemEmptyRoot(t *testing.T) {
	s := &recSink{}
	if err := (&System{}).Collect(context.Background(), fixedEnv(t.TempDir()), s); err != nil {
		t.Fatal(err)
	}
	rec := s.record(t, "volatile/system/system.json")
	if rec.Outcome != manifest.OutcomePartial || len(rec.Errors) == 0 {
		t.Errorf("system.json on an empty root: %s %v", rec.Outcome, rec.Errors)
	}
	if rec := s.record(t, "volatile/raw/proc/modules"); rec.Entry != manifest.EntryNone || rec.Outcome != manifest.OutcomeVanished {
		t.Errorf("missing /proc/modules: %+v", rec)
	}
	var info artifact.SystemInfo
	s.decode(t, "volatile/system/system.json", &info)
	if info.Clock.ReferenceTime != nil || info.Clock.SkewSeconds != nil || !info.Clock.HostUTC.Equal(time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("clock without a reference: %+v", info.Clock)
	}
}
