package procfs

import (
	"testing"
)

func TestParseMountinfoEscapes(t *testing.T) {
	ms, errs := ParseMountinfo([]byte(`1 0 8:1 /a\134b /x\011y\012z rw - ext4 /dev/sda1 rw` + "\nnot a line\n"))
	if len(ms) != 1 || ms[0].Root != `/a\b` || ms[0].MountPoint != "/x\ty\nz" || len(errs) != 1 {
		t.Errorf("%+v %v", ms, errs)
	}
}

// TestParseModules: used_by lists, "-" for none, the taint in
// parentheses; a short line is reported by number.
func TestParseModules(t *testing.T) {
	ms, errs := ParseModules([]byte("ext4 1064960 1 - Live 0xffffffffc0800000\nnf_nat 61440 2 xt_MASQUERADE,nft_chain_nat, Live 0x0 (OE)\nshort 1 2\n"))
	if len(ms) != 2 || len(errs) != 1 || errs[0] != "line 3: 3 fields, want 6 or more" {
		t.Fatalf("%+v %q", ms, errs)
	}
	if m := ms[0]; m.Name != "ext4" || m.Size != 1064960 || m.RefCount != 1 || len(m.UsedBy) != 0 || m.State != "Live" {
		t.Errorf("%+v", m)
	}
	if m := ms[1]; len(m.UsedBy) != 2 || m.UsedBy[1] != "nft_chain_nat" || m.Taint != "OE" {
		t.Errorf("%+v", m)
	}
}

// FuzzParseKernelTables: /proc/modules, mountinfo and /proc/stat's btime
// parse anything without a panic.
func FuzzParseKernelTables(f *testing.F) {
	f.Add([]byte("ext4 1064960 1 - Live 0xffffffffc0800000\n"))
	f.Add([]byte("22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"))
	f.Add([]byte(`1 0 8:1 /a\13 /\777 rw - e \0`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseModules(b)
		ParseMountinfo(b)
		BootTime(b)
	})
}
