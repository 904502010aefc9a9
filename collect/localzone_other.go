//go:build !linux

package collect

import (
	"os/user"
	"strconv"
)

// UserName is the login name of uid; passwd is not read here (there is no
// O_NOATIME off Linux, and no passwd file on some systems).
func UserName(_ string, uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return ""
}
