#!/usr/bin/env bash
# make bench, triage part: the default collection (profile triage) on this
# host, BENCH_RUNS times (default 3), its wall time and peak RSS against the
# targets of issue 17 (under 5 s and 100 MiB). Not a ratio: the target is
# absolute, and the host is whatever this machine is; run it as root, as a
# responder does (as another user the collectors see less).
#
# The bundle goes under BENCH_TRIAGE_DIR (default $HOME), not under /tmp or
# /var/tmp: tmpplaces walks those, and would read the previous run's bundle.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
RUNS=${BENCH_RUNS:-3}
[ -x /usr/bin/time ] || { echo "bench-triage: needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 2; }
base=${BENCH_TRIAGE_DIR:-$HOME}
case "$(realpath "$base")/" in
/tmp/* | /var/tmp/* | /dev/shm/* | /run/shm/* | /run/user/*)
	echo "bench-triage: $base is a place triage walks; set BENCH_TRIAGE_DIR to another directory" >&2
	exit 2
	;;
esac
work=$(mktemp -d "$base/hozen-bench-triage.XXXXXX")
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/hozen" ./cmd/hozen
for i in $(seq "$RUNS"); do
	rm -rf "$work/out"
	/usr/bin/time -f '%e %M' -o "$work/t" "$work/hozen" collect --out "$work/out" >/dev/null 2>"$work/err" ||
		{ echo "bench-triage: hozen collect failed:" >&2; cat "$work/err" >&2; exit 1; }
	cat "$work/t" >>"$work/all"
done
med() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wall=$(cut -d' ' -f1 <"$work/all" | med)
rss=$(cut -d' ' -f2 <"$work/all" | sort -n | tail -1)
echo
echo "triage on this host (uid $(id -u)): $RUNS runs: $(cut -d' ' -f1 <"$work/all" | tr '\n' ' ')s"
printf "%-44s %8.2f s   target under 5 s: %s\n" "wall, median" "$wall" "$(awk -v w="$wall" 'BEGIN {print (w < 5 ? "met" : "NOT met")}')"
printf "%-44s %8.1f MiB target under 100 MiB: %s\n" "peak RSS, largest" "$(awk -v r="$rss" 'BEGIN {print r / 1024}')" "$(awk -v r="$rss" 'BEGIN {print (r < 100 * 1024 ? "met" : "NOT met")}')"
