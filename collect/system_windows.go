package collect

import (
	"context"
	"errors"

	"github.com/shirou/gopsutil/v4/host"
)

// platformInfo reads the Windows product and machine GUID from the
// registry (through gopsutil; no program is run).
func platformInfo(ctx context.Context) (platform, error) {
	name, family, version, err1 := host.PlatformInformationWithContext(ctx)
	id, err2 := host.HostIDWithContext(ctx)
	return platform{
		name:      name + " " + version,
		machineID: id,
		release:   map[string]string{"platform": name, "family": family, "version": version},
	}, errors.Join(err1, err2)
}
