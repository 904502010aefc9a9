package etc

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hozen-dfir/hozen/manifest"
)

func TestParsePasswdErrors(t *testing.T) {
	us, errs := ParsePasswd([]byte("root:x:0:0:root:/root:/bin/bash\nbroken\nx:x:notanumber:0::/:/bin/sh\n# comment\n"))
	if len(us) != 2 || us[1].UID != -1 || len(errs) != 2 || !strings.HasPrefix(errs[0], "line 2:") {
		t.Errorf("%+v %v", us, errs)
	}
}

// TestNames: the first account or group of an id names it, as getpwuid(3)
// and getgrgid(3) answer; comments, broken lines and ids that did not
// parse name nothing.
func TestNames(t *testing.T) {
	passwd := []byte("root:x:0:0::/root:/bin/sh\n#c\nbad\ntoor:x:0:0::/:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n" +
		"neg:x:-5:0::/:/bin/sh\nbig:x:4294967296:0::/:/bin/sh\nnan:x:x:0::/:/bin/sh\n:x:7:7::/:/bin/sh\nseven:x:7:7::/:/bin/sh\n")
	us, _ := ParsePasswd(passwd)
	if m := UserNames(us); !reflect.DeepEqual(m, map[uint32]string{0: "root", 1000: "bob", 7: ""}) {
		t.Errorf("user names %v", m)
	}
	if UserName(passwd, 0) != "root" || UserName(passwd, 1000) != "bob" || UserName(passwd, 7) != "seven" || UserName(passwd, 2) != "" || UserName(passwd, -1) != "" {
		t.Error("UserName")
	}
	gs, errs := ParseGroup([]byte("root:x:0:\nwheel:x:0:alice\nstaff:x:50:alice,,bob\nshort:x:9\n"))
	if m := GroupNames(gs); !reflect.DeepEqual(m, map[uint32]string{0: "root", 50: "staff"}) || len(errs) != 1 {
		t.Errorf("group names %v %q", m, errs)
	}
	if len(gs) != 3 || !reflect.DeepEqual(gs[2].Members, []manifest.BString{"alice", "bob"}) {
		t.Errorf("groups %+v", gs)
	}
}

func TestParseOSReleaseQuoting(t *testing.T) {
	m := ParseOSRelease("A=\"x \\\"y\\\" \\$z\"\nB='single'\n# C=no\nD=plain\n")
	want := map[string]string{"A": `x "y" $z`, "B": "single", "D": "plain"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("%v", m)
	}
}

// FuzzParseEtc: passwd, group and os-release parse anything without a
// panic, and every account the name maps hold is one the parser returned.
func FuzzParseEtc(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\n"))
	f.Add([]byte("wheel:x:10:alice,bob\n"))
	f.Add([]byte("NAME=\"Ubuntu\"\nID=ubuntu\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		us, _ := ParsePasswd(b)
		for uid, name := range UserNames(us) {
			if UserName(b, int64(uid)) != name && name != "" {
				t.Fatalf("uid %d: UserName %q, UserNames %q", uid, UserName(b, int64(uid)), name)
			}
		}
		gs, _ := ParseGroup(b)
		GroupNames(gs)
		ParseOSRelease(string(b))
	})
}
