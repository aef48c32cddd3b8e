# Helpers for the test guest's tests (sourced by /init before a test; POSIX
# sh, also sourced by the host-side tests/guest/disk-pattern.sh).

# fail REASON: end the test; /init prints "PASSVM-TEST-FAIL NAME: REASON".
fail() {
	echo "$*" >/tmp/.passvm-fail-reason
	exit 1
}

# info KEY=VALUE...: a line the host side may parse.
info() {
	echo "PASSVM-INFO $*"
}

# Number of online CPUs, from /sys/devices/system/cpu/online ("0-3,5").
online_cpus() {
	local list r n=0
	read -r list </sys/devices/system/cpu/online
	local IFS=,
	for r in $list; do
		case $r in
		*-*) n=$((n + ${r#*-} - ${r%-*} + 1)) ;;
		*) n=$((n + 1)) ;;
		esac
	done
	echo $n
}

# MemTotal in kB.
mem_kb() {
	local key val unit
	while read -r key val unit; do
		[ "$key" = MemTotal: ] && { echo "$val"; return 0; }
	done </proc/meminfo
	echo 0
}

# The disk-write test's pattern: 16 sectors of 512 bytes (8 KiB); sector I is
# the line "PASSVM-DISK-WRITE nonce=NONCE sector=I" padded with spaces to 511
# bytes, then "\n".  The host compares with tests/guest/disk-pattern.sh NONCE.
passvm_disk_pattern() {
	local i=0
	while [ $i -lt 16 ]; do
		printf '%-511s\n' "PASSVM-DISK-WRITE nonce=$1 sector=$i"
		i=$((i + 1))
	done
}
