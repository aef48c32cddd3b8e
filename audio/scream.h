/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host side of Scream's IVSHMEM ring (scream_wire.h): reads the guest's
 * chunks from the shared memory, validates every header field and slot
 * against the region, converts to float and keeps a small playout buffer
 * that the audio sink pulls from (an audio_source, audio.h).
 *
 * Playout: the guest writes 20 ms chunks on its own clock, the sink reads
 * periods on the host's. The buffer starts playing once it holds the
 * target (the profile's latency, at least one chunk, plus one sink period);
 * an empty buffer plays silence and waits for the target again (one
 * click, not a crackle on every period); a buffer grown past the target by
 * more than two chunks (the host stalled, or the clocks drift) drops the
 * oldest frames back to it, so the delay stays bounded.
 */
#ifndef PASSVM_SCREAM_H
#define PASSVM_SCREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "audio/audio.h"
#include "audio/scream_wire.h"

/* 192 kHz, 8 channels, 32 bit, 20 ms is 122880 bytes: room above that. */
#define SCREAM_MAX_CHUNK (256u * 1024u)
/* Playout buffer: 500 ms at the highest rate and channel count. */
#define SCREAM_FIFO_FRAMES (AUDIO_MAX_RATE / 2)

/* A validated header. */
struct scream_layout {
	uint32_t offset, chunk_size;
	uint16_t max_chunks;
	uint8_t bits, channels;
	uint32_t frame_bytes;     /* bits/8 * channels */
	struct audio_format fmt;
};

/*
 * Check a header read from a region of `size` bytes. Returns 0 with *l
 * filled, or -1 with err saying which field is wrong (a broken or hostile
 * guest, or an old or new Scream).
 */
int scream_header_check(const struct scream_header *h, uint64_t size, struct scream_layout *l,
			struct error *err);
/* Sample-rate code to Hz; 0 when the code is not one Scream makes. */
uint32_t scream_rate_hz(uint8_t code);

struct scream_stats {
	uint64_t chunks;          /* read from the ring */
	uint64_t underruns;       /* periods the buffer ran dry */
	uint64_t dropped_frames;  /* frames dropped to keep the delay bounded */
	uint64_t bad_headers;     /* headers refused */
	uint64_t skipped_chunks;  /* chunks overwritten before we could read them */
};

struct scream_source {
	const volatile uint8_t *shm;
	uint64_t size;
	unsigned latency_ms;
	bool active;              /* following a producer */
	bool priming;             /* waiting for the target before playing */
	struct scream_layout cur;
	uint16_t read_idx;
	float *fifo_buf;          /* SCREAM_FIFO_FRAMES * AUDIO_MAX_CHANNELS */
	struct audio_fifo fifo;   /* the playout buffer, in cur.channels */
	uint8_t *chunk;           /* SCREAM_MAX_CHUNK scratch */
	uint64_t stalled_frames;  /* periods' frames since the last new chunk */
	int32_t idle_mark;        /* write_idx when the ring stalled; -1: none */
	int32_t resume_idx;       /* where to go on after a stall; -1: none */
	struct scream_stats stats;
	struct error last_error;  /* why the last header was refused (logged once) */
};

int scream_source_init(struct scream_source *s, const volatile uint8_t *shm, uint64_t size,
		       unsigned latency_ms, struct error *err);
void scream_source_fini(struct scream_source *s);
/* The audio_source this reader is (opaque = s). */
struct audio_source scream_audio_source(struct scream_source *s);

/* Decode `bytes` of `bits`-bit samples to float; returns samples written. */
uint32_t scream_to_float(const uint8_t *in, uint32_t bytes, unsigned bits, float *out);

#endif
