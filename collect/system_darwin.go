package collect

import (
	"context"
	"os"
	"regexp"

	"golang.org/x/sys/unix"
)

var plistKeyRe = regexp.MustCompile(`<key>(\w+)</key>\s*<string>([^<]*)</string>`)

// platformInfo reads the macOS version from SystemVersion.plist and the
// hardware UUID from sysctl kern.uuid, without running sw_vers or ioreg.
func platformInfo(ctx context.Context) (platform, error) {
	p := platform{release: map[string]string{}}
	b, err := os.ReadFile("/System/Library/CoreServices/SystemVersion.plist")
	for _, m := range plistKeyRe.FindAllSubmatch(b, -1) {
		p.release[string(m[1])] = string(m[2])
	}
	p.name = p.release["ProductName"] + " " + p.release["ProductVersion"]
	if id, e := unix.Sysctl("kern.uuid"); e == nil {
		p.machineID = id
	}
	return p, err
}
