/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVMFR 20 parsing for the consumer: every guest-written field is taken
 * from one snapshot and checked before use (PROTOCOL.md, "The guest is
 * hostile"). The results are plain values whose offsets are known to lie
 * inside the region.
 */
#ifndef PASSVM_KVMFR_H
#define PASSVM_KVMFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "display-shm/dshm_region.h"
#include "display-shm/kvmfr_wire.h"
#include "display-shm/lgmp_client.h"

#define KVMFR_MAX_DIM 16384u       /* frame width/height limit */
#define KVMFR_MAX_CURSOR 512u      /* LG's pointer buffers hold 512x512x4 */

struct kvmfr_info {
	uint32_t version;
	uint32_t features;
	char hostver[33];
	char os_name[64];
	int os;                    /* KVMFR_OS_*; -1 unknown */
};

struct dshm_rect {
	uint32_t x, y, w, h;
};

/* A validated frame: pixels [data_off, data_off + rows*pitch) are inside the
 * region; wp_off is the 4-aligned write pointer. */
struct dshm_frame {
	uint32_t serial, format_ver, type, flags, rotation;
	uint32_t bpp;                /* bytes per pixel: 4 or 8 */
	uint32_t width, height;      /* the picture */
	uint32_t screen_width, screen_height;
	uint32_t rows, cols;         /* what the buffer holds (rows < height: truncated) */
	uint32_t pitch;              /* bytes per row in the buffer */
	uint32_t ndamage;            /* 0: the whole frame */
	struct dshm_rect damage[KVMFR_MAX_DAMAGE_RECTS];
	uint64_t wp_off, data_off;
};

struct dshm_cursor {
	uint32_t flags;              /* KVMFR_CURSOR_FLAG_* */
	int32_t x, y;                /* with FLAG_POSITION */
	bool shape;                  /* with FLAG_SHAPE: the fields below */
	uint32_t type;
	int32_t hx, hy;
	uint32_t width, height;      /* image height (monochrome: half the rows) */
	uint32_t pitch;
	uint64_t shape_off;          /* shape_bytes inside the region */
	uint32_t shape_bytes;
};

int kvmfr_parse_udata(const struct dshm_region *r, uint64_t off, uint32_t size,
		      struct kvmfr_info *info, struct error *err);
int kvmfr_parse_frame(const struct dshm_region *r, const struct lgmp_msg *m,
		      struct dshm_frame *f, struct error *err);
int kvmfr_parse_cursor(const struct dshm_region *r, const struct lgmp_msg *m,
		       struct dshm_cursor *c, struct error *err);

/* Wait (bounded) until the producer has written `bytes` of the frame. */
typedef uint64_t (*kvmfr_clock_fn)(void);
int kvmfr_frame_wait(const struct dshm_region *r, const struct dshm_frame *f, uint64_t bytes,
		     unsigned timeout_us, struct error *err);
/* Copy rows [y0, y0+n) of the frame's buffer (cols*bpp bytes each) to dst. */
int kvmfr_frame_copy_rows(const struct dshm_region *r, const struct dshm_frame *f, uint32_t y0,
			  uint32_t n, uint8_t *dst, size_t dst_pitch, unsigned timeout_us,
			  struct error *err);
/* The cursor image as width*height BGRA words (alpha 0 = transparent). */
int kvmfr_cursor_bgra(const struct dshm_region *r, const struct dshm_cursor *c, uint32_t *dst,
		      struct error *err);

const char *kvmfr_frame_type_name(uint32_t type);

#endif
