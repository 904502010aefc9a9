package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// Where the runtimes keep their state (their defaults).
const (
	dockerContainersDir = "/var/lib/docker/containers"
	dockerImageDir      = "/var/lib/docker/image"
	containerdMetaDB    = "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db"
	maxJSONBytes        = 4 << 20
)

// Collect implements [Collector].
func (c *Containers) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(c.Name())
	}
	now := envNow(env)
	inv := artifact.ContainerInventory{CollectedAt: now, Sources: []artifact.ContainerSource{},
		Containers: []artifact.Container{}, Images: []artifact.ContainerImage{}}
	// Processes first: they come and go; the state files change slower.
	procs := c.processes(ctx, env, now)

	c.docker(ctx, env, &inv)
	c.containerd(ctx, env, &inv)
	c.podmanAll(ctx, env, &inv)

	// Tie processes to containers the inventory names; containerd's
	// cgroupfs layout (/NAMESPACE/ID) is known only from its inventory.
	byID := map[string]*artifact.Container{}
	for i := range inv.Containers {
		byID[inv.Containers[i].ID] = &inv.Containers[i]
	}
	for i := range procs.Processes {
		p := &procs.Processes[i]
		if k := byID[p.ContainerID]; k != nil {
			p.ContainerName = k.Name
			if p.Runtime == "" {
				p.Runtime = k.Runtime
			}
		}
	}
	for _, pid := range procs.unmatched {
		for i := range inv.Containers {
			k := &inv.Containers[i]
			if k.Runtime == artifact.RuntimeContainerd && strings.HasSuffix(pid.cgroup, "/"+k.Namespace+"/"+k.ID) {
				procs.Processes = append(procs.Processes, artifact.ContainerProcess{PID: pid.pid, Name: pid.name,
					Runtime: k.Runtime, ContainerID: k.ID, ContainerName: k.Name, Cgroup: pid.cgroup, NetNS: pid.netns})
				break
			}
		}
	}
	slices.SortFunc(procs.Processes, func(a, b artifact.ContainerProcess) int { return a.PID - b.PID })

	for _, r := range []string{RuleContainerPrivileged, RuleContainerHostNS, RuleContainerSocket} {
		env.RuleRan(r)
	}
	for i := range inv.Containers {
		containerFindings(env, &inv.Containers[i])
	}
	if err := PutJSON(sink, artifact.PathContainers, c.Name(), &inv); err != nil {
		return err
	}
	return PutJSON(sink, artifact.PathContainerProcesses, c.Name(), &procs.ContainerProcesses)
}

type pidCgroup struct {
	pid    int
	name   manifest.BString
	cgroup string
	netns  uint64
}

type containerProcs struct {
	artifact.ContainerProcesses
	// unmatched are processes in a cgroup that no runtime pattern names.
	unmatched []pidCgroup
}

// processes reads every process's cgroup and keeps those in a container.
func (c *Containers) processes(ctx context.Context, env *Env, now time.Time) containerProcs {
	out := containerProcs{ContainerProcesses: artifact.ContainerProcesses{CollectedAt: now, Processes: []artifact.ContainerProcess{},
		Method: "the container id in each process's /proc/PID/cgroup path (docker-ID.scope, /docker/ID, libpod-ID.scope, cri-containerd-ID.scope, crio-ID.scope, kubepods/.../ID; containerd's /NAMESPACE/ID matched against its inventory)"}}
	list := c.list
	if list == nil {
		list = listProcPIDs
	}
	pids, err := list(env)
	if err != nil {
		out.Errors = append(out.Errors, "/proc: listing: "+err.Error())
	}
	for i, pid := range pids {
		if i%256 == 0 && ctx.Err() != nil {
			out.Errors = append(out.Errors, "/proc/PID/cgroup: "+ctx.Err().Error())
			break
		}
		base := procDir(env, pid)
		r := ReadPseudo(ctx, base+"/cgroup", 64<<10)
		if r.Err != nil {
			if !isGone(r.Err) {
				out.Errors = append(out.Errors, fmt.Sprintf("pid %d: cgroup: %v", pid, r.Err))
			}
			continue
		}
		comm := ReadPseudo(ctx, base+"/comm", 4096)
		name := manifest.BString(strings.TrimSuffix(string(comm.Data), "\n"))
		ns, _ := netnsOf(env, pid)
		rt, id, cg, ok := CgroupContainer(r.Data)
		if !ok {
			if p := lastCgroupPath(r.Data); p != "" && p != "/" {
				out.unmatched = append(out.unmatched, pidCgroup{pid: pid, name: name, cgroup: p, netns: ns})
			}
			continue
		}
		out.Processes = append(out.Processes, artifact.ContainerProcess{PID: pid, Name: name, Runtime: rt, ContainerID: id, Cgroup: cg, NetNS: ns})
	}
	return out
}

// lastCgroupPath is the path of the unified ("0::") line, else of the
// last line.
func lastCgroupPath(data []byte) string {
	var last string
	for line := range strings.SplitSeq(string(data), "\n") {
		h, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		_, p, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if h == "0" {
			return p
		}
		last = p
	}
	return last
}

// readState reads a runtime's state file under Root, bounded, without
// following a final link and without touching its access time.
func readState(env *Env, hostPath string, max int64) (data []byte, present bool, err error) {
	f, err := openNoFollow(env.Path(hostPath))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		return nil, true, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, true, err
	}
	if !fi.Mode().IsRegular() {
		return nil, true, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	data, more, err := readAtMost(f, max)
	if err != nil {
		return nil, true, err
	}
	if more {
		return nil, true, fmt.Errorf("larger than %d bytes: not read (raise the bound, or read the raw copy)", max)
	}
	return data, true, nil
}

func (c *Containers) maxState() int64 {
	if c.MaxStateBytes > 0 {
		return c.MaxStateBytes
	}
	return DefaultMaxStateBytes
}

func (c *Containers) maxContainers() int {
	if c.MaxContainers > 0 {
		return c.MaxContainers
	}
	return DefaultMaxContainers
}

// dockerConfig is the part of moby's config.v2.json read here.
type dockerConfig struct {
	ID      string    `json:"ID"`
	Created time.Time `json:"Created"`
	Path    string    `json:"Path"`
	Args    []string  `json:"Args"`
	Name    string    `json:"Name"`
	Image   string    `json:"Image"`
	LogPath string    `json:"LogPath"`
	State   struct {
		Running    bool `json:"Running"`
		Paused     bool `json:"Paused"`
		Restarting bool `json:"Restarting"`
		Dead       bool `json:"Dead"`
		Pid        int  `json:"Pid"`
		ExitCode   int  `json:"ExitCode"`
	} `json:"State"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	MountPoints map[string]struct {
		Source      string `json:"Source"`
		Destination string `json:"Destination"`
		RW          bool   `json:"RW"`
		Type        string `json:"Type"`
		Name        string `json:"Name"`
	} `json:"MountPoints"`
}

// dockerHostConfig is the part of moby's hostconfig.json read here.
type dockerHostConfig struct {
	Privileged   bool     `json:"Privileged"`
	NetworkMode  string   `json:"NetworkMode"`
	PidMode      string   `json:"PidMode"`
	IpcMode      string   `json:"IpcMode"`
	CapAdd       []string `json:"CapAdd"`
	Binds        []string `json:"Binds"`
	PortBindings map[string][]struct {
		HostIP   string `json:"HostIp"`
		HostPort string `json:"HostPort"`
	} `json:"PortBindings"`
}

func (c *Containers) docker(ctx context.Context, env *Env, inv *artifact.ContainerInventory) {
	src := artifact.ContainerSource{Runtime: artifact.RuntimeDocker, Path: dockerContainersDir, Method: "config.v2.json and hostconfig.json of each container directory"}
	ids, err := listDir(env.Path(dockerContainersDir))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			src.Present = true
			src.Errors = append(src.Errors, err.Error())
		}
		inv.Sources = append(inv.Sources, src)
		return
	}
	src.Present = true
	for _, id := range ids {
		if ctx.Err() != nil {
			src.Errors = append(src.Errors, ctx.Err().Error())
			break
		}
		if src.Containers == c.maxContainers() {
			src.Errors = append(src.Errors, fmt.Sprintf("more than %d containers: the rest not listed", c.maxContainers()))
			break
		}
		dir := dockerContainersDir + "/" + id
		b, present, err := readState(env, dir+"/config.v2.json", maxJSONBytes)
		if !present {
			continue
		}
		var cfg dockerConfig
		if err == nil {
			err = json.Unmarshal(b, &cfg)
		}
		if err != nil {
			src.Errors = append(src.Errors, dir+"/config.v2.json: "+err.Error())
			continue
		}
		k := artifact.Container{Runtime: artifact.RuntimeDocker, ID: cfg.ID, Name: strings.TrimPrefix(cfg.Name, "/"),
			Image: cfg.Config.Image, ImageID: cfg.Image, Labels: cfg.Config.Labels, Source: dir + "/config.v2.json",
			LogPath: cfg.LogPath, Running: cfg.State.Running, Mounts: []artifact.ContainerMount{}, Ports: []artifact.ContainerPort{}}
		if k.ID == "" {
			k.ID = id
		} else if k.ID != id {
			src.Errors = append(src.Errors, fmt.Sprintf("%s: id %q differs from its directory", dir, k.ID))
		}
		if !cfg.Created.IsZero() {
			t := cfg.Created.UTC()
			k.Created = &t
		}
		switch {
		case cfg.State.Running && cfg.State.Paused:
			k.State = "paused"
		case cfg.State.Restarting:
			k.State = "restarting"
		case cfg.State.Running:
			k.State = "running"
		case cfg.State.Dead:
			k.State = "dead"
		default:
			k.State = "not running"
		}
		if cfg.State.Running {
			k.PID = cfg.State.Pid
		}
		if cfg.Path != "" {
			k.Command = append(k.Command, manifest.BString(cfg.Path))
		}
		for _, a := range cfg.Args {
			k.Command = append(k.Command, manifest.BString(a))
		}
		for _, m := range cfg.MountPoints {
			src := m.Source
			if src == "" {
				src = m.Name
			}
			k.Mounts = append(k.Mounts, artifact.ContainerMount{Type: m.Type, Source: src, Destination: m.Destination, ReadOnly: !m.RW})
		}
		slices.SortFunc(k.Mounts, func(a, b artifact.ContainerMount) int { return strings.Compare(a.Destination, b.Destination) })
		hb, present, err := readState(env, dir+"/hostconfig.json", maxJSONBytes)
		var hc dockerHostConfig
		if present && err == nil {
			err = json.Unmarshal(hb, &hc)
		}
		if err != nil {
			src.Errors = append(src.Errors, dir+"/hostconfig.json: "+err.Error())
		}
		k.Privileged = hc.Privileged
		k.HostNetwork = hc.NetworkMode == "host"
		k.HostPID = hc.PidMode == "host"
		k.HostIPC = hc.IpcMode == "host"
		k.CapAdd = hc.CapAdd
		for _, port := range slices.Sorted(maps.Keys(hc.PortBindings)) {
			for _, b := range hc.PortBindings[port] {
				k.Ports = append(k.Ports, artifact.ContainerPort{ContainerPort: port, HostIP: b.HostIP, HostPort: b.HostPort})
			}
		}
		inv.Containers = append(inv.Containers, k)
		src.Containers++
	}
	inv.Sources = append(inv.Sources, src)

	// Images: image/DRIVER/repositories.json maps names to image ids.
	drivers, _ := listDir(env.Path(dockerImageDir))
	for _, d := range drivers {
		p := dockerImageDir + "/" + d + "/repositories.json"
		b, present, err := readState(env, p, maxJSONBytes)
		if !present {
			continue
		}
		var repos struct {
			Repositories map[string]map[string]string `json:"Repositories"`
		}
		if err == nil {
			err = json.Unmarshal(b, &repos)
		}
		if err != nil {
			inv.Errors = append(inv.Errors, p+": "+err.Error())
			continue
		}
		for _, r := range slices.Sorted(maps.Keys(repos.Repositories)) {
			for _, name := range slices.Sorted(maps.Keys(repos.Repositories[r])) {
				inv.Images = append(inv.Images, artifact.ContainerImage{Runtime: artifact.RuntimeDocker, Name: name, Digest: repos.Repositories[r][name]})
			}
		}
	}
}

// viewBoltCopy copies a bbolt file's bytes (already read, bounded) into an
// anonymous memory file and runs fn on it opened read-only. The host's file
// is never opened by bbolt: bbolt would lock it, and a live runtime holds
// it locked; and nothing is written outside hozen's output. A forged file
// may make bbolt panic or fault; that is caught and returned as an error.
func viewBoltCopy(data []byte, fn func(tx *bolt.Tx) error) (err error) {
	fd, err := unix.MemfdCreate("hozen-bolt-copy", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:hozen-bolt-copy")
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("copy into memory: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bbolt: malformed database: %v", r)
		}
	}()
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	db, err := bolt.Open("/proc/self/fd/"+strconv.Itoa(fd), 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("bbolt: %w", err)
	}
	defer db.Close()
	return db.View(fn)
}

// readBolt reads a bbolt state file and views it; the source says how.
func (c *Containers) readBolt(env *Env, src *artifact.ContainerSource, fn func(tx *bolt.Tx) error) {
	data, present, err := readState(env, src.Path, c.maxState())
	src.Present = present
	if !present {
		return
	}
	if err != nil {
		src.Errors = append(src.Errors, err.Error())
		return
	}
	src.Method = "bbolt, read-only, on a copy in an anonymous memory file"
	if err := viewBoltCopy(data, fn); err != nil {
		src.Errors = append(src.Errors, err.Error())
	}
}

// ociSpec is the part of an OCI runtime spec read here.
type ociSpec struct {
	Process *struct {
		Args         []string `json:"args"`
		Capabilities *struct {
			Bounding []string `json:"bounding"`
		} `json:"capabilities"`
	} `json:"process"`
	Mounts []struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	} `json:"mounts"`
	Linux *struct {
		Namespaces []struct {
			Type string `json:"type"`
			Path string `json:"path"`
		} `json:"namespaces"`
		MaskedPaths []string `json:"maskedPaths"`
	} `json:"linux"`
}

// applySpec fills what an OCI spec says: command, bind mounts, the host
// namespaces it joins (a namespace type absent from the list is the
// host's), and privilege (CAP_SYS_ADMIN in the bounding set with no masked
// paths: what --privileged makes).
func applySpec(k *artifact.Container, s *ociSpec) {
	if s.Process != nil {
		for _, a := range s.Process.Args {
			k.Command = append(k.Command, manifest.BString(a))
		}
	}
	for _, m := range s.Mounts {
		if m.Type != "bind" && !slices.Contains(m.Options, "bind") && !slices.Contains(m.Options, "rbind") {
			continue
		}
		k.Mounts = append(k.Mounts, artifact.ContainerMount{Type: "bind", Source: m.Source, Destination: m.Destination, ReadOnly: slices.Contains(m.Options, "ro")})
	}
	if s.Linux != nil {
		own := map[string]bool{}
		for _, n := range s.Linux.Namespaces {
			own[n.Type] = n.Path == ""
		}
		_, net := own["network"]
		_, pid := own["pid"]
		_, ipc := own["ipc"]
		k.HostNetwork, k.HostPID, k.HostIPC = !net, !pid, !ipc
		if s.Process != nil && s.Process.Capabilities != nil {
			k.Privileged = slices.Contains(s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN") && len(s.Linux.MaskedPaths) == 0
		}
	}
}

// containerd reads meta.db: v1/NAMESPACE/containers/ID and
// v1/NAMESPACE/images/NAME.
func (c *Containers) containerd(ctx context.Context, env *Env, inv *artifact.ContainerInventory) {
	src := artifact.ContainerSource{Runtime: artifact.RuntimeContainerd, Path: containerdMetaDB}
	c.readBolt(env, &src, func(tx *bolt.Tx) error {
		v1 := tx.Bucket([]byte("v1"))
		if v1 == nil {
			return errors.New("no v1 bucket: not a containerd metadata database of a known version")
		}
		return v1.ForEachBucket(func(ns []byte) error {
			nsb := v1.Bucket(ns)
			if cb := nsb.Bucket([]byte("containers")); cb != nil {
				err := cb.ForEachBucket(func(id []byte) error {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					if src.Containers == c.maxContainers() {
						return fmt.Errorf("more than %d containers: the rest not listed", c.maxContainers())
					}
					b := cb.Bucket(id)
					k := artifact.Container{Runtime: artifact.RuntimeContainerd, Namespace: string(ns), ID: string(id),
						Image: string(b.Get([]byte("image"))), Source: containerdMetaDB,
						Mounts: []artifact.ContainerMount{}, Ports: []artifact.ContainerPort{}}
					k.Created = boltTime(b.Get([]byte("createdat")))
					if lb := b.Bucket([]byte("labels")); lb != nil {
						k.Labels = map[string]string{}
						lb.ForEach(func(lk, lv []byte) error { k.Labels[string(lk)] = string(lv); return nil })
					}
					if js, ok := protoAnyValue(b.Get([]byte("spec"))); ok {
						var s ociSpec
						if err := json.Unmarshal(js, &s); err != nil {
							src.Errors = append(src.Errors, fmt.Sprintf("%s/%s: spec: %v", ns, id, err))
						} else {
							applySpec(&k, &s)
						}
					}
					inv.Containers = append(inv.Containers, k)
					src.Containers++
					return nil
				})
				if err != nil {
					return err
				}
			}
			if ib := nsb.Bucket([]byte("images")); ib != nil {
				ib.ForEachBucket(func(name []byte) error {
					b := ib.Bucket(name)
					im := artifact.ContainerImage{Runtime: artifact.RuntimeContainerd, Namespace: string(ns), Name: string(name),
						Created: boltTime(b.Get([]byte("createdat")))}
					if t := b.Bucket([]byte("target")); t != nil {
						im.Digest = string(t.Get([]byte("digest")))
					}
					inv.Images = append(inv.Images, im)
					return nil
				})
			}
			return nil
		})
	})
	inv.Sources = append(inv.Sources, src)
}

// boltTime decodes a time stored with time.Time.MarshalBinary.
func boltTime(b []byte) *time.Time {
	if len(b) == 0 {
		return nil
	}
	var t time.Time
	if t.UnmarshalBinary(b) != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

// protoAnyValue returns the value (field 2) of a protobuf-encoded
// google.protobuf.Any, as containerd stores a container's spec.
func protoAnyValue(b []byte) ([]byte, bool) {
	for len(b) > 0 {
		tag, n := uvarint(b)
		if n <= 0 || tag&7 != 2 {
			return nil, false
		}
		b = b[n:]
		l, n := uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return nil, false
		}
		val := b[n : n+int(l)]
		b = b[n+int(l):]
		if tag>>3 == 2 {
			return val, true
		}
	}
	return nil, false
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, -1
}
