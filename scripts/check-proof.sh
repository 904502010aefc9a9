#!/bin/sh
# check-proof.sh PROOF ALLOWED_SIGNERS PRINCIPAL
#
# Checks a proof that 'hozen prove' wrote with standard tools only: tar,
# ssh-keygen, sha256sum, jq and python3 (a few lines, for the RFC 6962
# path). docs/format.md ("Proofs") explains each step. It prints
# "proven: ..." and exits 0 when the proof holds for a signer that
# ALLOWED_SIGNERS allows as PRINCIPAL; anything else exits non-zero.
#
# What it does not check, and 'hozen verify-proof' does: that every tar
# header, padding byte and the end of the archive are exactly those hozen
# writes (a proof repacked by another tar still passes here, and proves
# the same), and an artifact path that is not valid UTF-8 (jq shows it as
# {"b64": ...}; this script then stops).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 PROOF ALLOWED_SIGNERS PRINCIPAL" >&2; exit 2; }
proof=$(realpath "$1") allowed=$(realpath "$2") principal=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "not proven: $*" >&2; exit 1; }

# 1. Unpack it; its first entry names its format.
tar -xf "$proof"
[ "$(cat hozen-proof)" = "hozen-proof/1" ] || fail "not a hozen-proof/1 file"

# 2. The manifest's signature, by a key you trust.
ssh-keygen -Y verify -f "$allowed" -I "$principal" -n hozen-bundle \
    -s hozen/manifest.json.sig < hozen/manifest.json || fail "the manifest's signature"
jq -e '.status == "sealed"' hozen/manifest.json >/dev/null || fail "the bundle was not sealed"

# 3. bundle.json is the one the manifest hashes.
[ "$(sha256sum < hozen/bundle.json | cut -d' ' -f1)" = "$(jq -r .header_sha256 hozen/manifest.json)" ] ||
    fail "bundle.json is not the manifest's"

# 4. The record is the manifest's record SEQ: by its chain hash in the
#    manifest's list, and by the inclusion proof under its Merkle root.
seq=$(jq -r .seq proof.json)
rec=$(printf 'hozen/records/%08d.json' "$seq")
jq -e --argjson s "$seq" '.seq == $s' "$rec" >/dev/null || fail "$rec is not record $seq"
[ "$(sha256sum < "$rec" | cut -d' ' -f1)" = "$(jq -r --argjson s "$seq" '.records[$s-1]' hozen/manifest.json)" ] ||
    fail "$rec is not the manifest's record $seq"
n=$(jq -r '.counts.records' hozen/manifest.json)
[ "$n" = "$(jq -r '.records | length' hozen/manifest.json)" ] || fail "the manifest's counts"
root=$(jq -r .merkle_root hozen/manifest.json)
jq -r '.inclusion[]' proof.json | python3 -c '
import hashlib, sys
rec = open(sys.argv[1], "rb").read()
fn, sn, root = int(sys.argv[2]) - 1, int(sys.argv[3]) - 1, sys.argv[4]
H = lambda b: hashlib.sha256(b).digest()
r = H(b"\0" + rec)  # RFC 6962 leaf: SHA-256(0x00 || record bytes)
if not 0 <= fn <= sn: sys.exit("record outside the tree")
for p in (bytes.fromhex(l) for l in sys.stdin.read().split()):  # RFC 9162 2.1.3.2
    if sn == 0: sys.exit("inclusion proof too long")
    if fn & 1 or fn == sn:
        r = H(b"\1" + p + r)
        while fn and not fn & 1: fn >>= 1; sn >>= 1
    else:
        r = H(b"\1" + r + p)
    fn >>= 1; sn >>= 1
sys.exit(0 if sn == 0 and r.hex() == root else "the root differs")
' "$rec" "$seq" "$n" "$root" || fail "the record is not under the manifest's Merkle root"

# 5. The artifact's bytes are the record's.
path=$(jq -r '.path | strings' "$rec")
[ -n "$path" ] || fail "the path is not UTF-8: check this proof with hozen verify-proof"
if [ "$(jq -r .entry "$rec")" = file ]; then
    [ "$(sha256sum < "$path" | cut -d' ' -f1)" = "$(jq -r .sha256 "$rec")" ] || fail "$path differs from its record"
    what="$path (sha256 $(jq -r .sha256 "$rec"), $(jq -r .size "$rec") bytes)"
else
    what="$path (no data: $(jq -r .entry "$rec"))"
fi
echo "proven: $what is record $seq of bundle $(jq -r .bundle_id hozen/manifest.json), signed for $principal"
