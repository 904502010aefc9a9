package collect

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/pcblist"
	"github.com/hozen-dfir/hozen/manifest"
)

// pcbSysctls are the kernel's PCB lists, with their transport.
var pcbSysctls = []struct{ name, transport string }{
	{"net.inet.tcp.pcblist_n", "tcp"},
	{"net.inet.udp.pcblist_n", "udp"},
}

// pcbSource reads the PCB lists; the darwin collector passes the real
// sysctl and process lookups, tests pass fixtures.
type pcbSource struct {
	sysctl func(name string) ([]byte, error)
	name   func(ctx context.Context, pid int) string
}

// sockets reads net.inet.{tcp,udp}.pcblist_n, stores each blob raw at
// volatile/raw/sysctl/NAME (or a record saying why it could not be read),
// and decodes them into st. It returns an error only when the sink fails.
func (src pcbSource) sockets(ctx context.Context, sink Sink, collector string, st *artifact.SocketTable) error {
	names := map[int]string{}
	name := func(pid int) string {
		n, ok := names[pid]
		if !ok {
			n = src.name(ctx, pid)
			names[pid] = n
		}
		return n
	}
	for _, sc := range pcbSysctls {
		rec := &manifest.Record{
			Path:      manifest.BString("volatile/raw/sysctl/" + sc.name),
			Source:    manifest.BString("sysctl " + sc.name),
			Collector: collector,
		}
		b, err := src.sysctl(sc.name)
		if err != nil {
			st.Errors = append(st.Errors, "sysctl "+sc.name+": "+err.Error())
			rec.Entry, rec.Outcome, rec.Errors = manifest.EntryNone, outcomeOf(err), []string{err.Error()}
			if err := sink.Put(rec, nil); err != nil {
				return err
			}
			continue
		}
		if err := PutBytes(sink, string(rec.Path), string(rec.Source), collector, b, nil); err != nil {
			return err
		}
		list, err := pcblist.Parse(b)
		if err != nil {
			for _, e := range unwrapAll(err) {
				st.Errors = append(st.Errors, "sysctl "+sc.name+": "+e.Error())
			}
		}
		for _, k := range slices.Sorted(maps.Keys(list.Unknown)) {
			st.Errors = append(st.Errors, fmt.Sprintf("sysctl %s: %d items of unknown kind %#x skipped", sc.name, list.Unknown[k], k))
		}
		for _, p := range list.PCBs {
			s := p.Socket(sc.transport, name)
			if s.OwnerStatus == artifact.OwnerNone {
				st.Unowned++
			}
			st.Sockets = append(st.Sockets, s)
		}
	}
	return nil
}

// unwrapAll lists the errors an errors.Join holds, or err alone.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
