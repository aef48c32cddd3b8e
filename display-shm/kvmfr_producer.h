/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The KVMFR 20 producer side on top of lgmp_host: the buffers and posting
 * order of Looking Glass's host application (PROTOCOL.md), for our Linux
 * guest agent, the host-only tests and the benchmark.
 */
#ifndef PASSVM_KVMFR_PRODUCER_H
#define PASSVM_KVMFR_PRODUCER_H

#include "display-shm/kvmfr_wire.h"
#include "display-shm/lgmp_host.h"

#define KVMFR_PRODUCER_SHAPES 3u
#define KVMFR_PRODUCER_SHAPE_BYTES (sizeof(struct kvmfr_wire_cursor) + 512u * 512u * 4u)
#define KVMFR_PRODUCER_ALIGN 4096u   /* pixels start on a page */

struct kvmfr_producer {
	struct lgmp_host host;
	int qframe, qcursor;
	uint64_t frame_off[KVMFR_QUEUE_FRAME_LEN];
	uint32_t frame_bytes;           /* per frame buffer, header included */
	unsigned frame_idx;
	uint32_t serial, format_ver;
	uint64_t cur_off[KVMFR_QUEUE_POINTER_LEN];
	unsigned cur_idx;
	uint64_t shape_off[KVMFR_PRODUCER_SHAPES];
	unsigned shape_idx;
	uint32_t last_w, last_h, last_type;
};

struct kvmfr_frame_desc {
	uint32_t type;                  /* KVMFR_FRAME_* with 4 or 8 bytes per pixel */
	uint32_t width, height, pitch;  /* of `pixels` (and of the wire buffer) */
	uint32_t flags;
	uint32_t ndamage;               /* 0: whole frame */
	const struct kvmfr_wire_rect *damage;
	const uint8_t *pixels;
};

int kvmfr_producer_init(struct kvmfr_producer *p, uint8_t *base, uint64_t size,
			const char *hostver, uint32_t session_id, uint64_t now_ms,
			struct error *err);
/* Largest width*height*bpp... a frame buffer holds (pixel bytes). */
uint64_t kvmfr_producer_frame_capacity(const struct kvmfr_producer *p);
/* Post a frame, then copy its pixels while advancing the write pointer
 * (the consumer may read rows as they land). LGMP_POST_FULL: both buffers
 * are still being read, try again; NO_SUBS: nobody watches, nothing done. */
int kvmfr_producer_frame(struct kvmfr_producer *p, const struct kvmfr_frame_desc *d,
			 uint64_t now_ms, enum lgmp_post *res, struct error *err);
/* Cursor update; shape (BGRA, width*height, color type) may be NULL. */
enum lgmp_post kvmfr_producer_cursor(struct kvmfr_producer *p, uint32_t flags, int16_t x,
				     int16_t y, const uint32_t *shape, uint32_t w, uint32_t h,
				     int8_t hx, int8_t hy, uint64_t now_ms);

#endif
