#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `passvm run PROFILE [FLAGS]` end to end on the host's KVM: a profile boots
# the acpi payload (which checks the MADT's CPU count against expect_cpus),
# flags override the profile's values, a relative kernel path resolves
# against the profile's folder, a profile naming devices this build cannot
# start yet (or a passthrough device the host lacks) is refused, and a broken
# profile is refused with FILE:LINE.
# usage: profile-run.sh PASSVM ACPI_PAYLOAD
set -u
passvm=$1 payload=$2
dev=${PASSVM_KVM_DEV:-/dev/kvm}
if [ ! -c "$dev" ] || ! { exec 3<>"$dev"; } 2>/dev/null; then
	echo "SKIP: cannot open $dev read-write (no KVM here)"
	exit 77
fi
exec 3>&-
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$payload" "$work/acpi.elf"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME EXPECTED_STATUS PASSVM-ARGS...: status and output in $out
run() {
	local name=$1 want=$2
	shift 2
	out=$(timeout 60 "$passvm" run "$@" </dev/null 2>&1)
	local st=$?
	echo "--- $name: passvm run $* -> exit $st"
	echo "$out" | tail -n 8
	[ "$st" = "$want" ] || fail "$name: exit $st, expected $want"
}

cat >"$work/vm.ini" <<INI
[machine]
memory = 256M
serial = stdio
[cpu]
vcpus = 2
topology = 1/1/2
[boot]
kernel = acpi.elf
cmdline = console=ttyS0 expect_cpus=2
INI
run profile 0 "$work/vm.ini"
grep -q 'PAYLOAD-OK acpi' <<<"$out" || fail "profile: no PAYLOAD-OK acpi"

# Flags after the profile win: 3 vCPUs (and a topology that fits them).
run override 0 "$work/vm.ini" --cpus 3 --topology 1/3/1 --append "console=ttyS0 expect_cpus=3"
grep -q 'PAYLOAD-OK acpi' <<<"$out" || fail "override: no PAYLOAD-OK acpi"

# The same flags before the profile argument.
run flags-first 0 --cpus 3 --topology 1/3/1 --append "console=ttyS0 expect_cpus=3" "$work/vm.ini"
grep -q 'PAYLOAD-OK acpi' <<<"$out" || fail "flags-first: no PAYLOAD-OK acpi"

# By name from $PASSVM_PROFILE_DIR.
PASSVM_PROFILE_DIR=$work run by-name 0 vm
grep -q 'PAYLOAD-OK acpi' <<<"$out" || fail "by-name: no PAYLOAD-OK acpi"

# A vCPU count the profile's topology does not describe: refused up front.
run topology-mismatch 2 "$work/vm.ini" --cpus 3
grep -q '1/1/2' <<<"$out" || fail "topology-mismatch: the message does not name the topology"
grep -q 'PAYLOAD' <<<"$out" && fail "topology-mismatch: the guest ran"

# Passthrough of a device this host lacks: one clear error naming it, before
# anything is bound or booted (the host kernel has no VFIO; the lab proves
# the rest).
{ cat "$work/vm.ini"; printf '[passthrough.gpu]\naddress = 0000:01:00.0\n'; } >"$work/pt.ini"
run passthrough 2 "$work/pt.ini"
grep -q '0000:01:00.0' <<<"$out" || fail "passthrough: the message does not name 0000:01:00.0"
grep -q 'PAYLOAD' <<<"$out" && fail "passthrough: the guest ran"
run vfio-flag 2 "$work/vm.ini" --vfio 0000:01:00
grep -q '0000:01:00' <<<"$out" || fail "vfio-flag: the message does not name slot 0000:01:00"
grep -q 'PAYLOAD' <<<"$out" && fail "vfio-flag: the guest ran"

# A typo: FILE:LINE and a suggestion.
sed 's/^memory/memroy/' "$work/vm.ini" >"$work/typo.ini"
run typo 2 "$work/typo.ini"
grep -q "typo.ini:2: unknown key 'memroy'" <<<"$out" || fail "typo: no FILE:LINE message"
grep -q "did you mean 'memory'" <<<"$out" || fail "typo: no suggestion"

# No such profile.
run missing 2 no-such-profile-xyz
grep -q 'no-such-profile-xyz' <<<"$out" || fail "missing: the message does not name the profile"

echo "$fails failure(s)"
[ $fails = 0 ]
