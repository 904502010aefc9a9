package collect

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hozen-dfir/hozen/artifact"
)

// podmanConfig is the part of libpod's ContainerConfig read here.
type podmanConfig struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	RootfsImageID   string            `json:"rootfsImageID"`
	RootfsImageName string            `json:"rootfsImageName"`
	CreatedTime     time.Time         `json:"createdTime"`
	Privileged      bool              `json:"privileged"`
	LogPath         string            `json:"logPath"`
	Labels          map[string]string `json:"labels"`
	Spec            *ociSpec          `json:"spec"`
	PortMappings    []struct {
		HostIP        string `json:"host_ip"`
		ContainerPort uint16 `json:"container_port"`
		HostPort      uint16 `json:"host_port"`
		Range         uint16 `json:"range"`
		Protocol      string `json:"protocol"`
	} `json:"newPortMappings"`
}

// podmanStates are libpod's ContainerStatus values.
var podmanStates = []string{"unknown", "configured", "created", "running", "stopped", "paused", "exited", "removing", "stopping"}

// podman reads libpod's bolt state: ctr/ID/{config,state}.
func (c *Containers) podman(ctx context.Context, env *Env, inv *artifact.ContainerInventory, p string) {
	src := artifact.ContainerSource{Runtime: artifact.RuntimePodman, Path: p}
	c.readBolt(env, &src, func(tx *bolt.Tx) error {
		cb := tx.Bucket([]byte("ctr"))
		if cb == nil {
			return nil
		}
		return cb.ForEachBucket(func(id []byte) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if src.Containers == c.maxContainers() {
				return fmt.Errorf("more than %d containers: the rest not listed", c.maxContainers())
			}
			b := cb.Bucket(id)
			var cfg podmanConfig
			if err := json.Unmarshal(b.Get([]byte("config")), &cfg); err != nil {
				src.Errors = append(src.Errors, fmt.Sprintf("ctr/%s: config: %v", id, err))
				return nil
			}
			k := artifact.Container{Runtime: artifact.RuntimePodman, ID: string(id), Name: cfg.Name,
				Image: cfg.RootfsImageName, ImageID: cfg.RootfsImageID, Labels: cfg.Labels, Source: p, LogPath: cfg.LogPath,
				Mounts: []artifact.ContainerMount{}, Ports: []artifact.ContainerPort{}}
			if cfg.ID != "" && cfg.ID != k.ID {
				src.Errors = append(src.Errors, fmt.Sprintf("ctr/%s: config names id %q", id, cfg.ID))
			}
			if !cfg.CreatedTime.IsZero() {
				t := cfg.CreatedTime.UTC()
				k.Created = &t
			}
			if cfg.Spec != nil {
				applySpec(&k, cfg.Spec)
			}
			k.Privileged = k.Privileged || cfg.Privileged
			for _, m := range cfg.PortMappings {
				proto := cmp.Or(m.Protocol, "tcp")
				k.Ports = append(k.Ports, artifact.ContainerPort{ContainerPort: fmt.Sprintf("%d/%s", m.ContainerPort, proto), HostIP: m.HostIP, HostPort: strconv.Itoa(int(m.HostPort))})
			}
			var st struct {
				State int `json:"state"`
				PID   int `json:"pid"`
			}
			if json.Unmarshal(b.Get([]byte("state")), &st) == nil {
				if st.State >= 0 && st.State < len(podmanStates) {
					k.State = podmanStates[st.State]
				}
				k.Running = st.State == 3 || st.State == 5
				if k.Running {
					k.PID = st.PID
				}
			}
			inv.Containers = append(inv.Containers, k)
			src.Containers++
			return nil
		})
	})
	inv.Sources = append(inv.Sources, src)
}
