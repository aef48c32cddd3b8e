/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scream's IVSHMEM wire format: what the Scream virtual sound card for
 * Windows (github.com/duncanthrax/scream, its "UseIVSHMEM" mode) writes into
 * an ivshmem-plain BAR, and what passvm reads on the host. Facts from
 * Scream's driver and receivers; this header is our own description.
 *
 *   0x00  header (24 bytes, natural alignment, little endian)
 *   offset  max_chunks chunks of chunk_size bytes, a ring
 *
 * The driver zeroes the header, fills it, then sets magic. For each chunk
 * (20 ms of PCM) it advances write_idx (wrapping at max_chunks), copies the
 * chunk to slot write_idx, and stores write_idx. A reader keeps its own
 * read_idx, starts at the current write_idx (old slots are stale) and plays
 * slots read_idx+1 .. write_idx. There is no interrupt and no read pointer
 * back to the guest: the host polls. On close the driver zeroes the header.
 *
 * Samples: sample_size bits (16, 24 packed in 3 bytes, 32) signed
 * integers, `channels` interleaved in the order of the WAVEFORMATEXTENSIBLE
 * channel mask channel_map. sample_rate is a code: bit 7 set = a multiple
 * of 44100, clear = of 48000; bits 0-6 = the multiplier (Scream only makes
 * multiples of those two).
 *
 * Every field is the guest's: validate all of it (scream.c).
 */
#ifndef PASSVM_SCREAM_WIRE_H
#define PASSVM_SCREAM_WIRE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define SCREAM_MAGIC 0x11112014u

struct scream_header {
	uint32_t magic;
	uint16_t write_idx;     /* the slot written last */
	uint8_t offset;         /* the first slot's offset from the header */
	uint8_t pad0;
	uint16_t max_chunks;    /* slots in the ring */
	uint16_t pad1;
	uint32_t chunk_size;    /* bytes per slot */
	uint8_t sample_rate;    /* code, see above */
	uint8_t sample_size;    /* bits per sample */
	uint8_t channels;
	uint8_t pad2;
	uint16_t channel_map;   /* WAVEFORMATEXTENSIBLE dwChannelMask (low 16 bits) */
	uint16_t pad3;
};

static_assert(sizeof(struct scream_header) == 24, "Scream header is 24 bytes");
static_assert(offsetof(struct scream_header, write_idx) == 4, "write_idx");
static_assert(offsetof(struct scream_header, offset) == 6, "offset");
static_assert(offsetof(struct scream_header, max_chunks) == 8, "max_chunks");
static_assert(offsetof(struct scream_header, chunk_size) == 12, "chunk_size");
static_assert(offsetof(struct scream_header, sample_rate) == 16, "sample_rate");
static_assert(offsetof(struct scream_header, sample_size) == 17, "sample_size");
static_assert(offsetof(struct scream_header, channels) == 18, "channels");
static_assert(offsetof(struct scream_header, channel_map) == 20, "channel_map");

#define SCREAM_RATE_44100_BIT 0x80u
#define SCREAM_RATE_MULT_MASK 0x7fu

/* WAVEFORMATEXTENSIBLE speaker bits, in the order samples are interleaved. */
enum scream_speaker {
	SCREAM_SPK_FL = 0x1, SCREAM_SPK_FR = 0x2, SCREAM_SPK_FC = 0x4, SCREAM_SPK_LFE = 0x8,
	SCREAM_SPK_RL = 0x10, SCREAM_SPK_RR = 0x20, SCREAM_SPK_FLC = 0x40,
	SCREAM_SPK_FRC = 0x80, SCREAM_SPK_RC = 0x100, SCREAM_SPK_SL = 0x200,
	SCREAM_SPK_SR = 0x400,
};

#endif
