#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# In the lab: Linux's virtio_snd driver (the 6.12 guest kernel) plays 1.5 s
# (tests/guest/tests/snd, /bin/snd-guest) on passvm's virtio-snd device;
# passvm plays it into a private PipeWire + WirePlumber here; the null
# sink's monitor, recorded, must hold all 72000 frames exact and in order
# (silent gaps, where the nested lab fell behind, are reported, not failed).
# usage: passvm-virtio-snd.sh PASSVM VMLINUX INITRD PIPEWIRE_CONF CHECKER
set -u
passvm=$1 kernel=$2 initrd=$3 pwconf=$4 checker=$5
here=$(dirname "$(realpath "$0")")
[ -c /dev/kvm ] || { echo "SKIP: no /dev/kvm in the lab"; exit 77; }
. "$here/../kvm/audio-lib.sh"
audio_skip_missing

audio_setup passvm-snd

audio_pw_start "$pwconf"
# play_once: 0 when the recording holds the stream, 1 when frames are
# missing from it (the nested lab fell behind in PipeWire or pw-record: once
# more, loudly), 2 on any other failure (already counted).
play_once() {
	audio_record_start
	timeout -k 10 150 "$passvm" run --kernel "$kernel" --initrd "$initrd" --memory 512M \
		--append "console=ttyS0 passvm.test=snd" --serial "file:$tmp/serial.log" \
		--audio virtio-snd --audio-latency 40 </dev/null >"$tmp/out" 2>&1
	local rc=$? before=$fails
	audio_record_stop
	cat "$tmp/serial.log" "$tmp/out"
	[ $rc = 0 ] || fail "passvm exit $rc"
	grep -q 'PASSVM-TEST-PASS snd' "$tmp/serial.log" || fail "the guest's test did not pass"
	grep -q 'guest plays 48000 Hz, 2 ch (FL FR) into PipeWire' "$tmp/out" ||
		fail "passvm did not say it plays 48 kHz stereo into PipeWire"
	[ $fails = "$before" ] || return 2
	audio_check_recording "$checker" 72000 || return 1
}
audio_play play_once
[ $fails = 0 ] && echo PASS
exit $((fails > 0))
