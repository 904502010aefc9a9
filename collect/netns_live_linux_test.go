package collect

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/procfs"
)

// TestNetnsListenerChild is the child of TestNetworkOtherNamespaceLive: in
// its own network namespace it listens on a TCP port and a unix socket,
// says the port, and waits to be killed.
func TestNetnsListenerChild(t *testing.T) {
	if os.Getenv("HOZEN_TEST_NETNS_CHILD") == "" {
		t.Skip("child of TestNetworkOtherNamespaceLive")
	}
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ul, err := net.Listen("unix", "@hozen-test-netns-"+strconv.Itoa(os.Getpid()))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("port", ln.Addr().(*net.TCPAddr).Port)
	time.Sleep(2 * time.Minute)
	ln.Close()
	ul.Close()
	os.Exit(0)
}

// TestNetworkOtherNamespaceLive starts a process in a new network
// namespace listening there, and checks that the network collector lists
// its sockets, tagged with that namespace and owned by that process. Before
// hozen read other namespaces' tables, such sockets (every container's)
// were missing from sockets.json.
func TestNetworkOtherNamespaceLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNetnsListenerChild$")
	cmd.Env = append(os.Environ(), "HOZEN_TEST_NETNS_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process in a new network namespace: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "port ") {
		t.Fatalf("child: %q %v", line, err)
	}
	port, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "port ")))
	pid := cmd.Process.Pid
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		t.Fatal(err)
	}
	ns, _ := procfs.NamespaceInode(link)
	self := ownNetNS(&Env{Root: "/"})
	if ns == 0 || ns == self {
		t.Fatalf("child's namespace %d, own %d", ns, self)
	}

	sink := &memSink{}
	env := &Env{Root: "/", Now: time.Now}
	if err := (&Network{noNetlink: true}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var st artifact.SocketTable
	sink.decode(t, artifact.PathSockets, &st)
	found := false
	for _, s := range st.Sockets {
		if s.NetNS != ns || int(s.LocalPort) != port || s.Proto != "tcp" {
			continue
		}
		found = true
		if !s.Listening || s.OwnerStatus != artifact.OwnedBy || len(s.Owners) != 1 || s.Owners[0].PID != pid {
			t.Errorf("socket in the namespace: %+v", s)
		}
	}
	if !found {
		t.Fatalf("no tcp socket on port %d in namespace %d among %d sockets", port, ns, len(st.Sockets))
	}
	var nsEntry *artifact.NetNamespace
	for i := range st.Namespaces {
		if st.Namespaces[i].Inode == ns {
			nsEntry = &st.Namespaces[i]
		}
	}
	if nsEntry == nil || nsEntry.PID != pid || nsEntry.Source != fmt.Sprintf("/proc/%d/net", pid) || nsEntry.Sockets < 2 {
		t.Errorf("namespace entry: %+v", nsEntry)
	}
	if _, ok := sink.data[fmt.Sprintf("volatile/raw/proc/%d/net/tcp", pid)]; !ok {
		t.Errorf("raw table of the namespace not stored")
	}
	flagged := false
	for _, f := range env.findings().List() {
		flagged = flagged || (f.Rule == RuleNetNSListening && f.PID == pid && strings.Contains(f.Title, ":"+strconv.Itoa(port)+" "))
	}
	if !flagged {
		t.Errorf("no %s finding for the listener", RuleNetNSListening)
	}
	var ut artifact.UnixSocketTable
	sink.decode(t, artifact.PathUnixSockets, &ut)
	want := "@hozen-test-netns-" + strconv.Itoa(pid)
	ok := false
	for _, u := range ut.Sockets {
		if string(u.Path) == want {
			ok = u.NetNS == ns && len(u.Owners) == 1 && u.Owners[0].PID == pid
		}
	}
	if !ok {
		t.Errorf("unix socket %s not listed with namespace %d and owner %d", want, ns, pid)
	}
}
