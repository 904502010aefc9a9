package collect

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
)

// Collect implements [Collector].
func (f *Firewall) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(f.Name())
	}
	now := envNow(env)
	if err := f.nftables(ctx, env, sink, now); err != nil {
		return err
	}
	return f.iptables(ctx, env, sink, now)
}

// nftDumpMax bounds one netlink dump.
const nftDumpMax = 64 << 20

// netlinkDump sends one NLM_F_DUMP request of type typ on a
// NETLINK_NETFILTER socket and returns every reply message's bytes.
func netlinkDump(ctx context.Context, typ uint16) ([]byte, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Sec: 2}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	req := make([]byte, nlmsgHdrLen+nfgenmsgLen)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], typ)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], 1)
	// nfgenmsg: family NFPROTO_UNSPEC (all), version 0, res_id 0.
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	var out []byte
	buf := make([]byte, 1<<16)
	for {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, buf[:n]...)
		if len(out) > nftDumpMax {
			return out, fmt.Errorf("dump larger than %d bytes; stopped", nftDumpMax)
		}
		msgs, _ := splitNetlink(buf[:n])
		for _, m := range msgs {
			if m.Type == nlmsgDone || m.Type == nlmsgError {
				return out, nil
			}
		}
		if n == 0 {
			return out, nil
		}
	}
}

func (f *Firewall) nftables(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	doc := artifact.Nftables{CollectedAt: now, Method: "netlink NETLINK_NETFILTER dumps of NFT_MSG_GETTABLE, GETCHAIN, GETRULE (all families)",
		Tables: []artifact.NftTable{}, Chains: []artifact.NftChain{}, Rules: []artifact.NftRule{}}
	if !isLiveRoot(env) {
		doc.Errors = append(doc.Errors, "netlink reads the running kernel only; root "+env.Root+" not read")
		return PutJSON(sink, artifact.PathNftables, f.Name(), &doc)
	}
	for _, k := range []struct {
		name string
		typ  uint16
	}{{"tables", nftGetTable}, {"chains", nftGetChain}, {"rules", nftGetRule}} {
		b, err := netlinkDump(ctx, nftSubsys<<8|k.typ)
		var errs []string
		if err != nil {
			errs = append(errs, "netlink "+k.name+": "+err.Error())
		}
		doc.Errors = append(doc.Errors, errs...)
		if err := PutBytes(sink, artifact.PathRawNftPrefix+k.name+".bin", "netlink:nftables/"+k.name, f.Name(), b, errs); err != nil {
			return err
		}
		doc.Errors = append(doc.Errors, parseNftDump(b, &doc)...)
	}
	return PutJSON(sink, artifact.PathNftables, f.Name(), &doc)
}

// x_tables getsockopt numbers (IPT_BASE_CTL 64).
const (
	iptSoGetInfo    = 64
	iptSoGetEntries = 65
	iptInfoLen      = 84
	iptEntriesHdr   = 40
	iptMaxSize      = 64 << 20
)

func (f *Firewall) iptables(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	doc := artifact.Iptables{CollectedAt: now, Tables: []artifact.IptTable{},
		Method: "table names from /proc/net/ip_tables_names and ip6_tables_names; each listed table through getsockopt IPT_SO_GET_INFO and IPT_SO_GET_ENTRIES (tables not listed are not asked for, so no module is loaded)"}
	for _, fam := range []struct {
		name, names string
		af, level   int
	}{{"ipv4", "/proc/net/ip_tables_names", unix.AF_INET, unix.SOL_IP}, {"ipv6", "/proc/net/ip6_tables_names", unix.AF_INET6, unix.SOL_IPV6}} {
		names, err := PutPseudo(ctx, env, sink, fam.names, f.Name())
		if err != nil {
			return err
		}
		if !isLiveRoot(env) {
			continue
		}
		for _, t := range strings.Fields(string(names)) {
			tab := artifact.IptTable{Family: fam.name, Name: t, Entries: []artifact.IptEntry{}}
			raw, err := iptGet(fam.af, fam.level, t, &tab)
			if err != nil {
				tab.Errors = append(tab.Errors, err.Error())
			}
			if raw != nil {
				p := artifact.PathRawIptPrefix + fam.name + "-" + t + ".bin"
				tab.Raw = p
				if err := PutBytes(sink, p, "getsockopt:"+fam.name+"/"+t, f.Name(), raw, tab.Errors); err != nil {
					return err
				}
				ents, errs := parseIptEntries(raw[min(len(raw), iptEntriesHdr):], fam.af == unix.AF_INET6)
				tab.Entries = append(tab.Entries, ents...)
				tab.Errors = append(tab.Errors, errs...)
			}
			doc.Tables = append(doc.Tables, tab)
		}
	}
	if !isLiveRoot(env) {
		doc.Errors = append(doc.Errors, "getsockopt reads the running kernel only; root "+env.Root+" not read")
	}
	return PutJSON(sink, artifact.PathIptables, f.Name(), &doc)
}

// iptGet reads one table: its info, then its entries (header included).
func iptGet(af, level int, name string, tab *artifact.IptTable) ([]byte, error) {
	if len(name) >= 32 {
		return nil, fmt.Errorf("table name %q too long", name)
	}
	fd, err := unix.Socket(af, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	info := make([]byte, iptInfoLen)
	copy(info, name)
	if err := getsockopt(fd, level, iptSoGetInfo, info); err != nil {
		return nil, fmt.Errorf("IPT_SO_GET_INFO: %w", err)
	}
	ne := binary.NativeEndian
	tab.ValidHooks, tab.NumEntries, tab.Size = ne.Uint32(info[32:]), ne.Uint32(info[76:]), ne.Uint32(info[80:])
	if tab.Size > iptMaxSize {
		return nil, fmt.Errorf("table of %d bytes, over %d", tab.Size, iptMaxSize)
	}
	ent := make([]byte, iptEntriesHdr+int(tab.Size))
	copy(ent, name)
	ne.PutUint32(ent[32:], tab.Size)
	if err := getsockopt(fd, level, iptSoGetEntries, ent); err != nil {
		return nil, fmt.Errorf("IPT_SO_GET_ENTRIES: %w (the table changed size meanwhile?)", err)
	}
	return ent, nil
}

func getsockopt(fd, level, opt int, buf []byte) error {
	n := uint32(len(buf))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return e
	}
	return nil
}
