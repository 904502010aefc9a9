package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/etc"
	"github.com/hozen-dfir/hozen/collect/procfs"
	"github.com/hozen-dfir/hozen/manifest"
)

// System is the system collector: who the host is and what its kernel runs.
// On Linux (and on any fixture root) it reads /proc, /sys and /etc itself:
//
//	volatile/system/system.json         hostname, OS release, kernel, boot
//	                                    time, uptime, time zone, clock and
//	                                    skew, machine-id, boot id
//	volatile/system/modules.json        /proc/modules parsed
//	volatile/system/mounts.json         /proc/self/mountinfo parsed
//	volatile/system/block_devices.json  /sys/block/*
//	volatile/raw/proc/...               modules, mountinfo, cmdline, version
//
// Elsewhere it asks gopsutil (without letting it run programs).
type System struct {
	// ReferenceTime is the responder's trusted time (--reference-time);
	// the host clock's skew against it is recorded.
	ReferenceTime *time.Time
}

// Name implements Collector.
func (*System) Name() string { return "system" }

// Collect implements Collector.
func (s *System) Collect(ctx context.Context, env *Env, sink Sink) error {
	// The clock first: it is what moves.
	clock := s.clock(env)
	if !readsLinuxTree(env) {
		return s.collectNative(ctx, env, sink, clock)
	}
	info := s.readInfo(ctx, env, clock)
	for _, p := range []string{"/proc/cmdline", "/proc/version"} {
		if _, err := PutPseudo(ctx, env, sink, p, "system"); err != nil {
			return err
		}
	}
	if err := putJSONErrs(sink, artifact.PathSystem, "system", &info, info.Errors); err != nil {
		return err
	}

	raw, err := PutPseudo(ctx, env, sink, "/proc/modules", "system")
	if err != nil {
		return err
	}
	mods := artifact.Table[artifact.Module]{Source: "/proc/modules"}
	mods.Items, mods.Errors = procfs.ParseModules(raw)
	if raw == nil {
		mods.Errors = append(mods.Errors, "/proc/modules: not read; see its raw record")
	}
	if err := putJSONErrs(sink, artifact.PathModules, "system", &mods, mods.Errors); err != nil {
		return err
	}

	raw, err = PutPseudo(ctx, env, sink, "/proc/self/mountinfo", "system")
	if err != nil {
		return err
	}
	mounts := artifact.Table[artifact.Mount]{Source: "/proc/self/mountinfo"}
	mounts.Items, mounts.Errors = procfs.ParseMountinfo(raw)
	if raw == nil {
		mounts.Errors = append(mounts.Errors, "/proc/self/mountinfo: not read; see its raw record")
	}
	if err := putJSONErrs(sink, artifact.PathMounts, "system", &mounts, mounts.Errors); err != nil {
		return err
	}

	blocks := readBlockDevices(ctx, env)
	return putJSONErrs(sink, artifact.PathBlockDevices, "system", &blocks, blocks.Errors)
}

// putJSONErrs stores v as indented JSON at path, with errs as the record's
// errors (outcome partial when there are any).
func putJSONErrs(sink Sink, path, collector string, v artifact.Doc, errs []string) error {
	v.Stamp()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return PutBytes(sink, path, collector, collector, append(b, '\n'), errs)
}

func (s *System) clock(env *Env) artifact.Clock {
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	c := artifact.Clock{HostUTC: now().UTC()}
	if s.ReferenceTime != nil {
		ref := s.ReferenceTime.UTC()
		skew := c.HostUTC.Sub(ref).Seconds()
		c.ReferenceTime, c.SkewSeconds = &ref, &skew
	}
	return c
}

func (s *System) readInfo(ctx context.Context, env *Env, clock artifact.Clock) artifact.SystemInfo {
	info := artifact.SystemInfo{Clock: clock, OS: "linux"}
	// read returns a small pseudo or /etc file trimmed; a file that is
	// absent is not an error worth a line unless required says so.
	read := func(p string, required bool) string {
		r := readLinked(ctx, env, p, 64<<10)
		if r.Err != nil && (required || r.Outcome != manifest.OutcomeVanished) {
			info.Errors = append(info.Errors, fmt.Sprintf("%s: %v", p, r.Err))
		}
		return strings.TrimSpace(string(r.Data))
	}
	info.Hostname = read("/proc/sys/kernel/hostname", true)
	if d := read("/proc/sys/kernel/domainname", false); d != "(none)" {
		info.DomainName = d
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b := read(p, false); b != "" {
			info.OSRelease = etc.ParseOSRelease(b)
			info.OSReleaseSource = p
			info.PrettyName = info.OSRelease["PRETTY_NAME"]
			break
		}
	}
	info.Kernel = artifact.Kernel{
		Release:     read("/proc/sys/kernel/osrelease", true),
		Version:     read("/proc/sys/kernel/version", true),
		Type:        read("/proc/sys/kernel/ostype", false),
		CommandLine: read("/proc/cmdline", false),
	}
	if t := read("/proc/sys/kernel/tainted", false); t != "" {
		if v, err := strconv.ParseUint(t, 10, 64); err == nil {
			info.Kernel.Tainted = &v
			info.Kernel.TaintFlags = DecodeTaint(v)
			taintFindings(env, info.Kernel.TaintFlags)
		} else {
			info.Errors = append(info.Errors, fmt.Sprintf("/proc/sys/kernel/tainted: %q is not a number", t))
		}
	}
	info.MachineID = read("/etc/machine-id", false)
	if info.MachineID == "" {
		info.MachineID = read("/var/lib/dbus/machine-id", false)
	}
	info.BootID = read("/proc/sys/kernel/random/boot_id", true)
	if bt, err := procfs.BootTime([]byte(read("/proc/stat", true))); err == nil {
		info.BootTime = &bt
	} else {
		info.Errors = append(info.Errors, "/proc/stat: "+err.Error())
	}
	if up := read("/proc/uptime", true); up != "" {
		f := strings.Fields(up)
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			info.UptimeSeconds = &v
		} else {
			info.Errors = append(info.Errors, fmt.Sprintf("/proc/uptime: %q is not a number", f[0]))
		}
	}
	info.TimeZone = readTimeZone(ctx, env, clock.HostUTC, &info.Errors)
	return info
}

// readLinked reads a small host file like ReadPseudo, following symlinks
// in its last component inside env.Root (/etc/os-release is usually a link
// to ../usr/lib/os-release; on a fixture root an absolute target must not
// reach the test machine's files). At most 8 links are followed.
func readLinked(ctx context.Context, env *Env, hostPath string, max int64) PseudoResult {
	p := hostPath
	for range 8 {
		fi, err := os.Lstat(env.Path(p))
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return ReadPseudo(ctx, env.Path(p), max)
		}
		target, err := os.Readlink(env.Path(p))
		if err != nil {
			return PseudoResult{Outcome: outcomeOf(err), Err: err}
		}
		target = filepath.ToSlash(target)
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(p), target)
		}
		p = path.Clean(target)
	}
	return PseudoResult{Outcome: manifest.OutcomeError, Err: fmt.Errorf("%s: more than 8 symbolic links", hostPath)}
}

// readTimeZone reads /etc/timezone and /etc/localtime.
func readTimeZone(ctx context.Context, env *Env, now time.Time, errs *[]string) artifact.TimeZone {
	var tz artifact.TimeZone
	if r := readLinked(ctx, env, "/etc/timezone", 4096); r.Err == nil {
		tz.Name = strings.TrimSpace(string(r.Data))
	}
	lt := env.Path("/etc/localtime")
	fi, err := os.Lstat(lt)
	switch {
	case err != nil:
		if !os.IsNotExist(err) {
			*errs = append(*errs, "/etc/localtime: "+err.Error())
		}
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(lt)
		if err != nil {
			*errs = append(*errs, "/etc/localtime: "+err.Error())
			break
		}
		tz.LocaltimeLink = target
		if _, zone, ok := strings.Cut(path.Clean(target), "zoneinfo/"); ok {
			zone = strings.TrimPrefix(strings.TrimPrefix(zone, "posix/"), "right/")
			tz.FromLink = zone
		}
	case fi.Mode().IsRegular():
		r := ReadPseudo(ctx, lt, 1<<20)
		if r.Err != nil {
			*errs = append(*errs, "/etc/localtime: "+r.Err.Error())
			break
		}
		h := sha256.Sum256(r.Data)
		tz.LocaltimeSHA256 = hex.EncodeToString(h[:])
	}
	if env.Root == "" || env.Root == "/" {
		_, off := now.In(time.Local).Zone()
		tz.UTCOffsetSeconds = &off
	}
	return tz
}

// readBlockDevices lists /sys/block.
func readBlockDevices(ctx context.Context, env *Env) artifact.Table[artifact.BlockDevice] {
	res := artifact.Table[artifact.BlockDevice]{Source: "/sys/block", Items: []artifact.BlockDevice{}}
	ents, err := os.ReadDir(env.Path("/sys/block"))
	if err != nil {
		res.Errors = append(res.Errors, "/sys/block: "+err.Error())
		return res
	}
	read := func(p string) (string, bool) {
		r := ReadPseudo(ctx, env.Path(p), 4096)
		if r.Err != nil {
			if r.Outcome != manifest.OutcomeVanished {
				res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", p, r.Err))
			}
			return "", false
		}
		return strings.TrimSpace(string(r.Data)), true
	}
	readInt := func(p string) (int64, bool) {
		s, ok := read(p)
		if !ok {
			return 0, false
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %q is not a number", p, s))
			return 0, false
		}
		return v, true
	}
	for _, e := range ents {
		name := e.Name()
		dir := "/sys/block/" + name
		d := artifact.BlockDevice{Name: name}
		if v, ok := readInt(dir + "/size"); ok {
			v *= 512 // always 512-byte units, whatever the device's sector size
			d.SizeBytes = &v
		}
		if v, ok := readInt(dir + "/removable"); ok {
			b := v != 0
			d.Removable = &b
		}
		if v, ok := readInt(dir + "/ro"); ok {
			b := v != 0
			d.ReadOnly = &b
		}
		for _, f := range []struct {
			file string
			dst  *string
		}{{"vendor", &d.Vendor}, {"model", &d.Model}, {"serial", &d.Serial}} {
			if r := ReadPseudo(ctx, env.Path(dir+"/device/"+f.file), 4096); r.Err == nil {
				*f.dst = strings.TrimSpace(string(r.Data))
			}
		}
		// Partitions are subdirectories holding a "partition" file.
		subs, _ := os.ReadDir(env.Path(dir))
		for _, s := range subs {
			pdir := dir + "/" + s.Name()
			if !strings.HasPrefix(s.Name(), name) {
				continue
			}
			if _, err := os.Stat(env.Path(pdir + "/partition")); err != nil {
				continue
			}
			p := artifact.Partition{Name: s.Name()}
			p.Number, _ = readInt(pdir + "/partition")
			p.StartSector, _ = readInt(pdir + "/start")
			if v, ok := readInt(pdir + "/size"); ok {
				p.SizeBytes = v * 512
			}
			d.Partition = append(d.Partition, p)
		}
		res.Items = append(res.Items, d)
	}
	return res
}
