//go:build !linux

package collect

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
)

// collectNative records system information off Linux through gopsutil,
// calling only the functions that do not run a program of the host
// (host.Info would run ioreg and sw_vers on macOS).
func (s *System) collectNative(ctx context.Context, env *Env, sink Sink, clock artifact.Clock) error {
	info := artifact.SystemInfo{Clock: clock, OS: runtime.GOOS}
	note := func(what string, err error) {
		if err != nil {
			info.Errors = append(info.Errors, what+": "+err.Error())
		}
	}
	var err error
	info.Hostname, err = os.Hostname()
	note("hostname", err)
	if bt, err := host.BootTimeWithContext(ctx); err == nil {
		t := time.Unix(int64(bt), 0).UTC()
		info.BootTime = &t
	} else {
		note("boot time", err)
	}
	if up, err := host.UptimeWithContext(ctx); err == nil {
		v := float64(up)
		info.UptimeSeconds = &v
	} else {
		note("uptime", err)
	}
	info.Kernel.Release, err = host.KernelVersionWithContext(ctx)
	note("kernel version", err)
	info.Kernel.Type = runtime.GOOS
	var pinfo platform
	pinfo, err = platformInfo(ctx)
	note("platform", err)
	info.PrettyName, info.MachineID = pinfo.name, pinfo.machineID
	info.OSRelease = pinfo.release
	name, off := clock.HostUTC.In(time.Local).Zone()
	info.TimeZone = artifact.TimeZone{Name: name, UTCOffsetSeconds: &off}
	if err := putJSONErrs(sink, artifact.PathSystem, "system", &info, info.Errors); err != nil {
		return err
	}

	mounts := artifact.Table[disk.PartitionStat]{Source: "gopsutil disk.Partitions", Items: []disk.PartitionStat{}}
	ps, err := disk.PartitionsWithContext(ctx, true)
	if err != nil {
		mounts.Errors = append(mounts.Errors, err.Error())
	}
	mounts.Items = append(mounts.Items, ps...)
	return putJSONErrs(sink, artifact.PathMounts, "system", &mounts, mounts.Errors)
}

// platform is what the OS says it is.
type platform struct {
	name      string
	machineID string
	release   map[string]string
}
