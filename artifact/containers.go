package artifact

import (
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// The containers collector's documents.
const (
	DirContainers = "volatile/containers/"
	// PathContainers is a [ContainerInventory].
	PathContainers = "volatile/containers/containers.json"
	// PathContainerProcesses is a [ContainerProcesses].
	PathContainerProcesses = "volatile/containers/processes.json"
)

// Container runtimes.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimePodman     = "podman"
	RuntimeCRIO       = "cri-o"
)

// ContainerInventory is volatile/containers/containers.json: the
// containers and images the runtimes' own state on disk records.
type ContainerInventory struct {
	Header
	CollectedAt time.Time `json:"collected_at"`
	// Sources lists each runtime state looked for, found or not.
	Sources    []ContainerSource `json:"sources"`
	Containers []Container       `json:"containers"`
	Images     []ContainerImage  `json:"images"`
	Errors     []string          `json:"errors,omitempty"`
}

// ContainerSource is one runtime state file or directory looked for.
type ContainerSource struct {
	Runtime string `json:"runtime"`
	Path    string `json:"path"`
	Present bool   `json:"present"`
	// Containers counts the containers read from it.
	Containers int `json:"containers"`
	// Method says how it was read ("bbolt, read-only, on an in-memory copy").
	Method string   `json:"method,omitempty"`
	Errors []string `json:"errors,omitempty"`
}

// Container is one container as its runtime's state records it.
type Container struct {
	Runtime string `json:"runtime"`
	// Namespace is containerd's namespace ("moby", "k8s.io", "default").
	Namespace string     `json:"namespace,omitempty"`
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Image     string     `json:"image,omitempty"`
	ImageID   string     `json:"image_id,omitempty"`
	Created   *time.Time `json:"created,omitempty"`
	// State is the runtime's word for it (running, exited, created...);
	// PID the main process the runtime last recorded (0: none).
	State   string             `json:"state,omitempty"`
	Running bool               `json:"running,omitempty"`
	PID     int                `json:"pid,omitempty"`
	Command []manifest.BString `json:"command,omitempty"`
	// Privileged: every capability and every device (--privileged).
	Privileged bool `json:"privileged"`
	// HostNetwork, HostPID, HostIPC: the container shares that namespace
	// with the host.
	HostNetwork bool              `json:"host_network"`
	HostPID     bool              `json:"host_pid"`
	HostIPC     bool              `json:"host_ipc"`
	CapAdd      []string          `json:"cap_add,omitempty"`
	Mounts      []ContainerMount  `json:"mounts"`
	Ports       []ContainerPort   `json:"ports"`
	Labels      map[string]string `json:"labels,omitempty"`
	// Source is the host file the container was read from.
	Source  string `json:"source"`
	LogPath string `json:"log_path,omitempty"`
}

// ContainerMount is a host path or volume mounted into a container.
type ContainerMount struct {
	Type        string `json:"type,omitempty"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"read_only,omitempty"`
}

// ContainerPort is a container port published on the host.
type ContainerPort struct {
	// ContainerPort is "80/tcp".
	ContainerPort string `json:"container_port"`
	HostIP        string `json:"host_ip,omitempty"`
	HostPort      string `json:"host_port,omitempty"`
}

// ContainerImage is one image a runtime's state lists.
type ContainerImage struct {
	Runtime   string     `json:"runtime"`
	Namespace string     `json:"namespace,omitempty"`
	Name      string     `json:"name"`
	Digest    string     `json:"digest,omitempty"`
	Created   *time.Time `json:"created,omitempty"`
}

// ContainerProcesses is volatile/containers/processes.json: every process
// that runs in a container, tied to it through its cgroup.
type ContainerProcesses struct {
	Header
	CollectedAt time.Time          `json:"collected_at"`
	Method      string             `json:"method"`
	Processes   []ContainerProcess `json:"processes"`
	Errors      []string           `json:"errors,omitempty"`
}

// ContainerProcess ties one process to a container.
type ContainerProcess struct {
	PID  int              `json:"pid"`
	Name manifest.BString `json:"name,omitempty"`
	// Runtime and ContainerID come from the cgroup path; Name from the
	// inventory when the container is in it.
	Runtime       string `json:"runtime"`
	ContainerID   string `json:"container_id"`
	ContainerName string `json:"container_name,omitempty"`
	// Cgroup is the cgroup path the id was read from.
	Cgroup string `json:"cgroup"`
	// NetNS is the process's network namespace inode; sockets.json tags
	// sockets with the same inode.
	NetNS uint64 `json:"netns,omitempty"`
}
