package collect

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/procfs"
	"github.com/hozen-dfir/hozen/manifest"
)

// Collect implements [Collector]: most volatile first (sockets, eBPF,
// modules, the log), then settings.
func (k *Kernel) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(k.Name())
	}
	dl := k.Deadline
	if dl <= 0 {
		dl = DefaultKernelDeadline
	}
	ctx, cancel := context.WithTimeout(ctx, dl)
	defer cancel()
	now := envNow(env)
	progs, err := k.rawSockets(ctx, env, sink, now)
	if err != nil {
		return err
	}
	if err := k.bpf(ctx, env, sink, now, progs); err != nil {
		return err
	}
	if err := k.modules(ctx, env, sink, now); err != nil {
		return err
	}
	if err := k.kmsg(ctx, env, sink, now); err != nil {
		return err
	}
	if err := k.sysctl(ctx, env, sink, now); err != nil {
		return err
	}
	return k.binfmt(ctx, env, sink, now)
}

var rawTables = []string{"raw", "raw6", "packet"}

// rawSockets stores the raw and packet sockets with their owners; it
// returns the descriptors holding an eBPF program that the same scan of
// every /proc/PID/fd found, for bpf (none with NoOwners).
func (k *Kernel) rawSockets(ctx context.Context, env *Env, sink Sink, now time.Time) ([]procFD, error) {
	raw := map[string][]byte{}
	for _, t := range rawTables {
		b, err := PutPseudo(ctx, env, sink, "/proc/net/"+t, k.Name())
		if err != nil {
			return nil, err
		}
		raw[t] = b
	}
	doc := artifact.RawSockets{CollectedAt: now, Sockets: []artifact.RawSocket{}}
	owners := map[uint64][]artifact.SocketOwner{}
	var progs []procFD
	if !k.NoOwners {
		var errs []string
		owners, progs, errs = (&Network{}).scanFDs(ctx, env)
		doc.Errors = append(doc.Errors, errs...)
	}
	ids := readIDNames(ctx, env, &doc.Errors)
	add := func(s artifact.RawSocket) {
		s.User = ids.users[s.UID]
		s.OwnerStatus, s.Owners = ownerStatus(k.NoOwners, s.Inode, owners)
		for _, o := range s.Owners {
			if exe, err := os.Readlink(procDir(env, o.PID) + "/exe"); err == nil {
				if s.OwnerExes == nil {
					s.OwnerExes = map[int]manifest.BString{}
				}
				s.OwnerExes[o.PID] = manifest.BString(exe)
			}
		}
		doc.Sockets = append(doc.Sockets, s)
	}
	for _, t := range rawTables[:2] {
		socks, errs := procfs.ParseRaw(raw[t])
		for _, e := range errs {
			doc.Errors = append(doc.Errors, "/proc/net/"+t+": "+e.Error())
		}
		for _, s := range socks {
			add(artifact.RawSocket{Table: t, Protocol: s.Protocol, ProtocolName: procfs.IPProtocols[s.Protocol],
				LocalAddr: s.Local.Addr().String(), UID: s.UID, Inode: s.Inode, Drops: s.Drops})
		}
	}
	psocks, perrs := procfs.ParsePacket(raw["packet"])
	for _, e := range perrs {
		doc.Errors = append(doc.Errors, "/proc/net/packet: "+e.Error())
	}
	for _, s := range psocks {
		add(artifact.RawSocket{Table: "packet", Protocol: s.Proto, ProtocolName: procfs.EtherTypes[s.Proto],
			Type: s.TypeName, Iface: s.Iface, UID: s.UID, Inode: s.Inode})
	}
	// A socket no process holds: read the tables again to tell one closed
	// meanwhile from one really unowned.
	if !k.NoOwners {
		still := map[uint64]bool{}
		for _, t := range rawTables {
			res := ReadPseudo(ctx, env.Path("/proc/net/"+t), PseudoMaxBytes)
			if t == "packet" {
				ps, _ := procfs.ParsePacket(res.Data)
				for _, s := range ps {
					still[s.Inode] = true
				}
				continue
			}
			rs, _ := procfs.ParseRaw(res.Data)
			for _, s := range rs {
				still[s.Inode] = true
			}
		}
		for i := range doc.Sockets {
			if s := &doc.Sockets[i]; s.OwnerStatus == artifact.OwnerNone && !still[s.Inode] {
				s.OwnerStatus = artifact.OwnerClosed
			}
		}
	}
	rawSocketFindings(env, doc.Sockets)
	return progs, PutJSON(sink, artifact.PathRawSockets, k.Name(), &doc)
}

// sysBPF is the bpf(2) system call with attr of size n.
func sysBPF(cmd int, attr unsafe.Pointer, n uintptr) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), n)
	if e != 0 {
		return int(r), e
	}
	return int(r), nil
}

// bpf commands (include/uapi/linux/bpf.h).
const (
	bpfProgGetNextID  = 11
	bpfMapGetNextID   = 12
	bpfProgGetFDByID  = 13
	bpfMapGetFDByID   = 14
	bpfObjGetInfoByFD = 15
	bpfLinkGetFDByID  = 30
	bpfLinkGetNextID  = 31
	bpfMaxObjects     = 100000
)

// bpfEach walks the ids of one kind of object and calls fn with an fd for
// each; the fd is closed after.
func bpfEach(ctx context.Context, nextCmd, fdCmd int, fn func(fd int)) error {
	var id uint32
	for n := 0; n < bpfMaxObjects; n++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		attr := [3]uint32{id, 0, 0}
		if _, err := sysBPF(nextCmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
			if errors.Is(err, unix.ENOENT) {
				return nil
			}
			return err
		}
		id = attr[1]
		get := [3]uint32{id, 0, 0}
		fd, err := sysBPF(fdCmd, unsafe.Pointer(&get), unsafe.Sizeof(get))
		if err != nil {
			continue // gone meanwhile
		}
		fn(fd)
		unix.Close(fd)
	}
	return fmt.Errorf("more than %d objects; stopped", bpfMaxObjects)
}

// bpfInfo fills buf by BPF_OBJ_GET_INFO_BY_FD and returns the length the
// kernel wrote.
func bpfInfo(fd int, buf []byte) ([]byte, error) {
	// The kernel writes through a pointer inside attr, which the compiler
	// does not see: pin buf so that it is on the heap and stays put.
	var pin runtime.Pinner
	pin.Pin(&buf[0])
	defer pin.Unpin()
	attr := struct {
		fd, n uint32
		info  uint64
	}{uint32(fd), uint32(len(buf)), uint64(uintptr(unsafe.Pointer(&buf[0])))}
	_, err := sysBPF(bpfObjGetInfoByFD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		return nil, err
	}
	return buf[:min(int(attr.n), len(buf))], nil
}

// bpf stores the eBPF programs, maps and links; a program's holders are
// found among progs, the descriptors holding a program (from rawSockets'
// scan of every /proc/PID/fd).
func (k *Kernel) bpf(ctx context.Context, env *Env, sink Sink, now time.Time, progs []procFD) error {
	doc := artifact.BPFObjects{CollectedAt: now, Method: "bpf(2) BPF_{PROG,MAP,LINK}_GET_NEXT_ID, GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD; holders from /proc/PID/fdinfo prog_id",
		Programs: []artifact.BPFProgram{}, Maps: []artifact.BPFMap{}, Links: []artifact.BPFLink{}}
	if !isLiveRoot(env) {
		doc.Errors = append(doc.Errors, "the bpf syscall reads the running kernel only; root "+env.Root+" not read")
		return PutJSON(sink, artifact.PathBPF, k.Name(), &doc)
	}
	var boot time.Time
	if bt, err := procfs.BootTime(ReadPseudo(ctx, env.Path("/proc/stat"), 1<<20).Data); err == nil {
		boot = bt
	}
	err := bpfEach(ctx, bpfProgGetNextID, bpfProgGetFDByID, func(fd int) {
		buf := make([]byte, bpfInfoBufLen)
		b, err := bpfInfo(fd, buf)
		if err != nil {
			doc.Errors = append(doc.Errors, "program info: "+err.Error())
			return
		}
		p, ok := decodeProgInfo(b)
		if !ok {
			doc.Errors = append(doc.Errors, fmt.Sprintf("program info: %d bytes", len(b)))
			return
		}
		// A second call with room for the map ids (nr_map_ids at 52,
		// map_ids at 56).
		if n := binary.NativeEndian.Uint32(b[52:]); n > 0 {
			ids := make([]uint32, min(n, 4096))
			var pin runtime.Pinner
			pin.Pin(&ids[0])
			buf2 := make([]byte, bpfInfoBufLen)
			putU32(buf2[52:], uint32(len(ids)))
			putU64(buf2[56:], uint64(uintptr(unsafe.Pointer(&ids[0]))))
			if _, err := bpfInfo(fd, buf2); err == nil {
				p.MapIDs = ids[:min(int(binary.NativeEndian.Uint32(buf2[52:])), len(ids))]
			}
			pin.Unpin()
		}
		if !boot.IsZero() {
			p.LoadedAt = ptr(boot.Add(time.Duration(p.LoadTimeNS)).UTC())
		}
		doc.Programs = append(doc.Programs, p)
	})
	if err != nil {
		doc.Errors = append(doc.Errors, "programs: "+err.Error())
	}
	err = bpfEach(ctx, bpfMapGetNextID, bpfMapGetFDByID, func(fd int) {
		if b, err := bpfInfo(fd, make([]byte, bpfInfoBufLen)); err == nil {
			if m, ok := decodeMapInfo(b); ok {
				doc.Maps = append(doc.Maps, m)
			}
		}
	})
	if err != nil {
		doc.Errors = append(doc.Errors, "maps: "+err.Error())
	}
	err = bpfEach(ctx, bpfLinkGetNextID, bpfLinkGetFDByID, func(fd int) {
		if b, err := bpfInfo(fd, make([]byte, bpfInfoBufLen)); err == nil {
			if l, ok := decodeLinkInfo(b); ok {
				doc.Links = append(doc.Links, l)
			}
		}
	})
	if err != nil {
		doc.Errors = append(doc.Errors, "links: "+err.Error())
	}
	exes := map[int]string{}
	if !k.NoOwners && len(doc.Programs) > 0 {
		byID := map[uint32]*artifact.BPFProgram{}
		for i := range doc.Programs {
			byID[doc.Programs[i].ID] = &doc.Programs[i]
		}
		self := os.Getpid()
		for _, h := range progs {
			if ctx.Err() != nil || h.pid == self {
				continue
			}
			base := procDir(env, h.pid)
			id, ok := parseFdinfoID(ReadPseudo(ctx, base+"/fdinfo/"+strconv.Itoa(h.fd), 4096).Data, "prog_id")
			if p := byID[id]; ok && p != nil {
				comm := strings.TrimSuffix(string(ReadPseudo(ctx, base+"/comm", 4096).Data), "\n")
				p.Holders = append(p.Holders, artifact.SocketOwner{PID: h.pid, FD: h.fd, Name: manifest.BString(comm)})
				if exe, err := os.Readlink(base + "/exe"); err == nil {
					exes[h.pid] = exe
				}
			}
		}
	}
	bpfFindings(env, doc.Programs, exes)
	return PutJSON(sink, artifact.PathBPF, k.Name(), &doc)
}

func putU32(b []byte, v uint32) { binary.NativeEndian.PutUint32(b, v) }
func putU64(b []byte, v uint64) { binary.NativeEndian.PutUint64(b, v) }

func (k *Kernel) modules(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	doc := artifact.ModuleCheck{CollectedAt: now, Modules: []artifact.ModuleView{}, Mismatch: []artifact.ModuleView{},
		Method: "names in /proc/modules against /sys/module entries that have an initstate file (loadable modules; built-in code has none); a mismatch must hold in two reads"}
	read := func() (map[string]artifact.ModuleView, int) {
		seen := map[string]artifact.ModuleView{}
		res := ReadPseudo(ctx, env.Path("/proc/modules"), PseudoMaxBytes)
		if res.Err != nil {
			doc.Errors = append(doc.Errors, "/proc/modules: "+res.Err.Error())
		}
		mods, _ := procfs.ParseModules(res.Data)
		for _, m := range mods {
			seen[m.Name] = artifact.ModuleView{Name: m.Name, InProcModules: true, Taint: m.Taint}
		}
		names, err := listDir(env.Path("/sys/module"))
		if err != nil {
			doc.Errors = append(doc.Errors, "/sys/module: "+err.Error())
		}
		builtin := 0
		for _, n := range names {
			st := ReadPseudo(ctx, env.Path(path.Join("/sys/module", n, "initstate")), 256)
			if st.Err != nil {
				builtin++
				continue
			}
			v := seen[n]
			v.Name, v.InSysModule = n, true
			v.InitState = strings.TrimSpace(string(st.Data))
			v.RefCount = strings.TrimSpace(string(ReadPseudo(ctx, env.Path(path.Join("/sys/module", n, "refcnt")), 256).Data))
			if v.Taint == "" {
				v.Taint = strings.TrimSpace(string(ReadPseudo(ctx, env.Path(path.Join("/sys/module", n, "taint")), 256).Data))
			}
			seen[n] = v
		}
		return seen, builtin
	}
	first, builtin := read()
	doc.Builtin = builtin
	var second map[string]artifact.ModuleView
	for _, n := range slices.Sorted(maps.Keys(first)) {
		m := first[n]
		doc.Modules = append(doc.Modules, m)
		if m.InProcModules && m.InSysModule {
			continue
		}
		// A module loading or unloading shows in one place for a moment:
		// only a mismatch that a second read confirms counts.
		if second == nil {
			second, _ = read()
		}
		if m2, ok := second[n]; ok && m2.InProcModules == m.InProcModules && m2.InSysModule == m.InSysModule && m.InitState != "coming" && m.InitState != "going" {
			doc.Mismatch = append(doc.Mismatch, m)
		}
	}
	moduleFindings(env, doc.Mismatch)
	return PutJSON(sink, artifact.PathModuleCheck, k.Name(), &doc)
}

// kmsg reads /dev/kmsg without blocking: one record per read, until EAGAIN
// (the end), within the byte bound and the deadline. EPIPE says records
// were overwritten while reading; the next read goes on.
func (k *Kernel) kmsg(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	limit := k.KmsgMaxBytes
	if limit <= 0 {
		limit = DefaultKmsgMaxBytes
	}
	doc := artifact.KernelLog{CollectedAt: now, Source: "/dev/kmsg", Records: []artifact.KernelRecord{}}
	rec := &manifest.Record{Path: artifact.PathRawKernelLog, Source: "/dev/kmsg", Collector: k.Name()}
	fd, err := unix.Open(env.Path("/dev/kmsg"), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	var data []byte
	if err != nil {
		doc.Errors = append(doc.Errors, "/dev/kmsg: "+err.Error())
		rec.Entry, rec.Outcome, rec.Errors = manifest.EntryNone, outcomeOf(&os.PathError{Op: "open", Path: "/dev/kmsg", Err: err}), doc.Errors
	} else {
		buf := make([]byte, 16<<10)
		for {
			if ctx.Err() != nil {
				doc.Truncated = "deadline"
				break
			}
			if int64(len(data)) >= limit {
				doc.Truncated = fmt.Sprintf("%d bytes", limit)
				break
			}
			n, err := unix.Read(fd, buf)
			if errors.Is(err, unix.EPIPE) {
				doc.Lost++
				continue
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil && !errors.Is(err, unix.EAGAIN) {
				doc.Errors = append(doc.Errors, "/dev/kmsg: read: "+err.Error())
			}
			if err != nil || n <= 0 {
				break
			}
			data = append(data, buf[:n]...)
			if n > 0 && buf[n-1] != '\n' {
				data = append(data, '\n')
			}
		}
		unix.Close(fd)
		rec.Entry, rec.Outcome, rec.Size = manifest.EntryFile, manifest.OutcomeOK, int64(len(data))
		if doc.Truncated != "" || len(doc.Errors) > 0 {
			rec.Outcome = manifest.OutcomePartial
			rec.Errors = append(slicesClone(doc.Errors), "truncated: "+doc.Truncated)
		}
	}
	var body = bytesReader(data)
	if rec.Entry != manifest.EntryFile {
		body = nil
	}
	if err := sink.Put(rec, body); err != nil {
		return err
	}
	recs, errs := parseKmsg(data)
	doc.Records = append(doc.Records, recs...)
	doc.Errors = append(doc.Errors, errs...)
	return PutJSON(sink, artifact.PathKernelLog, k.Name(), &doc)
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// sysctlRoots are the /proc/sys trees read; fs/binfmt_misc has its own
// artifact.
var sysctlRoots = []string{"kernel", "net", "fs", "vm"}

func (k *Kernel) sysctl(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	maxFiles := k.SysctlMaxFiles
	if maxFiles <= 0 {
		maxFiles = DefaultSysctlMaxFiles
	}
	doc := artifact.Sysctls{CollectedAt: now, Values: map[string]string{}}
	var walk func(rel string)
	walk = func(rel string) {
		if doc.Truncated != "" {
			return
		}
		ents, err := os.ReadDir(env.Path("/proc/sys/" + rel))
		if err != nil {
			doc.Errors = append(doc.Errors, "/proc/sys/"+rel+": "+err.Error())
		}
		for _, e := range ents {
			r := rel + "/" + e.Name()
			if r == "fs/binfmt_misc" {
				continue
			}
			if ctx.Err() != nil {
				doc.Truncated = "deadline"
				return
			}
			if e.IsDir() {
				walk(r)
				continue
			}
			if !e.Type().IsRegular() {
				continue
			}
			if fi, err := e.Info(); err != nil || fi.Mode().Perm()&0o444 == 0 {
				continue // write-only (vm/drop_caches, net/ipv4/route/flush)
			}
			if len(doc.Values) >= maxFiles {
				doc.Truncated = fmt.Sprintf("%d files", maxFiles)
				return
			}
			res := ReadPseudo(ctx, env.Path("/proc/sys/"+r), 64<<10)
			if res.Err != nil {
				doc.Errors = append(doc.Errors, "/proc/sys/"+r+": "+res.Err.Error())
				continue
			}
			doc.Values[strings.ReplaceAll(r, "/", ".")] = strings.TrimRight(string(res.Data), "\n")
		}
	}
	for _, r := range sysctlRoots {
		walk(r)
	}
	doc.Count = len(doc.Values)
	sysctlFindings(env, doc.Values)
	return PutJSON(sink, artifact.PathSysctl, k.Name(), &doc)
}

func (k *Kernel) binfmt(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	doc := artifact.Binfmt{CollectedAt: now, Entries: []artifact.BinfmtEntry{}}
	dir := "/proc/sys/fs/binfmt_misc"
	names, err := listDir(env.Path(dir))
	if err != nil {
		doc.Errors = append(doc.Errors, dir+": "+err.Error())
	}
	for _, n := range names {
		if n == "register" {
			continue
		}
		res := ReadPseudo(ctx, env.Path(dir+"/"+n), 64<<10)
		if res.Err != nil {
			doc.Errors = append(doc.Errors, dir+"/"+n+": "+res.Err.Error())
			continue
		}
		if n == "status" {
			doc.Status = strings.TrimSpace(string(res.Data))
			continue
		}
		doc.Entries = append(doc.Entries, parseBinfmt(n, res.Data))
	}
	binfmtFindings(env, doc.Entries)
	return PutJSON(sink, artifact.PathBinfmt, k.Name(), &doc)
}
