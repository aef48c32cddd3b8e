#!/usr/bin/env bash
# Run inside the lab (lab-run --vfio-edu): passvm takes QEMU's edu device from
# a host driver (pci-stub, through driver_override) to vfio-pci and gives it
# back however it ends:
#   1. while passvm runs: edu on vfio-pci, a restore record owned by its PID;
#      `passvm restore` leaves a live passvm's device alone;
#   2. kill -9 passvm: edu stays on vfio-pci with its record; `passvm restore`
#      puts it back on pci-stub and deletes the record;
#   3. a killed run's record is replayed by the next start, whose normal exit
#      (guest power-off) restores edu by itself.
# passvm-vfio-restore.sh PASSVM KERNEL INITRD KERNEL_CACHE
set -uo pipefail
passvm=$1 kernel=$2 initrd=$3 kcache=$4
bdf=${PASSVM_LAB_EDU_BDF:?run me under lab-run --vfio-edu}
dev=/sys/bus/pci/devices/$bdf
work=$(mktemp -d)
export PASSVM_STATE_DIR=$work/state
record=$PASSVM_STATE_DIR/vfio-bind/$bdf
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
drv() { local l; l=$(readlink "$dev/driver" 2>/dev/null) && echo "${l##*/}" || echo none; }
[ -c /dev/kvm ] || { echo "SKIP: no /dev/kvm in the lab"; exit 77; }

# --- edu onto pci-stub (the lab hands it over on vfio-pci) ---------------------
if [ ! -d /sys/bus/pci/drivers/pci-stub ]; then
	ko=$(find "$kcache/modules/" -name pci-stub.ko | head -n 1)
	busybox insmod "$ko" || { echo "SKIP: cannot load pci-stub ($ko)"; exit 77; }
fi
echo pci-stub >"$dev/driver_override"
echo "$bdf" >"$dev/driver/unbind"
echo "$bdf" >/sys/bus/pci/drivers_probe
[ "$(drv)" = pci-stub ] || { echo "FAIL: setup: edu is on $(drv), not pci-stub"; exit 1; }
echo "edu $bdf on pci-stub"

# start_vm TEST LOG: passvm in the background, $pid, once its guest is up.
# The nested lab now and then hangs an L2 guest in early boot (see lab-run):
# a guest that is not up in 60 s is killed and started once more, loudly; a
# passvm that outlives its SIGKILL sits on a CPU the lab lost (LAB-STUCK:
# lab-run starts a new lab).
start_vm() {
	local try
	for try in 1 2; do
		"$passvm" run --kernel "$kernel" --initrd "$initrd" --memory 256M \
			--append "console=ttyS0 passvm.test=$1 passvm.arg=600" \
			--serial "file:$2.serial" --vfio "$bdf" </dev/null >"$2" 2>&1 &
		pid=$!
		for _ in $(seq 1 300); do
			grep -q 'PASSVM-INFO' "$2.serial" 2>/dev/null && return 0
			kill -0 $pid 2>/dev/null || break
			sleep 0.2
		done
		kill -0 $pid 2>/dev/null || break # passvm ended: a real failure
		echo "passvm-vfio-restore: WARNING: $1: the guest is not up after 60 s; its console:"
		tail -n 12 "$2.serial" 2>/dev/null || true
		kill -9 $pid
		for _ in $(seq 1 75); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
		if kill -0 $pid 2>/dev/null; then
			echo "LAB-STUCK: passvm (pid $pid) is still there 15 s after its SIGKILL" >&2
			exit 125
		fi
		wait $pid 2>/dev/null
		"$passvm" restore >/dev/null 2>&1 # edu back to pci-stub for the next try
		[ $try = 1 ] && echo "passvm-vfio-restore: starting it once more"
	done
	fail "$1: the guest did not come up"; cat "$2" "$2.serial"
	return 1
}

# --- 1 + 2: kill -9 mid-run, then passvm restore --------------------------------
start_vm hold "$work/run1"
[ "$(drv)" = vfio-pci ] || fail "running: edu is on $(drv), not vfio-pci"
grep -q "^owner=$pid " "$record" 2>/dev/null || fail "running: no record owned by PID $pid"
"$passvm" restore >"$work/restore0" 2>&1
grep -q "in use by passvm PID $pid" "$work/restore0" || fail "restore while running: $(cat "$work/restore0")"
[ "$(drv)" = vfio-pci ] || fail "restore while running took edu from the live passvm"
kill -9 $pid; wait $pid 2>/dev/null
echo "passvm $pid killed (SIGKILL)"
[ "$(drv)" = vfio-pci ] || fail "after kill -9: edu is on $(drv) (expected still vfio-pci)"
[ -f "$record" ] || fail "after kill -9: the restore record is gone"
"$passvm" restore | tee "$work/restore1"
[ "$(drv)" = pci-stub ] || fail "after passvm restore: edu is on $(drv), not pci-stub"
[ -f "$record" ] && fail "after passvm restore: the record is still there"
[ "$(cat "$dev/driver_override")" = pci-stub ] || fail "driver_override not restored"

# --- 3: a killed run's record replayed at the next start; normal exit restores ----
start_vm hold "$work/run2"
kill -9 $pid; wait $pid 2>/dev/null
"$passvm" run --kernel "$kernel" --initrd "$initrd" --memory 256M \
	--append "console=ttyS0 passvm.test=boot" --serial "file:$work/run3.serial" \
	--vfio "$bdf" </dev/null >"$work/run3" 2>&1
st=$?
cat "$work/run3"
[ $st = 0 ] || fail "normal run exited $st"
grep -q 'PASSVM-TEST-PASS boot' "$work/run3.serial" || fail "normal run: the guest did not pass 'boot'"
grep -q "$bdf: restored to pci-stub" "$work/run3" || fail "the start did not replay the killed run's record"
[ "$(drv)" = pci-stub ] || fail "after a normal exit: edu is on $(drv), not pci-stub"
[ -f "$record" ] && fail "after a normal exit: the record is still there"

echo "$fails failure(s)"
rm -rf "$work"
[ $fails = 0 ]
