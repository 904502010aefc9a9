package collect

import (
	"fmt"
	"path"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// Containers inventories the containers and images that Docker, containerd
// and Podman record on disk, ties every running process to its container
// through its cgroup, and flags containers that hold the host's powers. It
// reads the runtimes' state files only; it never talks to a runtime's
// socket (that would run the suspect's daemon code for hozen) and never
// opens a runtime's database in place: a bbolt file (containerd's
// meta.db, Podman's bolt_state.db) is copied, bounded, into an anonymous
// memory file and opened read-only there; Podman's SQLite state (db.sql,
// its -wal merged) is read, bounded, and opened read-only in memory
// ([sqlitemem.Open]).
//
// Artifacts (Linux):
//
//	volatile/containers/containers.json  an [artifact.ContainerInventory]
//	volatile/containers/processes.json   an [artifact.ContainerProcesses]
//
// The raw state files and container logs are copied by the profile's
// "container-state" file group.
type Containers struct {
	// MaxStateBytes bounds one runtime state file read (0:
	// DefaultMaxStateBytes); MaxContainers the containers listed per
	// runtime (0: DefaultMaxContainers).
	MaxStateBytes int64
	MaxContainers int

	// list lists pids; nil reads the /proc directory.
	list func(env *Env) ([]int, error)
}

// Bounds of the containers collector.
const (
	DefaultMaxStateBytes = 256 << 20
	DefaultMaxContainers = 10000
)

// Name implements [Collector].
func (*Containers) Name() string { return "containers" }

// Rules of the containers collector (docs/collectors.md says why each
// matters).
const (
	RuleContainerPrivileged = "container-privileged"
	RuleContainerHostNS     = "container-host-namespace"
	RuleContainerSocket     = "container-runtime-socket"
)

// runtimeSockets are the control sockets of container runtimes: whoever
// can write to one can start a privileged container, i.e. is root.
var runtimeSockets = []string{"docker.sock", "containerd.sock", "podman.sock", "crio.sock", "dockershim.sock"}

// containerFindings applies the container rules to one container.
func containerFindings(env *Env, c *artifact.Container) {
	ev := []string{artifact.PathContainers + "#id=" + c.ID}
	who := fmt.Sprintf("%s container %s", c.Runtime, c.ID)
	if c.Name != "" {
		who = fmt.Sprintf("%s container %q (%s)", c.Runtime, c.Name, shortID(c.ID))
	}
	score := 0
	if c.Running {
		score = 10
	}
	if c.Privileged {
		env.Finding(artifact.Finding{Rule: RuleContainerPrivileged, Severity: artifact.SeverityMedium, Score: score,
			Title:  who + " is privileged",
			Reason: "a privileged container has every capability and every host device; a process in it can mount the host's disks or load kernel modules, so it is as good as root on the host: an escape route, or a foothold an intruder left",
			Path:   manifest.BString(c.Source), Evidence: ev, Time: c.Created})
	}
	var shared []string
	if c.HostPID {
		shared = append(shared, "pid")
	}
	if c.HostNetwork {
		shared = append(shared, "network")
	}
	if c.HostIPC {
		shared = append(shared, "ipc")
	}
	if len(shared) > 0 {
		env.Finding(artifact.Finding{Rule: RuleContainerHostNS, Severity: artifact.SeverityMedium, Score: score,
			Title:  fmt.Sprintf("%s shares the host's %s namespace", who, strings.Join(shared, ", ")),
			Reason: "a container in the host's pid namespace sees and can signal or ptrace every host process; in the host's network namespace it can bind host ports and sniff host traffic; its sockets and processes are the host's, not the container's",
			Path:   manifest.BString(c.Source), Evidence: ev, Time: c.Created})
	}
	for _, m := range c.Mounts {
		if isRuntimeSocket(m.Source) || isRuntimeSocket(m.Destination) {
			env.Finding(artifact.Finding{Rule: RuleContainerSocket, Severity: artifact.SeverityMedium, Score: score,
				Title:  fmt.Sprintf("%s has the runtime socket %s mounted at %s", who, m.Source, m.Destination),
				Reason: "whoever can write to a container runtime's socket can start a privileged container with the host's root mounted: the container can take the host",
				Path:   manifest.BString(c.Source), Evidence: ev, Time: c.Created})
			break
		}
	}
}

func isRuntimeSocket(p string) bool {
	for _, s := range runtimeSockets {
		if path.Base(p) == s {
			return true
		}
	}
	return false
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// CgroupContainer finds the container a process is in from the contents
// of its /proc/PID/cgroup: the cgroup paths that runtimes give their
// containers (docker-ID.scope and /docker/ID; libpod-ID.scope and
// /libpod_parent/libpod-ID; cri-containerd-ID.scope; crio-ID.scope; a
// 64-hex-digit directory under kubepods). Podman's conmon (libpod-conmon-ID)
// is not in the container. It returns the runtime ("" when only the id
// says it is a container), the id and the cgroup path, or ok false.
func CgroupContainer(data []byte) (runtime, id, cgroup string, ok bool) {
	for line := range strings.SplitSeq(string(data), "\n") {
		// hierarchy-ID:controller-list:cgroup-path; the path may hold ':'.
		_, rest, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		_, p, found := strings.Cut(rest, ":")
		if !found || !strings.HasPrefix(p, "/") {
			continue
		}
		parts := strings.Split(p, "/")
		for i := len(parts) - 1; i > 0; i-- {
			c := strings.TrimSuffix(parts[i], ".scope")
			for _, x := range []struct{ prefix, runtime string }{
				{"docker-", artifact.RuntimeDocker},
				{"libpod-", artifact.RuntimePodman},
				{"cri-containerd-", artifact.RuntimeContainerd},
				{"crio-", artifact.RuntimeCRIO},
			} {
				if h, cut := strings.CutPrefix(c, x.prefix); cut && isContainerID(h) {
					return x.runtime, h, p, true
				}
			}
			if isContainerID(c) {
				switch parts[i-1] {
				case "docker":
					return artifact.RuntimeDocker, c, p, true
				case "libpod_parent":
					return artifact.RuntimePodman, c, p, true
				}
				return "", c, p, true
			}
		}
	}
	return "", "", "", false
}

// isContainerID: 64 lower-case hex digits, as every runtime here makes
// them.
func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}
