#!/usr/bin/env bash
# make bench, file-system part: hozen's metadata walk (the filesystem
# collector, bodyfile and rules) against find -xdev -printf on the same
# generated tree, and hozen's program hashing (exe-hashes) against
# sha256sum over the same files; medians of BENCH_RUNS, as ratios.
#   BENCH_FS_FILES  files in the generated tree (default 100000)
#   BENCH_FS_HOST=1 also this host's own root: hozen's live walk (every
#                   local file system) against find / -xdev (the root's)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
N=${BENCH_FS_FILES:-100000}
RUNS=${BENCH_RUNS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/hozen-bench-fs.XXXXXX")
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/hozen" ./cmd/hozen
mkdir -p "$work/tree"
( cd "$work/tree" && for d in $(seq 0 $(( (N - 1) / 1000 ))); do mkdir "d$d"; (cd "d$d" && seq 1 1000 | sed 's/^/f/' | xargs touch); done )
mkdir -p "$work/tree/usr/bin" "$work/empty"
cp /usr/bin/* "$work/tree/usr/bin/" 2>/dev/null || true
printf 'name: fs\ndescription: walk\ncollectors: [filesystem]\n' >"$work/fs.yaml"
printf 'name: exe\ndescription: hashes\ncollectors: [exe-hashes]\n' >"$work/exe.yaml"
t() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>&1 || { echo "bench-fs: $* failed" >&2; exit 1; }; awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.4f\n", b - a}'; }
med() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for i in $(seq "$RUNS"); do
	rm -rf "$work/o0" "$work/o1" "$work/o2" "$work/o3"
	t "$work/hozen" collect --root "$work/empty" --profile "$work/fs.yaml" --out "$work/o0" >>"$work/fixed"
	t "$work/hozen" collect --root "$work/tree" --profile "$work/fs.yaml" --out "$work/o1" >>"$work/walk"
	t find "$work/tree" -xdev -printf '%i %m %U %G %s %T@ %p\n' >>"$work/find"
	t "$work/hozen" collect --root "$work/tree" --profile "$work/exe.yaml" --out "$work/o2" >>"$work/exe"
	t bash -c 'sha256sum "$1"/usr/bin/*' _ "$work/tree" >>"$work/sha"
	if [ "${BENCH_FS_HOST:-}" = 1 ]; then
		t "$work/hozen" collect --profile "$work/fs.yaml" --out "$work/o3" >>"$work/hwalk"
		t find / -xdev -printf '%i %m %U %G %s %T@ %p\n' >>"$work/hfind"
	fi
done
w=$(med <"$work/walk"); f=$(med <"$work/find"); e=$(med <"$work/exe"); s=$(med <"$work/sha"); z=$(med <"$work/fixed")
echo
echo "file system: $N files + $(ls "$work/tree/usr/bin" | wc -l) programs; $RUNS runs, medians (hozen includes its start, bundle and seal)"
printf "%-44s %8.3f s %8.3f s %7.2fx\n" "metadata walk vs find -xdev -printf" "$w" "$f" "$(echo "$w / $f" | bc -l)"
printf "%-44s %8.3f s %8.3f s %7.2fx\n" "exe-hashes vs sha256sum" "$e" "$s" "$(echo "$e / $s" | bc -l)"
printf "%-44s %8.3f s   (in the walk's figure: start, ledger, bundle, seal)\n" "hozen on an empty tree" "$z"
if [ "${BENCH_FS_HOST:-}" = 1 ]; then
	hw=$(med <"$work/hwalk"); hf=$(med <"$work/hfind")
	printf "%-44s %8.3f s %8.3f s %7.2fx\n" "this host's /: live walk vs find / -xdev" "$hw" "$hf" "$(echo "$hw / $hf" | bc -l)"
fi
