// SPDX-License-Identifier: GPL-2.0-only
/*
 * vsnd: a virtio-snd driver (virtio 1.2, 5.14) as small as it can be, for
 * the host test tests/kvm/audio-virtio-snd.sh. It asks for the PCM stream's
 * info, checks that bad requests are refused as the spec says (unknown
 * code, bad stream id, unsupported format, START before PREPARE, a transfer
 * for no stream), then plays `periods=` periods of 10 ms, 48 kHz, 16-bit
 * stereo, 8 periods in flight: each transfer it gets back is refilled with
 * the next period, so the device's completions pace it, as they pace
 * Linux's driver. Frame f is the same as the scream payload's, so the
 * same checker (tests/kvm/scream_check.py) reads the recording. Then, as a
 * guest whose driver is reloaded mid-stream: play again, reset the device
 * with transfers in flight, and check that a fresh driver plays on it (the
 * device forgot the old stream, its pending transfers and its timer).
 */
#include "virtio.h"

const char payload_name[] = "vsnd";

#define VIRTIO_ID_SOUND 25
#define R_PCM_INFO 0x100
#define R_PCM_SET_PARAMS 0x101
#define R_PCM_PREPARE 0x102
#define R_PCM_RELEASE 0x103
#define R_PCM_START 0x104
#define R_PCM_STOP 0x105
#define S_OK 0x8000
#define S_BAD_MSG 0x8001
#define S_NOT_SUPP 0x8002
#define FMT_S16 5
#define RATE_48000 7

#define PERIOD_FRAMES 480u
#define PERIOD_BYTES (PERIOD_FRAMES * 4u)
#define INFLIGHT 8u

struct xfer {
	uint32_t stream_id;
	uint32_t frames[PERIOD_FRAMES];
};
struct pcm_status {
	uint32_t status, latency_bytes;
};

static struct vdev d;
static struct vq ctlq, txq;
static uint32_t req[16], resp[16];
static struct xfer xfers[INFLIGHT];
static struct pcm_status stat[INFLIGHT];

static uint32_t scream_frame(uint32_t f)
{
	return (uint16_t)(f * 7u) | (uint32_t)(uint16_t)(f * 13u + 1u) << 16;
}

static void wait_used(struct vq *q, uint32_t *id, uint32_t *len, const char *what)
{
	uint64_t t0 = rdtsc();
	while (!vq_get(q, id, len)) {
		CHECK(rdtsc() - t0 < WAIT_LONG, "%s: no answer from the device", what);
		cpu_relax();
	}
}

/* One control request of `words` 32-bit words; returns the status. */
static uint32_t ctl(unsigned words, unsigned resp_bytes, const char *what)
{
	uint32_t id, len;
	resp[0] = 0;
	vq_add_chain(&ctlq, (uint32_t)(uintptr_t)req, words * 4, (uint32_t)(uintptr_t)resp,
		     resp_bytes);
	vq_kick(&ctlq);
	wait_used(&ctlq, &id, &len, what);
	CHECK(len >= 4, "%s: answer of %u bytes", what, len);
	return resp[0];
}

static uint32_t pcm_cmd(uint32_t code, uint32_t stream)
{
	req[0] = code;
	req[1] = stream;
	return ctl(2, 4, "PCM command");
}

static uint32_t set_params(uint8_t format, uint8_t rate)
{
	req[0] = R_PCM_SET_PARAMS;
	req[1] = 0;                      /* stream */
	req[2] = INFLIGHT * PERIOD_BYTES; /* buffer_bytes */
	req[3] = PERIOD_BYTES;           /* period_bytes */
	req[4] = 0;                      /* features */
	req[5] = 2u | (uint32_t)format << 8 | (uint32_t)rate << 16;
	return ctl(6, 4, "SET_PARAMS");
}

static bool silent; /* the reset part plays silence: the recording is checked before it */

static void xfer_send(unsigned slot, uint32_t stream, uint32_t first_frame)
{
	xfers[slot].stream_id = stream;
	for (uint32_t i = 0; i < PERIOD_FRAMES; i++)
		xfers[slot].frames[i] = silent ? 0 : scream_frame(first_frame + i);
	stat[slot].status = 0;
	vq_add_chain(&txq, (uint32_t)(uintptr_t)&xfers[slot], sizeof(xfers[slot]),
		     (uint32_t)(uintptr_t)&stat[slot], sizeof(stat[slot]));
	vq_kick(&txq);
}

static void driver_init(void)
{
	virtio_negotiate(&d, 0);
	virtio_vq_setup(&d, &ctlq, 0, 16, VIRTIO_MSI_NO_VECTOR, 0);
	virtio_vq_setup(&d, &txq, 2, 2 * INFLIGHT, VIRTIO_MSI_NO_VECTOR, 1);
	virtio_driver_ok(&d);
}

/* Play `periods` periods from a fresh PREPARE; `reset_after` > 0: reset the
 * device once that many came back, with the rest in flight. */
static void play(uint32_t periods, uint32_t reset_after)
{
	CHECK(set_params(FMT_S16, RATE_48000) == S_OK, "SET_PARAMS: 0x%x", resp[0]);
	CHECK(pcm_cmd(R_PCM_PREPARE, 0) == S_OK, "PREPARE: 0x%x", resp[0]);
	uint32_t sent = 0, done = 0, id, len;
	for (; sent < INFLIGHT && sent < periods; sent++)
		xfer_send(sent % INFLIGHT, 0, sent * PERIOD_FRAMES);
	CHECK(pcm_cmd(R_PCM_START, 0) == S_OK, "START: 0x%x", resp[0]);
	while (done < periods) {
		wait_used(&txq, &id, &len, "a playing period");
		CHECK(len == 8 && stat[done % INFLIGHT].status == S_OK,
		      "period %u: len %u status 0x%x", done, len, stat[done % INFLIGHT].status);
		if (++done == reset_after) {
			virtio_reset(&d);
			return;
		}
		if (sent < periods) {
			xfer_send(sent % INFLIGHT, 0, sent * PERIOD_FRAMES);
			sent++;
		}
	}
	CHECK(pcm_cmd(R_PCM_STOP, 0) == S_OK, "STOP: 0x%x", resp[0]);
	CHECK(pcm_cmd(R_PCM_RELEASE, 0) == S_OK, "RELEASE: 0x%x", resp[0]);
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	uint32_t periods = parse_u32(cmdline_get("periods"), 150);
	virtio_open(&d, VIRTIO_ID_SOUND, false);
	driver_init();
	CHECK(mmio_read32(d.devcfg + 4) == 1, "streams = %u, want 1", mmio_read32(d.devcfg + 4));

	req[0] = R_PCM_INFO, req[1] = 0, req[2] = 1, req[3] = 32;
	CHECK(ctl(4, 36, "PCM_INFO") == S_OK, "PCM_INFO: 0x%x", resp[0]);
	uint32_t formats = resp[3], rates = resp[5], dir_ch = resp[7];
	CHECK(formats & (1u << FMT_S16), "no S16 in formats 0x%x", formats);
	CHECK(rates & (1u << RATE_48000), "no 48 kHz in rates 0x%x", rates);
	CHECK((dir_ch & 0xff) == 0 && ((dir_ch >> 8) & 0xff) == 1 && ((dir_ch >> 16) & 0xff) >= 2,
	      "direction/channels 0x%x: want output, 1 to 2+", dir_ch);

	/* What must be refused. */
	req[0] = 0x999;
	CHECK(ctl(1, 4, "unknown") == S_NOT_SUPP, "unknown request: 0x%x", resp[0]);
	CHECK(pcm_cmd(R_PCM_PREPARE, 5) == S_BAD_MSG, "stream 5: 0x%x", resp[0]);
	CHECK(set_params(0 /* IMA ADPCM */, RATE_48000) == S_NOT_SUPP, "ADPCM: 0x%x", resp[0]);
	CHECK(set_params(FMT_S16, RATE_48000) == S_OK, "SET_PARAMS: 0x%x", resp[0]);
	CHECK(pcm_cmd(R_PCM_START, 0) == S_BAD_MSG, "START before PREPARE: 0x%x", resp[0]);
	uint32_t id, len;
	xfer_send(0, 7, 0); /* no stream 7 */
	wait_used(&txq, &id, &len, "bad transfer");
	CHECK(len == 8 && stat[0].status == S_BAD_MSG, "transfer to stream 7: len %u status 0x%x",
	      len, stat[0].status);

	/* Play: prefill, START, then refill each period as it comes back. */
	uint64_t t0 = rdtsc();
	play(periods, 0);
	uint64_t cycles = rdtsc() - t0;
	CHECK(pcm_cmd(R_PCM_STOP, 0) == S_BAD_MSG, "STOP after RELEASE: 0x%x", resp[0]);
	uint32_t done = periods;
	pr("vsnd: %u periods (%u frames) played in %llu Mcycles\n", done, done * PERIOD_FRAMES,
	   udiv64(cycles, 1000000, NULL));

	/* The driver goes away mid-stream (reset, transfers in flight) and a
	 * new one plays: nothing of the old stream may be left over. */
	silent = true;
	play(INFLIGHT + 4, 3);
	driver_init();
	CHECK(pcm_cmd(R_PCM_START, 0) == S_BAD_MSG, "START on a reset device: 0x%x", resp[0]);
	play(INFLIGHT + 4, 0);
	pr("vsnd: played again after a reset mid-stream\n");
	return 0;
}
