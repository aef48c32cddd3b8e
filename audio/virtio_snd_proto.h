/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-snd's control protocol (virtio 1.2, 5.14), as pure functions over
 * the device's stream table: what the driver may ask on the control queue
 * and what the device answers, with every byte of a request treated as
 * hostile. No I/O here: virtio_snd.c moves bytes between the rings and
 * these functions and acts on the change they report (a stream started,
 * stopped, released). The wire structs are the kernel's uAPI
 * (linux/virtio_snd.h), checked by size below.
 *
 * The device has one output stream (id 0), no jacks, no channel maps:
 * the driver's default layout per channel count is the one used.
 */
#ifndef PASSVM_VIRTIO_SND_PROTO_H
#define PASSVM_VIRTIO_SND_PROTO_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_snd.h>

#include "audio/audio.h"

static_assert(sizeof(struct virtio_snd_config) == 12, "virtio_snd_config");
static_assert(sizeof(struct virtio_snd_query_info) == 16, "virtio_snd_query_info");
static_assert(sizeof(struct virtio_snd_pcm_info) == 32, "virtio_snd_pcm_info");
static_assert(sizeof(struct virtio_snd_pcm_set_params) == 24, "virtio_snd_pcm_set_params");
static_assert(sizeof(struct virtio_snd_pcm_xfer) == 4, "virtio_snd_pcm_xfer");
static_assert(sizeof(struct virtio_snd_pcm_status) == 8, "virtio_snd_pcm_status");

#define VSND_DEVICE_ID 25
#define VSND_STREAMS 1
/* A control request or answer larger than this is refused (BAD_MSG). */
#define VSND_CTL_MAX 4096
/* The largest buffer the driver may ask for (it is also the most audio
 * the device holds): 2 s of 192 kHz, 8 channels, 32 bit. */
#define VSND_MAX_BUFFER_BYTES (192000u * 8u * 4u * 2u)

enum vsnd_state {
	VSND_RELEASED = 0,   /* no parameters */
	VSND_SET,            /* parameters set */
	VSND_PREPARED,
	VSND_RUNNING,
	VSND_STOPPED,
};

struct vsnd_params {
	uint32_t buffer_bytes, period_bytes;
	uint8_t channels, format, rate;
	uint32_t rate_hz;
	uint32_t sample_bytes, frame_bytes;
	struct audio_format fmt;
};

struct vsnd_stream {
	enum vsnd_state state;
	struct vsnd_params params;
};

/* What a control request changed, for the device to act on. */
enum vsnd_change {
	VSND_CHANGE_NONE,
	VSND_CHANGE_PARAMS,   /* new parameters: (re)size the buffer */
	VSND_CHANGE_START,
	VSND_CHANGE_STOP,     /* complete the pending transfers */
	VSND_CHANGE_RELEASE,  /* complete the pending transfers */
};

/*
 * Handle one control request (the readable bytes of a chain). Writes the
 * answer (status, then any info structures) into resp (the writable room,
 * resp_cap bytes) and returns its length (0: no room even for a status).
 */
size_t vsnd_control(struct vsnd_stream *streams, const uint8_t *req, size_t req_len,
		    uint8_t *resp, size_t resp_cap, unsigned *stream_id, enum vsnd_change *change);

/* The formats and rates we offer, and their sizes / Hz; 0: not offered. */
uint32_t vsnd_format_bytes(uint8_t format);
uint32_t vsnd_rate_hz(uint8_t rate);
/* ALSA's default layout for `channels` (what a driver with no chmap uses). */
void vsnd_default_positions(unsigned channels, uint8_t *pos);
/* Decode `frames` frames of the stream's format to float; non-finite
 * floats become 0 and the rest are clamped to [-1, 1]. */
void vsnd_to_float(const struct vsnd_params *p, const uint8_t *in, uint32_t frames, float *out);

#endif
