package collect

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/sqlitemem"
)

// Podman keeps its state in one of two databases, both holding the same
// JSON of each container (libpod's ContainerConfig and ContainerState):
// bbolt (bolt_state.db, the default before Podman 5) and SQLite (db.sql,
// from Podman 4.8; the default of new installs from Podman 5). Rootless
// users have their own under ~/.local/share/containers/storage.
const (
	podmanBoltState    = "/var/lib/containers/storage/libpod/bolt_state.db"
	podmanSQLiteState  = "/var/lib/containers/storage/db.sql"
	podmanRootlessBolt = "/.local/share/containers/storage/libpod/bolt_state.db"
	podmanRootlessSQL  = "/.local/share/containers/storage/db.sql"
)

// podmanAll reads root's Podman state, both databases, and that of each
// user under /home that has one.
func (c *Containers) podmanAll(ctx context.Context, env *Env, inv *artifact.ContainerInventory) {
	c.podman(ctx, env, inv, podmanBoltState)
	c.podmanSQLite(ctx, env, inv, podmanSQLiteState)
	homes, err := listDir(env.Path("/home"))
	if err != nil {
		return
	}
	for _, h := range homes {
		if p := "/home/" + h + podmanRootlessBolt; existsUnder(env, p) {
			c.podman(ctx, env, inv, p)
		}
		if p := "/home/" + h + podmanRootlessSQL; existsUnder(env, p) {
			c.podmanSQLite(ctx, env, inv, p)
		}
	}
}

// existsUnder: hostPath names something under Root (a link counts).
func existsUnder(env *Env, hostPath string) bool {
	_, err := os.Lstat(env.Path(hostPath))
	return err == nil
}

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

// podmanState is the part of libpod's ContainerState read here.
type podmanState struct {
	State int `json:"state"`
	PID   int `json:"pid"`
}

// podmanStates are libpod's ContainerStatus values.
var podmanStates = []string{"unknown", "configured", "created", "running", "stopped", "paused", "exited", "removing", "stopping"}

// podmanContainer makes the inventory entry of one container from its
// config and state JSON as either database stores them; source is the
// database's host path. A config that does not parse is an error and no
// entry; what else is amiss (an id that differs from the record's, a
// state that does not parse) is said in warns, and the entry kept.
func podmanContainer(id string, config, state []byte, source string) (k artifact.Container, warns []string, err error) {
	var cfg podmanConfig
	if err := json.Unmarshal(config, &cfg); err != nil {
		return k, nil, fmt.Errorf("config: %w", err)
	}
	k = artifact.Container{Runtime: artifact.RuntimePodman, ID: id, Name: cfg.Name,
		Image: cfg.RootfsImageName, ImageID: cfg.RootfsImageID, Labels: cfg.Labels, Source: source, LogPath: cfg.LogPath,
		Mounts: []artifact.ContainerMount{}, Ports: []artifact.ContainerPort{}}
	if cfg.ID != "" && cfg.ID != id {
		warns = append(warns, fmt.Sprintf("config names id %q", cfg.ID))
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
	if len(state) == 0 {
		return k, warns, nil
	}
	var st podmanState
	if err := json.Unmarshal(state, &st); err != nil {
		return k, append(warns, "state: "+err.Error()), nil
	}
	if st.State >= 0 && st.State < len(podmanStates) {
		k.State = podmanStates[st.State]
	}
	k.Running = st.State == 3 || st.State == 5
	if k.Running {
		k.PID = st.PID
	}
	return k, warns, nil
}

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
			k, warns, err := podmanContainer(string(id), b.Get([]byte("config")), b.Get([]byte("state")), p)
			for _, w := range warns {
				src.Errors = append(src.Errors, fmt.Sprintf("ctr/%s: %s", id, w))
			}
			if err != nil {
				src.Errors = append(src.Errors, fmt.Sprintf("ctr/%s: %v", id, err))
				return nil
			}
			inv.Containers = append(inv.Containers, k)
			src.Containers++
			return nil
		})
	})
	inv.Sources = append(inv.Sources, src)
}

// podmanSQLite reads libpod's SQLite state (db.sql): the ContainerConfig
// table joined to ContainerState. The file, and its -wal when there is
// one, are read bounded like a bbolt file; the WAL's committed
// transactions are merged into the copy, which is opened read-only in
// memory ([sqlitemem.Open]). The host's file is never opened by SQLite.
func (c *Containers) podmanSQLite(ctx context.Context, env *Env, inv *artifact.ContainerInventory, p string) {
	src := artifact.ContainerSource{Runtime: artifact.RuntimePodman, Path: p}
	defer func() { inv.Sources = append(inv.Sources, src) }()
	data, present, err := readState(env, p, c.maxState())
	src.Present = present
	if !present {
		return
	}
	if err != nil {
		src.Errors = append(src.Errors, err.Error())
		return
	}
	src.Method = "SQLite, read-only, on an in-memory copy"
	data, walNote := c.podmanMergeWAL(env, &src, data)
	src.Method += walNote
	err = viewSQLiteCopy(data, func(db *sqlitemem.DB) error {
		return c.podmanSQLiteRows(ctx, db, &src, inv)
	})
	if err != nil {
		src.Errors = append(src.Errors, err.Error()+" (the raw file is copied by the container-state file group)")
	}
}

// podmanMergeWAL merges db.sql-wal, when there is one, into data; the
// note says so for the source's method. A -wal SQLite would ignore is
// ignored here too, and said in the source's errors.
func (c *Containers) podmanMergeWAL(env *Env, src *artifact.ContainerSource, data []byte) ([]byte, string) {
	walPath := src.Path + "-wal"
	wal, present, err := readState(env, walPath, c.maxState())
	switch {
	case !present || (err == nil && len(wal) == 0):
		return data, ""
	case err != nil:
		src.Errors = append(src.Errors, walPath+": "+err.Error()+": not merged")
		return data, ""
	}
	merged, res, err := sqlitemem.MergeWAL(data, wal, c.maxState())
	switch {
	case err != nil:
		src.Errors = append(src.Errors, walPath+": "+err.Error()+": not merged")
		return data, ""
	case res.Frames == 0:
		return data, "; its -wal holds no committed transaction"
	}
	return merged, fmt.Sprintf("; %d committed frames of its -wal merged", res.Frames)
}

// viewSQLiteCopy opens data with [sqlitemem.Open] and runs fn on it. A
// forged file that made the driver panic or fault is an error, as with
// bbolt ([viewBoltCopy]).
func viewSQLiteCopy(data []byte, fn func(db *sqlitemem.DB) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlite: malformed database: %v", r)
		}
	}()
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	db, err := sqlitemem.Open(data)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer db.Close()
	return fn(db)
}

// podmanSQLiteQuery lists every container with its state, in id order
// (as bbolt lists them). Schema: libpod/sqlite_state_internal.go,
// createSQLiteTables, of Podman v5.8.2 (schema version 1):
// ContainerConfig(ID, Name, PodID, JSON), ContainerState(ID, State,
// ExitCode, JSON). A config without a state row is still listed.
const podmanSQLiteQuery = `SELECT c.ID, c.Name, c.JSON, s.JSON
	FROM ContainerConfig AS c LEFT JOIN ContainerState AS s ON s.ID = c.ID
	ORDER BY c.ID`

// podmanSQLiteRows adds a container for each row of podmanSQLiteQuery.
// A row that does not scan or whose config does not parse is an error of
// the source, and the next row is read.
func (c *Containers) podmanSQLiteRows(ctx context.Context, db *sqlitemem.DB, src *artifact.ContainerSource, inv *artifact.ContainerInventory) error {
	var tables int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name IN ('ContainerConfig', 'ContainerState')").Scan(&tables)
	if err != nil {
		return fmt.Errorf("sqlite: reading the schema: %w", err)
	}
	if tables != 2 {
		return errors.New("sqlite: no ContainerConfig and ContainerState tables: not Podman's state database (schema version 1)")
	}
	rows, err := db.QueryContext(ctx, podmanSQLiteQuery)
	if err != nil {
		return fmt.Errorf("sqlite: listing containers: %w", err)
	}
	defer rows.Close()
	for n := 0; rows.Next(); n++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n == c.maxContainers() {
			return fmt.Errorf("more than %d containers: the rest not listed", c.maxContainers())
		}
		var id, name sql.NullString
		var config, state []byte
		if err := rows.Scan(&id, &name, &config, &state); err != nil {
			src.Errors = append(src.Errors, fmt.Sprintf("ContainerConfig row %d: %v", n+1, err))
			continue
		}
		where := "ContainerConfig " + strconv.Quote(id.String)
		if id.String == "" {
			src.Errors = append(src.Errors, fmt.Sprintf("ContainerConfig row %d: no ID", n+1))
			continue
		}
		k, warns, err := podmanContainer(id.String, config, state, src.Path)
		for _, w := range warns {
			src.Errors = append(src.Errors, where+": "+w)
		}
		if err != nil {
			src.Errors = append(src.Errors, where+": "+err.Error())
			continue
		}
		if k.Name == "" {
			k.Name = name.String
		} else if name.Valid && name.String != k.Name {
			src.Errors = append(src.Errors, fmt.Sprintf("%s: config names %q, the Name column %q", where, k.Name, name.String))
		}
		inv.Containers = append(inv.Containers, k)
		src.Containers++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}
