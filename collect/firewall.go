package collect

// Firewall collects the packet filter as the kernel reports it: the
// nftables ruleset through a netlink dump, and the legacy iptables tables
// through getsockopt(IPT_SO_GET_INFO, IPT_SO_GET_ENTRIES). Raw bytes are
// stored with a decoded summary. See docs/collectors.md.
type Firewall struct{}

// Name implements [Collector].
func (*Firewall) Name() string { return "firewall" }
