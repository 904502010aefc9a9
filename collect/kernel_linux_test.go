package collect

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
)

// kernelRoot writes a fixture root for the kernel collector: a raw ICMP
// socket held by a deleted program in /tmp, a packet socket (ETH_P_ALL)
// held by dhclient (of a package), another held by a program no package
// lists that calls itself dhclient, one raw6 socket no process holds, a module hidden from
// /proc/modules, a kmsg dump, sysctls and binfmt_misc handlers.
func kernelRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"proc/net/raw": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
			"  11: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5001 2 0000000000000000 0\n",
		"proc/net/raw6": "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
			"  126: 00000000000000000000000000000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5003 2 0000000000000000 0\n",
		"proc/net/packet": "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n" +
			"0000000000000000 3      3    0003   0     1 0      0      5002\n" +
			"0000000000000000 3      3    0003   0     1 0      0      5004\n",
		"proc/300/comm":                          "dhclient\n", // a name proves nothing
		"var/lib/dpkg/info/isc-dhcp-client.list": "/.\n/usr\n/usr/sbin\n/usr/sbin/dhclient\n",
		"proc/100/comm":                          "kworker\n",
		"proc/200/comm":                          "dhclient\n",
		"proc/modules":                           "ext4 1064960 1 - Live 0x0000000000000000\n",
		"sys/module/ext4/initstate":              "live\n",
		"sys/module/ext4/refcnt":                 "1\n",
		"sys/module/diamorphine/initstate":       "live\n",
		"sys/module/diamorphine/refcnt":          "0\n",
		"sys/module/diamorphine/taint":           "OE\n",
		"sys/module/printk/parameters/time":      "Y\n", // built in: no initstate
		"dev/kmsg":                               "6,1,100,-;Linux version 6.18\n SUBSYSTEM=cpu\n4,2,2000,-;diamorphine: loading out-of-tree module taints kernel.\n",
		"proc/sys/net/ipv4/ip_forward":           "1\n",
		"proc/sys/kernel/yama/ptrace_scope":      "0\n",
		"proc/sys/kernel/randomize_va_space":     "2\n",
		"proc/sys/kernel/core_pattern":           "|/dev/shm/.x %p\n",
		"proc/sys/kernel/modprobe":               "/sbin/modprobe\n",
		"proc/sys/vm/swappiness":                 "60\n",
		"proc/sys/fs/binfmt_misc/status":         "enabled\n",
		"proc/sys/fs/binfmt_misc/qemu-arm":       "enabled\ninterpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\nflags: PF\noffset 0\nmagic 7f454c4601010100\nmask ffffffffffffff00\n",
		"proc/sys/fs/binfmt_misc/sneaky":         "enabled\ninterpreter /tmp/.h\nflags: \nextension .sh\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"proc/100/fd/3": "socket:[5001]",
		"proc/100/exe":  "/tmp/.sniff (deleted)",
		"proc/200/fd/5": "socket:[5002]",
		"proc/200/exe":  "/usr/sbin/dhclient",
		"proc/300/fd/4": "socket:[5004]",
		"proc/300/exe":  "/usr/local/sbin/snoop",
	}
	for name, target := range links {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func findingsBy(env *Env, rule string) []artifact.Finding {
	var out []artifact.Finding
	for _, f := range env.findings().List() {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func TestKernelFixture(t *testing.T) {
	root := kernelRoot(t)
	env := &Env{Root: root, Now: func() time.Time { return time.Unix(1740816000, 0) }}
	sink := &memSink{}
	if err := (&Kernel{}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var rs artifact.RawSockets
	sink.decode(t, artifact.PathRawSockets, &rs)
	if len(rs.Sockets) != 4 {
		t.Fatalf("sockets %+v", rs.Sockets)
	}
	byIno := map[uint64]artifact.RawSocket{}
	for _, s := range rs.Sockets {
		byIno[s.Inode] = s
	}
	if s := byIno[5001]; s.Table != "raw" || s.ProtocolName != "icmp" || len(s.Owners) != 1 || s.Owners[0].PID != 100 || s.OwnerExes[100] != "/tmp/.sniff (deleted)" {
		t.Errorf("raw: %+v", s)
	}
	if s := byIno[5002]; s.Table != "packet" || s.ProtocolName != "ETH_P_ALL" || s.Type != "raw" || s.Owners[0].PID != 200 {
		t.Errorf("packet: %+v", s)
	}
	if s := byIno[5003]; s.OwnerStatus != artifact.OwnerNone {
		t.Errorf("raw6: %+v", s)
	}
	sev := map[string]string{}
	for _, f := range findingsBy(env, RuleRawSocket) {
		sev[f.Evidence[0]] = fmt.Sprintf("%s %d", f.Severity, f.Score)
	}
	want := map[string]string{
		artifact.PathRawSockets + "#inode=5001": "high 80",   // deleted program in /tmp
		artifact.PathRawSockets + "#inode=5002": "low 20",    // dhclient, packaged
		artifact.PathRawSockets + "#inode=5003": "high 90",   // no owner
		artifact.PathRawSockets + "#inode=5004": "medium 60", // "dhclient" no package lists
	}
	if fmt.Sprint(sev) != fmt.Sprint(want) {
		t.Errorf("raw socket findings %v, want %v", sev, want)
	}

	var mc artifact.ModuleCheck
	sink.decode(t, artifact.PathModuleCheck, &mc)
	if len(mc.Mismatch) != 1 || mc.Mismatch[0].Name != "diamorphine" || mc.Builtin != 1 {
		t.Errorf("module check %+v", mc)
	}
	if f := findingsBy(env, RuleModuleHidden); len(f) != 1 || !strings.Contains(f[0].Title, "diamorphine") {
		t.Errorf("module findings %+v", f)
	}

	var kl artifact.KernelLog
	sink.decode(t, artifact.PathKernelLog, &kl)
	if len(kl.Records) != 2 || kl.Records[0].Dict[0] != "SUBSYSTEM=cpu" || kl.Records[1].Level != 4 || kl.Records[1].Seq != 2 {
		t.Errorf("kmsg %+v", kl)
	}
	if string(sink.data[artifact.PathRawKernelLog]) != "6,1,100,-;Linux version 6.18\n SUBSYSTEM=cpu\n4,2,2000,-;diamorphine: loading out-of-tree module taints kernel.\n" {
		t.Errorf("raw kmsg %q", sink.data[artifact.PathRawKernelLog])
	}

	var sc artifact.Sysctls
	sink.decode(t, artifact.PathSysctl, &sc)
	if sc.Values["vm.swappiness"] != "60" || sc.Values["net.ipv4.ip_forward"] != "1" || sc.Count != 6 {
		t.Errorf("sysctl %+v", sc)
	}
	for rule, sev := range map[string]string{RuleSysctlForward: "info", RuleSysctlPtrace: "low", RuleSysctlCore: "high"} {
		if f := findingsBy(env, rule); len(f) != 1 || f[0].Severity != sev {
			t.Errorf("%s: %+v", rule, f)
		}
	}
	for _, rule := range []string{RuleSysctlASLR, RuleSysctlModprobe} {
		if f := findingsBy(env, rule); len(f) != 0 {
			t.Errorf("%s on default values: %+v", rule, f)
		}
	}

	var bf artifact.Binfmt
	sink.decode(t, artifact.PathBinfmt, &bf)
	if len(bf.Entries) != 2 || bf.Status != "enabled" {
		t.Fatalf("binfmt %+v", bf)
	}
	if f := findingsBy(env, RuleBinfmtTemp); len(f) != 1 || f[0].Path != "/tmp/.h" || f[0].Severity != "high" {
		t.Errorf("binfmt findings %+v", f)
	}
	var bpf artifact.BPFObjects
	sink.decode(t, artifact.PathBPF, &bpf)
	if len(bpf.Errors) == 0 {
		t.Errorf("bpf on a fixture root should say it was not read")
	}
}

func TestDecodeTaint(t *testing.T) {
	var got []string
	for _, f := range DecodeTaint(12288 | 1<<40) {
		got = append(got, fmt.Sprintf("%d%s", f.Bit, f.Letter))
	}
	if strings.Join(got, ",") != "12O,13E,40?" {
		t.Errorf("got %v", got)
	}
	env := &Env{}
	taintFindings(env, DecodeTaint(12288))
	if f := findingsBy(env, RuleTaintModule); len(f) != 1 || f[0].Severity != "low" {
		t.Errorf("%+v", f)
	}
	env = &Env{}
	taintFindings(env, DecodeTaint(1<<9)) // W: a warning only
	if f := findingsBy(env, RuleTaintModule); len(f) != 0 {
		t.Errorf("%+v", f)
	}
}

func liveRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// TestKernelLiveRawSocket opens a raw ICMP socket in a child process (this
// test binary again) and checks the collector names the child as owner
// and flags it.
func TestKernelLiveRawSocket(t *testing.T) {
	if os.Getenv("HOZEN_TEST_RAW_CHILD") == "1" {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
		if err != nil {
			fmt.Println("socket:", err)
			os.Exit(1)
		}
		var st unix.Stat_t
		unix.Fstat(fd, &st)
		fmt.Println("inode", st.Ino)
		os.Stdin.Read(make([]byte, 1)) // until the parent closes stdin
		os.Exit(0)
	}
	liveRoot(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKernelLiveRawSocket$")
	cmd.Env = append(os.Environ(), "HOZEN_TEST_RAW_CHILD=1")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	var ino uint64
	if _, err := fmt.Fscanf(out, "inode %d\n", &ino); err != nil {
		t.Fatal("child:", err)
	}
	env := &Env{Root: "/"}
	sink := &memSink{}
	if err := (&Kernel{}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var rs artifact.RawSockets
	sink.decode(t, artifact.PathRawSockets, &rs)
	var got *artifact.RawSocket
	for i := range rs.Sockets {
		if rs.Sockets[i].Inode == ino {
			got = &rs.Sockets[i]
		}
	}
	if got == nil || got.Table != "raw" || got.Protocol != 1 || len(got.Owners) != 1 || got.Owners[0].PID != cmd.Process.Pid {
		t.Fatalf("socket %d: %+v (child %d)", ino, got, cmd.Process.Pid)
	}
	found := false
	for _, f := range findingsBy(env, RuleRawSocket) {
		if f.PID == cmd.Process.Pid && f.Evidence[0] == artifact.PathRawSockets+"#inode="+strconv.FormatUint(ino, 10) {
			found = true
		}
	}
	if !found {
		t.Errorf("no raw-socket finding for pid %d: %+v", cmd.Process.Pid, findingsBy(env, RuleRawSocket))
	}
}

// TestKernelLiveKmsg writes a marker into the kernel log and finds it in
// the collected records; the read must not block at the log's end.
func TestKernelLiveKmsg(t *testing.T) {
	liveRoot(t)
	marker := fmt.Sprintf("hozen-test-marker-%d", time.Now().UnixNano())
	if err := os.WriteFile("/dev/kmsg", []byte(marker+"\n"), 0); err != nil {
		t.Skip("/dev/kmsg not writable:", err)
	}
	env := &Env{Root: "/"}
	sink := &memSink{}
	done := make(chan error, 1)
	go func() { done <- (&Kernel{}).kmsg(context.Background(), env, sink, time.Now()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("kmsg read blocked")
	}
	var kl artifact.KernelLog
	sink.decode(t, artifact.PathKernelLog, &kl)
	for _, r := range kl.Records {
		if strings.Contains(r.Message, marker) {
			return
		}
	}
	t.Fatalf("marker %s not among %d records (errors %v)", marker, len(kl.Records), kl.Errors)
}

// TestKernelLiveBPF loads a two-instruction socket filter program through
// bpf(2) and finds it, held by this process, in the listing.
func TestKernelLiveBPF(t *testing.T) {
	liveRoot(t)
	// r0 = 0; exit
	insns := []uint64{0x00000000000000b7, 0x0000000000000095}
	license := []byte("GPL\x00")
	name := [16]byte{}
	copy(name[:], "hozen_test")
	attr := make([]byte, 128)
	var pin runtime.Pinner
	pin.Pin(&insns[0])
	pin.Pin(&license[0])
	defer pin.Unpin()
	putU32(attr[0:], 1) // BPF_PROG_TYPE_SOCKET_FILTER
	putU32(attr[4:], uint32(len(insns)))
	putU64(attr[8:], uint64(uintptr(unsafe.Pointer(&insns[0]))))
	putU64(attr[16:], uint64(uintptr(unsafe.Pointer(&license[0]))))
	copy(attr[48:64], name[:]) // prog_name
	fd, err := sysBPF(5, unsafe.Pointer(&attr[0]), uintptr(len(attr)))
	if err != nil {
		t.Skip("BPF_PROG_LOAD refused:", err)
	}
	defer syscall.Close(fd)
	env := &Env{Root: "/"}
	sink := &memSink{}
	if err := (&Kernel{}).bpf(context.Background(), env, sink, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	var doc artifact.BPFObjects
	sink.decode(t, artifact.PathBPF, &doc)
	for _, p := range doc.Programs {
		if p.Name == "hozen_test" {
			if p.TypeName != "socket_filter" || len(p.Tag) != 16 || p.LoadedAt == nil {
				t.Errorf("program %+v", p)
			}
			return
		}
	}
	t.Fatalf("program not listed: %s", sink.data[artifact.PathBPF])
}
