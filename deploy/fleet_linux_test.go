package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The fleet test needs root, iproute2, Debian's openssh-server and
// ansible-playbook. It runs only when HOZEN_FLEET is set ('make
// test-fleet'); then a missing tool is a failure, not a skip.
func needFleet(t *testing.T) {
	t.Helper()
	if os.Getenv("HOZEN_FLEET") == "" {
		t.Skip("set HOZEN_FLEET=1 (make test-fleet) to run the fleet tests: root, ip, sshd and ansible-playbook")
	}
	if os.Geteuid() != 0 {
		t.Fatal("HOZEN_FLEET is set but the fleet test needs root (network namespaces)")
	}
	for _, tool := range []string{"ip", "/usr/sbin/sshd", "ssh-keygen", "ssh", "ansible-playbook"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("HOZEN_FLEET is set but %s is missing: apt-get install -y iproute2 openssh-server openssh-client ansible-core", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// fleetHost is one simulated host: a network namespace reached from the
// controller's namespace over its own veth pair, running its own sshd.
type fleetHost struct {
	name, ns, addr string
	dir            string // the host's files: sshd config, keys, work and evidence dirs
	sshd           *exec.Cmd
	sshdLog        string
}

type fleet struct {
	t       *testing.T
	dir     string
	ctl     string // the controller's namespace
	hosts   []*fleetHost
	release string
	hozen   string
}

// newFleet makes the controller's namespace and n hosts' namespaces, each
// host joined to the controller by a veth pair with a /30 of 10.200.i.0
// that exists only inside these namespaces: nothing is added to the
// machine's own network. Everything is removed in t.Cleanup, also on
// failure.
func newFleet(t *testing.T, n int) *fleet {
	t.Helper()
	dir := t.TempDir()
	tag := strconv.Itoa(os.Getpid() % 100000)
	f := &fleet{t: t, dir: dir, ctl: "hzf" + tag + "c"}
	f.release = filepath.Join(dir, "release")
	if err := os.MkdirAll(f.release, 0o755); err != nil {
		t.Fatal(err)
	}
	f.hozen = buildHozen(t, f.release)

	f.addNS(f.ctl)
	run(t, "ip", "-n", f.ctl, "link", "set", "lo", "up")
	// The client key ansible logs in with, and the one authorized_keys.
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fleet-test-client", "-f", filepath.Join(dir, "client"))
	pub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd's privilege separation directory, as the Debian service makes it.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	var known bytes.Buffer
	for i := 1; i <= n; i++ {
		h := &fleetHost{
			name: fmt.Sprintf("host%d", i),
			ns:   fmt.Sprintf("hzf%sh%d", tag, i),
			addr: fmt.Sprintf("10.200.%d.2", i),
			dir:  filepath.Join(dir, fmt.Sprintf("host%d", i)),
		}
		f.hosts = append(f.hosts, h)
		f.addNS(h.ns)
		c, p := fmt.Sprintf("c%d", i), fmt.Sprintf("h%d", i)
		run(t, "ip", "-n", f.ctl, "link", "add", c, "type", "veth", "peer", "name", p, "netns", h.ns)
		run(t, "ip", "-n", f.ctl, "addr", "add", fmt.Sprintf("10.200.%d.1/30", i), "dev", c)
		run(t, "ip", "-n", h.ns, "addr", "add", h.addr+"/30", "dev", p)
		run(t, "ip", "-n", f.ctl, "link", "set", c, "up")
		run(t, "ip", "-n", h.ns, "link", "set", p, "up")
		run(t, "ip", "-n", h.ns, "link", "set", "lo", "up")
		f.startSSHD(h)
		hk, err := os.ReadFile(filepath.Join(h.dir, "ssh_host_ed25519_key.pub"))
		if err != nil {
			t.Fatal(err)
		}
		fields := strings.Fields(string(hk))
		fmt.Fprintf(&known, "%s %s %s\n", h.addr, fields[0], fields[1])
	}
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), known.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// addNS makes a namespace and registers its removal: first every process
// still in it (ours: sshd, ansible's async wrappers, hozen), then the
// namespace, which takes its veth ends with it.
func (f *fleet) addNS(ns string) {
	f.t.Helper()
	run(f.t, "ip", "netns", "add", ns)
	f.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
			for _, s := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(s); err == nil {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			f.t.Errorf("cleanup: ip netns del %s: %v: %s", ns, err, out)
		}
	})
}

// startSSHD starts Debian's sshd in h's namespace with its own config and
// host key: port 22 on h's address only, root by key only, no passwords,
// no PAM. StrictModes is off because the test's files live under /tmp.
func (f *fleet) startSSHD(h *fleetHost) {
	t := f.t
	t.Helper()
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(h.dir, "ssh_host_ed25519_key")
	if _, err := os.Stat(key); errors.Is(err, os.ErrNotExist) {
		run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", h.name, "-f", key)
	}
	cfg := filepath.Join(h.dir, "sshd_config")
	conf := strings.Join([]string{
		"Port 22",
		"ListenAddress " + h.addr,
		"AddressFamily inet",
		"HostKey " + key,
		"PidFile " + filepath.Join(h.dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(f.dir, "authorized_keys"),
		"PermitRootLogin prohibit-password",
		"AllowUsers root",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"MaxStartups 100",
		"Subsystem sftp internal-sftp",
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "/usr/sbin/sshd", "-t", "-f", cfg)
	h.sshdLog = filepath.Join(h.dir, "sshd.log")
	logf, err := os.Create(h.sshdLog)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("ip", "netns", "exec", h.ns, "/usr/sbin/sshd", "-D", "-e", "-f", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.sshd = cmd
	t.Cleanup(func() { h.stopSSHD() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(h.sshdLog)
		if bytes.Contains(b, []byte("Server listening on")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd in %s did not start:\n%s", h.ns, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *fleetHost) stopSSHD() {
	if h.sshd == nil || h.sshd.Process == nil {
		return
	}
	h.sshd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { h.sshd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		h.sshd.Process.Kill()
		<-done
	}
	h.sshd = nil
}

// inventory writes the inventory ansible reads: each host at its
// namespace's address, the client key, host keys checked against the
// test's known_hosts (StrictHostKeyChecking=yes), and each host's own
// work and evidence directories, since the namespaces share one file
// system.
func (f *fleet) inventory(caseID string) string {
	var b strings.Builder
	b.WriteString("all:\n  children:\n    hozen_targets:\n      hosts:\n")
	for _, h := range f.hosts {
		fmt.Fprintf(&b, "        %s:\n", h.name)
		fmt.Fprintf(&b, "          ansible_host: %s\n", h.addr)
		fmt.Fprintf(&b, "          ansible_remote_tmp: %s\n", filepath.Join(h.dir, "ansible-tmp"))
		fmt.Fprintf(&b, "          hozen_remote_dir: %s\n", filepath.Join(h.dir, "work"))
		fmt.Fprintf(&b, "          hozen_evidence_dir: %s\n", filepath.Join(h.dir, "evidence"))
	}
	vars := [][2]string{
		{"ansible_user", "root"},
		{"ansible_ssh_private_key_file", filepath.Join(f.dir, "client")},
		{"ansible_ssh_common_args", "-F /dev/null -o UserKnownHostsFile=" + filepath.Join(f.dir, "known_hosts") +
			" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o ConnectTimeout=5"},
		{"ansible_python_interpreter", "/usr/bin/python3"},
		{"hozen_case", caseID},
		{"hozen_examiner", "fleet-tester"},
		{"hozen_release_dir", f.release},
		{"hozen_controller_bin", f.hozen},
		{"hozen_fetch_dir", filepath.Join(f.dir, "controller", "evidence")},
		{"hozen_profile", "volatile"},
		{"hozen_collect_timeout", "600"},
		{"hozen_collect_poll", "1"},
	}
	b.WriteString("  vars:\n")
	for _, v := range vars {
		q, _ := json.Marshal(v[1])
		fmt.Fprintf(&b, "    %s: %s\n", v[0], q)
	}
	path := filepath.Join(f.dir, "inventory.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		f.t.Fatal(err)
	}
	return path
}

// playbook runs Debian's ansible-playbook in the controller's namespace.
func (f *fleet) playbook(inventory string) (string, int, time.Duration) {
	home := filepath.Join(f.dir, "ansible-home")
	os.MkdirAll(home, 0o700)
	// An empty configuration of the test's own: nothing from /etc/ansible.
	cfg := filepath.Join(home, "ansible.cfg")
	if err := os.WriteFile(cfg, []byte("[defaults]\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", f.ctl, "ansible-playbook", "-i", inventory,
		"-f", strconv.Itoa(len(f.hosts)+1), filepath.Join("ansible", "collect.yml"))
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"ANSIBLE_CONFIG="+cfg,
		"ANSIBLE_HOST_KEY_CHECKING=True",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_SSH_CONTROL_PATH_DIR="+filepath.Join(home, "cp"),
		"ANSIBLE_RETRY_FILES_ENABLED=False",
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_FORCE_COLOR=0",
	)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		f.t.Fatalf("ansible-playbook: %v", err)
	}
	os.WriteFile(filepath.Join(f.dir, "ansible.log"), out, 0o644)
	return string(out), code, took
}

type fleetSummary struct {
	Case      string            `json:"case"`
	LabLedger string            `json:"lab_ledger"`
	Received  []string          `json:"received"`
	Failed    []string          `json:"failed"`
	Errors    map[string]string `json:"errors"`
	Bundles   map[string]string `json:"bundles"`
}

type ledgerExport struct {
	Events []struct {
		Ledger       string `json:"ledger"`
		Action       string `json:"action"`
		CaseID       string `json:"case_id"`
		BundleFile   string `json:"bundle_file"`
		BundleSHA256 string `json:"bundle_sha256"`
		Outcome      string `json:"outcome"`
		Location     string `json:"location"`
	} `json:"events"`
}

// TestFleetAnsible drives the playbook over HOZEN_FLEET_HOSTS live hosts
// (default 3) plus one whose sshd was stopped: every live host's bundle
// must come back verified, received and imported into the lab's ledger,
// and the stopped host must be reported as failed without stopping them.
func TestFleetAnsible(t *testing.T) {
	needFleet(t)
	live := 3
	if s := os.Getenv("HOZEN_FLEET_HOSTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			t.Fatalf("HOZEN_FLEET_HOSTS=%q: want 1 to 200", s)
		}
		live = n
	}
	f := newFleet(t, live+1)
	// The stopped host sits in the middle of the inventory.
	down := f.hosts[len(f.hosts)/2]
	down.stopSSHD()

	const caseID = "FLEET-1"
	out, code, took := f.playbook(f.inventory(caseID))
	t.Logf("fleet: %d live hosts + 1 stopped: ansible-playbook wall time %s (exit %d)", live, took.Round(time.Millisecond), code)
	if code == 0 {
		t.Errorf("ansible-playbook exited 0 although %s was down", down.name)
	}
	if !strings.Contains(out, "FAILED: "+down.name) {
		t.Errorf("the summary does not name %s as failed", down.name)
	}
	if t.Failed() {
		t.Logf("ansible-playbook output:\n%s", out)
	}

	ctl := filepath.Join(f.dir, "controller", "evidence")
	var sum fleetSummary
	b, err := os.ReadFile(filepath.Join(ctl, "fleet-summary.json"))
	if err != nil {
		t.Fatalf("no summary: %v\n%s", err, out)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("fleet-summary.json: %v\n%s", err, b)
	}
	var want []string
	for _, h := range f.hosts {
		if h != down {
			want = append(want, h.name)
		}
	}
	slices.Sort(want)
	if !slices.Equal(sum.Received, want) || !slices.Equal(sum.Failed, []string{down.name}) {
		t.Fatalf("summary: received %v failed %v errors %v; want received %v failed [%s]\n%s", sum.Received, sum.Failed, sum.Errors, want, down.name, out)
	}

	// Each bundle, checked again here with the real binary: intact and
	// signed by the key made for its own host, and refused for another.
	shas := map[string]string{}
	for i, name := range want {
		bundle := sum.Bundles[name]
		if filepath.Dir(bundle) != filepath.Join(ctl, name) {
			t.Errorf("%s: bundle %s is not in the host's own directory", name, bundle)
		}
		keys := filepath.Join(ctl, "keys")
		cmd := exec.Command(f.hozen, "verify", "--allowed-signers", filepath.Join(keys, name+".allowed_signers"),
			"--principal", "hozen-"+caseID+"-"+name, bundle)
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: hozen verify %s: %v\n%s", name, bundle, err, o)
		}
		other := want[(i+1)%len(want)]
		if other != name {
			cmd = exec.Command(f.hozen, "verify", "--allowed-signers", filepath.Join(keys, other+".allowed_signers"),
				"--principal", "hozen-"+caseID+"-"+other, bundle)
			o, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Errorf("%s's bundle passed as %s's (err %v):\n%s", name, other, err, o)
			}
		}
		// The per-host private key is gone from both sides.
		for _, p := range []string{filepath.Join(keys, name), filepath.Join(f.dir, name, "work", "signing-key")} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: private key %s left behind (%v)", name, p, err)
			}
		}
		shas[filepath.Base(bundle)] = fileSHA256(t, bundle)
	}
	if len(shas) != len(want) {
		t.Errorf("bundle names collide: %v", sum.Bundles)
	}

	// The lab's ledger: verifies, holds every host's chain, and a
	// received and an intact verified event for each bundle, with the
	// SHA-256 of the file the controller holds.
	lab := filepath.Join(ctl, "lab-custody.db")
	if o, err := exec.Command(f.hozen, "custody", "--ledger", lab, "verify").CombinedOutput(); err != nil {
		t.Fatalf("hozen custody verify %s: %v\n%s", lab, err, o)
	}
	o, err := exec.Command(f.hozen, "custody", "--ledger", lab, "export", "--format", "json").Output()
	if err != nil {
		t.Fatalf("custody export: %v", err)
	}
	var ex ledgerExport
	if err := json.Unmarshal(o, &ex); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	chains := map[string]bool{}
	for _, e := range ex.Events {
		count[e.Action]++
		switch e.Action {
		case "sealed":
			chains[e.Ledger] = true
		case "received", "verified":
			if e.Action == "verified" && e.Outcome != "intact" {
				continue
			}
			if shas[e.BundleFile] != e.BundleSHA256 || e.CaseID != caseID {
				t.Errorf("%s event for %s: sha256 %s case %q; the controller's file has %s", e.Action, e.BundleFile, e.BundleSHA256, e.CaseID, shas[e.BundleFile])
			}
		}
	}
	if count["imported"] != len(want) || count["received"] != len(want) || len(chains) != len(want) {
		t.Errorf("lab ledger: %d imported, %d received, sealed events from %d host ledgers; want %d each (%v)",
			count["imported"], count["received"], len(chains), len(want), count)
	}
}
