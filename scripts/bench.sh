#!/usr/bin/env bash
# make bench: hozen against standard tools on the same corpus, in one run,
# alternating A and B, reporting medians and ratios (never absolute
# targets: these machines are shared and noisy).
#
#   BENCH_MIB    MiB of log-like files in the corpus (default 1024)
#   BENCH_SMALL  number of small files (default 20000)
#   BENCH_RUNS   runs of each command (default 5)
#   BENCH_SCALE  if set (e.g. "256 1024 4096"), also collect (and tar | zstd) and
#                verify corpora of these MiB, to show cost growing linearly and
#                memory flat
#   BENCH_FILES  if set (e.g. "20000 100000 300000"), the same for corpora of that
#                many small files (about 4.6 KiB each)
#   BENCH_SCALE_RUNS  runs of each size (default 3)
set -euo pipefail
export LC_ALL=C # a decimal point in $EPOCHREALTIME, whatever the locale
cd "$(dirname "$0")/.."
MIB=${BENCH_MIB:-1024}
SMALL=${BENCH_SMALL:-20000}
RUNS=${BENCH_RUNS:-5}
for t in zstd tar sha256sum /usr/bin/time awk bc truncate; do
	command -v "$t" >/dev/null || { echo "bench: needs $t" >&2; exit 2; }
done
[ -n "${EPOCHREALTIME:-}" ] || { echo "bench: needs bash 5 or later (\$EPOCHREALTIME)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hozen-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Built as make dist builds releases (stripped): collect hashes its own binary.
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/hozen" ./cmd/hozen
go run ./scripts/gencorpus -o "$work/corpus" -mib "$MIB" -small 0
go run ./scripts/gencorpus -o "$work/small" -mib 0 -small "$SMALL" -seed 2
printf 'name: files\ndescription: only what --include names\ncollectors: []\n' >"$work/files.yaml"
# The encoder alone: 256 MiB of the corpus, one core, Go (as hozen's frame
# workers run it) against C zstd -1.
go build -o "$work/zspeed" ./scripts/zspeed
(cat "$work"/corpus/logs/* || true) | head -c $((256 << 20)) >"$work/sample" # cat ends on SIGPIPE
# The encoder alone on both cores: the whole corpus as one tar, compressed
# in frames on 2 goroutines with nothing else to do (no reads of many
# files, no hashing, no writing), against tar | zstd doing everything.
tar -cf "$work/corpus.tar" -C "$work" corpus
# The same on the small files, but on the stream a collect of them
# compresses: one collect's bundle decompressed, without the seal (the
# manifest, its signature and SHA256SUMS), which hozen stores uncompressed.
# It holds the files' tar entries and a record entry for each, so what the
# encoder alone costs on it is what a collect cannot do without.
"$work/hozen" collect --profile "$work/files.yaml" --include "$work/small/**" --out "$work/out2" >/dev/null 2>"$work/err" ||
	{ cat "$work/err" >&2; exit 1; }
zstd -dc "$work"/out2/*.tar.zst >"$work/stream.tar"
seal=$(tar -tRf "$work/stream.tar" | awk -F'[ :]+' '$3 == "hozen/manifest.json" {print $2}')
[ -n "$seal" ] || { echo "bench: no hozen/manifest.json in the small files' bundle" >&2; exit 1; }
truncate -s $((seal * 512)) "$work/stream.tar"

# measure NAME CMD...: one run; appends "seconds maxrss_kib" to $work/NAME.
measure() { local name=$1; shift; timed "$work/$name" "%M" "$@"; }
# timed FILE FORMAT CMD...: runs CMD under /usr/bin/time -f FORMAT and
# appends "SECONDS <time's fields>" to FILE. Each run starts with no dirty
# pages (sync): otherwise the write-back of the previous command's output
# (hundreds of MiB) lands on the next one's time, and on hozen's fsync
# before it calls a bundle sealed. The wall time is taken here,
# to the microsecond: time's own %e is cut down to steps of 10 ms, 3 % of
# a run on the 20,000 small files, which made their ratio jump between
# 1.45x, 1.48x and 1.50x on timings a few ms apart. Taken here, it also
# holds /usr/bin/time's own start and end, about 2 ms, on both sides.
timed() {
	local out=$1 fmt=$2; shift 2
	sync
	local t0=$EPOCHREALTIME
	/usr/bin/time -f "$fmt" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
	local t1=$EPOCHREALTIME
	printf '%s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')" "$(cat "$work/t")" >>"$out"
}
# warm PATH...: read every file under PATH, right before a timed run. This
# machine's page cache does not stay warm: with 22 GB free, Cached in
# /proc/meminfo fell from 1.9 GB to 0.8 GB in one idle minute. Warming once
# at the start left whichever command ran first in a pair reading partly
# from disk, and the second reading what the first had just brought back:
# that favoured tar | zstd in every row.
warm() { find "$@" -type f -exec cat {} + >/dev/null; }
# med FILE [FIELD] and peak FILE FIELD: the median and the largest of a
# field (default 1, the seconds) over the runs in FILE.
med() { cut -d' ' -f"${2:-1}" "$1" | median; }
peak() { cut -d' ' -f"$2" "$1" | sort -n | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

H=$work/hozen
# The standard tools' pipelines run under bash with pipefail, so that tar
# or zstd failing fails the run instead of timing a short one; its start
# costs some 0.8 ms more than sh's, on their side of each ratio. The
# directories are passed as arguments, never pasted into the script.
TARZSTD='set -o pipefail; tar -cf - -C "$1" "$2" | zstd -1 -T0 -q >"$3"'
ZSTDSHA='set -o pipefail; zstd -dc "$1" | sha256sum'
for i in $(seq "$RUNS"); do
	rm -rf "$work/out" "$work/tar.zst"
	warm "$work/corpus"
	measure collect "$H" collect --profile volatile --include "$work/corpus/**" --out "$work/out"
	warm "$work/corpus"
	measure tarzstd bash -c "$TARZSTD" _ "$work" corpus "$work/tar.zst"
	B=$(ls "$work"/out/*.tar.zst)
	warm "$B"
	measure verify "$H" verify "$B"
	warm "$B"
	measure zstdsha bash -c "$ZSTDSHA" _ "$B"
	rm -rf "$work/out2" "$work/small.tar.zst"
	warm "$work/small"
	measure collect_small "$H" collect --profile "$work/files.yaml" --include "$work/small/**" --out "$work/out2"
	warm "$work/small"
	measure tarzstd_small bash -c "$TARZSTD" _ "$work" small "$work/small.tar.zst"
	rm -rf "$work/out3"
	measure volatile "$H" collect --profile volatile --out "$work/out3"
	warm "$work/sample"
	measure goenc "$work/zspeed" "$work/sample"
	warm "$work/sample"
	measure cenc zstd -1 -T1 -q -c "$work/sample"
	warm "$work/corpus.tar"
	measure goenc2 "$work/zspeed" -workers 2 "$work/corpus.tar"
	warm "$work/stream.tar"
	measure goenc2_small "$work/zspeed" -workers 2 "$work/stream.tar"
done

range_of() { cut -d' ' -f1 "$work/$1" | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.3f-%.3f", lo, hi}'; }
row() { # label A B [norss]
	local a b ra
	a=$(med "$work/$2")
	ra=$(peak "$work/$2" 2)
	if [ -n "${3:-}" ]; then
		b=$(med "$work/$3")
		if [ -n "${4:-}" ]; then
			printf "%-44s %8.3f s %8.3f s %7.2fx %12s   %s / %s\n" "$1" "$a" "$b" "$(echo "$a / $b" | bc -l)" "-" "$(range_of "$2")" "$(range_of "$3")"
			return
		fi
		printf "%-44s %8.3f s %8.3f s %7.2fx %8d KiB   %s / %s\n" "$1" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$ra" "$(range_of "$2")" "$(range_of "$3")"
	else
		printf "%-44s %8.3f s %10s %8s %8d KiB   %s\n" "$1" "$a" "-" "-" "$ra" "$(range_of "$2")"
	fi
}
echo
echo "corpus: $(du -sh "$work/corpus" | cut -f1) in $(find "$work/corpus" -type f | wc -l) files; small: $SMALL files; $RUNS runs, medians"
printf "%-44s %10s %10s %8s %12s   %s\n" "" "hozen" "standard" "ratio" "hozen max RSS" "range, s (hozen / standard)"
row "collect vs tar | zstd -1 -T0" collect tarzstd
row "verify vs zstd -dc | sha256sum" verify zstdsha
row "collect $SMALL small files vs tar | zstd" collect_small tarzstd_small
row "volatile snapshot (collect --profile volatile)" volatile
row "zstd encoder alone, 1 core: Go vs C -1" goenc cenc norss
row "Go encoder alone, 2 cores vs tar | zstd" goenc2 tarzstd norss
row "Go encoder alone, 2 cores, small files" goenc2_small tarzstd_small norss

# scaled LABEL UNITS GENCORPUS-ARGS...: generate a corpus; collect it (and
# tar | zstd it, alternating) and verify the bundle SCALE_RUNS times; print
# medians of time, CPU (user+sys) per unit, peak RSS, what was read from
# the disk during the timed runs (%I, 512-byte blocks as MB), and the ratio
# to tar | zstd. Disk reads show when the kernel dropped part of a warmed
# corpus during a run: on this machine DAMON (kdamond) pages out memory
# untouched for about a minute, which made one 300,000-file run 25 % slower.
SCALE_RUNS=${BENCH_SCALE_RUNS:-3}
scaled() {
	local label=$1 units=$2 per=$3; shift 3
	rm -rf "$work/scale" "$work/sout" "$work"/s_*
	go run ./scripts/gencorpus -o "$work/scale" "$@"
	local i
	for i in $(seq "$SCALE_RUNS"); do
		rm -rf "$work/sout" "$work/scale.tar.zst"
		warm "$work/scale"
		timed "$work/s_collect" "%U %S %M %I" "$H" collect --profile "$work/files.yaml" --include "$work/scale/**" --out "$work/sout"
		warm "$work/scale"
		timed "$work/s_tar" "%U %S %M %I" bash -c "$TARZSTD" _ "$work" scale "$work/scale.tar.zst"
		warm "$work"/sout/*.tar.zst
		timed "$work/s_verify" "%U %S %M %I" "$H" verify "$work"/sout/*.tar.zst
	done
	local c ct cr cio t v vr
	c=$(med "$work/s_collect")
	ct=$(awk '{print $2+$3}' "$work/s_collect" | median)
	cr=$(peak "$work/s_collect" 4)
	cio=$(awk '{s+=$5} END {printf "%.0f", s*512/1e6/NR}' "$work/s_collect")
	t=$(med "$work/s_tar")
	v=$(med "$work/s_verify")
	vr=$(peak "$work/s_verify" 4)
	printf "%-10s %8.3f s %12.1f %8d KiB %8.0f %8.3f s %6.2fx %8.3f s %8d KiB\n" "$label" "$c" \
		"$(echo "$ct * $per / $units" | bc -l)" "$cr" "$cio" "$t" "$(echo "$c / $t" | bc -l)" "$v" "$vr"
	rm -rf "$work/scale" "$work/sout" "$work"/s_* "$work/scale.tar.zst"
}

if [ -n "${BENCH_SCALE:-}" ]; then
	echo
	echo "by size: $SCALE_RUNS runs of each, medians; CPU is user+sys; disk MB read during a collect, mean"
	printf "%-10s %10s %12s %12s %8s %10s %7s %10s %12s\n" "corpus" "collect" "CPU s/GiB" "collect RSS" "disk MB" "tar|zstd" "ratio" "verify" "verify RSS"
	for m in $BENCH_SCALE; do
		scaled "$m MiB" "$m" 1024 -mib "$m" -small 0 -seed 3
	done
fi

if [ -n "${BENCH_FILES:-}" ]; then
	echo
	echo "by number of files (about 4.6 KiB each): as above"
	printf "%-10s %10s %12s %12s %8s %10s %7s %10s %12s\n" "files" "collect" "CPU us/file" "collect RSS" "disk MB" "tar|zstd" "ratio" "verify" "verify RSS"
	for n in $BENCH_FILES; do
		scaled "$n" "$n" 1000000 -mib 0 -small "$n" -seed 5
	done
fi
