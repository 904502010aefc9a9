package collect

import (
	"context"
	"os/exec"
	"testing"

	"github.com/hozen-dfir/hozen/artifact"
)

// TestFirewallLive dumps the running kernel's ruleset. Whatever the host
// has, the netlink dump must end (NLMSG_DONE) without an error, every rule
// must name a chain that the chain dump gave, and a listed legacy table
// must come with its raw bytes.
func TestFirewallLive(t *testing.T) {
	liveRoot(t)
	// Stage a chain with one rule through the host's iptables (test only;
	// the collector runs no program), removed after.
	staged := false
	if ipt, err := exec.LookPath("iptables"); err == nil {
		if exec.Command(ipt, "-w", "-N", "HOZENTEST").Run() == nil {
			staged = true
			t.Cleanup(func() {
				exec.Command(ipt, "-w", "-F", "HOZENTEST").Run()
				exec.Command(ipt, "-w", "-X", "HOZENTEST").Run()
			})
			if out, err := exec.Command(ipt, "-w", "-A", "HOZENTEST", "-s", "192.0.2.0/24", "-j", "DROP").CombinedOutput(); err != nil {
				t.Fatalf("iptables: %v %s", err, out)
			}
		}
	}
	env := &Env{Root: "/"}
	sink := &memSink{}
	if err := (&Firewall{}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var nft artifact.Nftables
	sink.decode(t, artifact.PathNftables, &nft)
	if len(nft.Errors) != 0 {
		t.Fatalf("nftables: %v", nft.Errors)
	}
	chains := map[[3]string]bool{}
	for _, c := range nft.Chains {
		chains[[3]string{c.Family, c.Table, c.Name}] = true
	}
	for _, r := range nft.Rules {
		if !chains[[3]string{r.Family, r.Table, r.Chain}] {
			t.Errorf("rule %+v in no dumped chain", r)
		}
	}
	sink.record(t, artifact.PathRawNftPrefix+"rules.bin")
	var ipt artifact.Iptables
	sink.decode(t, artifact.PathIptables, &ipt)
	for _, tab := range ipt.Tables {
		if len(tab.Errors) != 0 || tab.Raw == "" || uint32(len(tab.Entries)) != tab.NumEntries {
			t.Errorf("table %s/%s: %+v", tab.Family, tab.Name, tab)
		}
	}
	if staged {
		found := false
		for _, c := range nft.Chains {
			if c.Name == "HOZENTEST" && c.Rules == 1 {
				found = true
			}
		}
		for _, tab := range ipt.Tables {
			for _, e := range tab.Entries {
				if e.Src == "192.0.2.0/24" && e.Target == "DROP" {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("staged chain HOZENTEST with its rule not found: %+v %+v", nft.Chains, ipt.Tables)
		}
	}
	t.Logf("nftables: %d tables, %d chains, %d rules; iptables: %d tables", len(nft.Tables), len(nft.Chains), len(nft.Rules), len(ipt.Tables))
}
