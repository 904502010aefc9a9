package collect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

func TestContainersFixture(t *testing.T) {
	root, err := filepath.Abs("testdata/containers/root")
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
	sink := &memSink{}
	if err := (&Containers{}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	if got, want := sink.paths(), []string{artifact.PathContainers, artifact.PathContainerProcesses}; !slices.Equal(got, want) {
		t.Fatalf("artifacts %q, want %q", got, want)
	}
	var inv artifact.ContainerInventory
	sink.decode(t, artifact.PathContainers, &inv)
	for _, s := range inv.Sources {
		if len(s.Errors) > 0 {
			t.Errorf("source %s: %q", s.Path, s.Errors)
		}
	}
	type summary struct {
		priv, hostNet, hostPID bool
		mounts, ports          string
	}
	got := map[string]summary{}
	for _, k := range inv.Containers {
		s := summary{priv: k.Privileged, hostNet: k.HostNetwork, hostPID: k.HostPID}
		for _, m := range k.Mounts {
			s.mounts += m.Source + ">" + m.Destination + " "
		}
		for _, p := range k.Ports {
			s.ports += p.ContainerPort + ">" + p.HostPort + " "
		}
		got[k.Runtime+"/"+k.Name+k.Namespace+"/"+k.ID[:min(len(k.ID), 12)]] = s
		if k.Image != "localhost/hozen-fixture:1" || k.Created == nil {
			t.Errorf("%s %s: image %q created %v", k.Runtime, k.ID, k.Image, k.Created)
		}
	}
	want := map[string]summary{
		"docker/web/955ab2a04bd6":      {priv: true, hostPID: true, mounts: "/var/run/docker.sock>/var/run/docker.sock ", ports: "80/tcp>8080 "},
		"docker/plain/dce47dbd0084":    {hostNet: true},
		"docker/quiet/850613633be6":    {},
		"containerd/default/ctr-priv":  {priv: true, hostNet: true, mounts: "/etc/hosts>/etc/hosts /etc/resolv.conf>/etc/resolv.conf "},
		"containerd/default/ctr-plain": {mounts: "/run/containerd/containerd.sock>/run/containerd/containerd.sock "},
		"podman/web/b25c8091f345":      {priv: true, hostNet: true, hostPID: true, mounts: "/tmp/cont-fx/sockdir/docker.sock>/var/run/docker.sock "},
		"podman/web2/48a7f084fdd6":     {ports: "80/tcp>8081 "},
		"podman/plain/b9803bedc598":    {},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("containers:\n%v\nwant\n%v", got, want)
	}
	if len(inv.Images) != 2 {
		t.Errorf("images: %+v", inv.Images)
	}

	var procs artifact.ContainerProcesses
	sink.decode(t, artifact.PathContainerProcesses, &procs)
	var tied []string
	for _, p := range procs.Processes {
		tied = append(tied, fmt.Sprintf("%d %s %s %.12s %d", p.PID, p.Runtime, p.ContainerName, p.ContainerID, p.NetNS))
	}
	wantTied := []string{
		"20 docker web 955ab2a04bd6 4026531993",
		"30 podman web2 48a7f084fdd6 4026532700",
		"40 containerd  ctr-priv 4026531993",
	}
	if !slices.Equal(tied, wantTied) {
		t.Errorf("processes:\n%q\nwant\n%q", tied, wantTied)
	}

	rules := map[string]int{}
	for _, f := range env.findings().List() {
		rules[f.Rule]++
		if f.Severity != artifact.SeverityMedium || len(f.Evidence) == 0 || f.Reason == "" {
			t.Errorf("finding %+v", f)
		}
	}
	// privileged: docker web, ctr-priv, podman web; host namespaces:
	// docker web, docker plain, ctr-priv, podman web; sockets: docker web,
	// ctr-plain, podman web.
	if rules[RuleContainerPrivileged] != 3 || rules[RuleContainerHostNS] != 4 || rules[RuleContainerSocket] != 3 {
		t.Errorf("findings by rule: %v", rules)
	}
}

// TestContainersMalformedBolt: a state file that is not bbolt, or is
// truncated, is an error of that source, never a crash.
func TestContainersMalformedBolt(t *testing.T) {
	src, err := os.ReadFile("testdata/containers/root/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"garbage":   []byte("not a database at all, but long enough to look like a page or two"),
		"truncated": src[:len(src)/3],
		"flipped":   flipEvery(src, 4093),
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db")
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
			sink := &memSink{}
			if err := (&Containers{}).Collect(context.Background(), env, sink); err != nil {
				t.Fatal(err)
			}
			var inv artifact.ContainerInventory
			sink.decode(t, artifact.PathContainers, &inv)
			for _, s := range inv.Sources {
				if s.Runtime == artifact.RuntimeContainerd && name != "flipped" && (!s.Present || len(s.Errors) == 0) {
					t.Errorf("%s: no error recorded: %+v", name, s)
				}
			}
		})
	}
}

func flipEvery(b []byte, step int) []byte {
	out := slices.Clone(b)
	for i := 0; i < len(out); i += step {
		out[i] ^= 0xff
	}
	return out
}
