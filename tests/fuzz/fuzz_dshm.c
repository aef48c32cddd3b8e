// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: a hostile guest's shared memory against the display-shm
 * consumer (LGMP 6 client + KVMFR 20 parsing, frame row copies, cursor
 * shapes). The input becomes the region; the consumer must neither read nor
 * write outside it (ASan) nor hang (bounded lock and wait).
 * Two modes (first input byte): raw bytes as the region, or a valid session
 * from our producer with a posted frame and cursor, then the input applied
 * as (offset, value) patches, so mutations reach the deep checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "display-shm/dshm.h"
#include "display-shm/kvmfr_producer.h"

#define REGION (4 * 1024 * 1024)

static void drain(struct dshm_session *s, uint8_t *rows, uint32_t *shape)
{
	struct error err;
	for (int i = 0; i < 4; i++) {
		struct dshm_frame f;
		enum dshm_status st = dshm_next_frame(s, 1, &f, &err);
		if (st == DSHM_OK) {
			uint32_t n = MIN(f.rows, 4u);
			size_t row = (size_t)f.cols * f.bpp;
			kvmfr_frame_copy_rows(&s->r, &f, 0, n, rows, row, 0, &err);
			dshm_frame_done(s);
		}
		struct dshm_cursor c;
		dshm_next_cursor(s, 1, &c, shape, &err);
	}
}

/* A live session with one frame and one cursor shape posted, then patched. */
static void structured(const uint8_t *data, size_t size, uint8_t *region, uint8_t *rows,
		       uint32_t *shape)
{
	static uint32_t px[16 * 8];
	struct kvmfr_producer p;
	struct dshm_session s;
	struct error err;
	enum lgmp_post res;
	dshm_session_init(&s, region, REGION, 7, 0);
	s.lgmp.lock_tries = 4;
	if (kvmfr_producer_init(&p, region, REGION, "fuzz", 3, 1, &err) ||
	    dshm_session_open(&s, 1, &err) != DSHM_OK)
		abort(); /* our own producer must work */
	struct kvmfr_wire_rect d = { 1, 1, 4, 4 };
	struct kvmfr_frame_desc fd = { .type = KVMFR_FRAME_BGRA, .width = 16, .height = 8,
				       .pitch = 64, .ndamage = 1, .damage = &d,
				       .pixels = (const uint8_t *)px };
	kvmfr_producer_frame(&p, &fd, 1, &res, &err);
	kvmfr_producer_cursor(&p, 7, 3, 4, px, 4, 4, 1, 1, 1);
	/* Patches land in the header, the rings and the first frame/cursor buffers. */
	uint64_t span = p.frame_off[0] + 4096 + 64;
	for (size_t i = 1; i + 6 <= size; i += 6) {
		uint32_t off, v;
		memcpy(&off, data + i, 2);
		memcpy(&v, data + i + 2, 4);
		off = (uint32_t)((off * 4u) % span);
		if (off >= p.cur_off[0] && off < p.frame_off[0])
			off = (uint32_t)(p.shape_off[0] + (off % 64)) & ~3u;
		memcpy(region + off, &v, 4);
	}
	drain(&s, rows, shape);
	dshm_session_close(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *region = aligned_alloc(4096, REGION);
	uint8_t *rows = malloc(4 * KVMFR_MAX_DIM * 8);
	uint32_t *shape = malloc(KVMFR_MAX_CURSOR * KVMFR_MAX_CURSOR * 4);
	memset(region, 0, REGION);
	if (size && (data[0] & 1)) {
		structured(data, size, region, rows, shape);
		goto out;
	}
	struct dshm_session s;
	dshm_session_init(&s, region, REGION, 7, 0);
	s.lgmp.lock_tries = 4;
	/* The input is the header area and whatever it points to; tail bytes
	 * land at the end so offsets near the limit get exercised too. */
	size_t head = MIN(size, (size_t)REGION / 2);
	memcpy(region, data, head);
	size_t tail = MIN(size - head, (size_t)REGION / 2);
	memcpy(region + REGION - tail, data + head, tail);
	struct error err;
	if (dshm_session_open(&s, 1, &err) == DSHM_OK) {
		s.lgmp.lock_tries = 4;
		drain(&s, rows, shape);
	}
	dshm_session_close(&s);
	/* The parsers alone on an arbitrary message. */
	if (size >= 8) {
		struct lgmp_msg m;
		memcpy(&m.offset, data, 4);
		memcpy(&m.size, data + 4, 4);
		m.udata = m.offset ^ m.size;
		struct dshm_region r = { region, REGION };
		struct dshm_frame f;
		struct dshm_cursor c;
		if (dshm_in(&r, m.offset, m.size)) {
			if (!kvmfr_parse_frame(&r, &m, &f, &err))
				kvmfr_frame_copy_rows(&r, &f, 0, MIN(f.rows, 4u), rows,
						      (size_t)f.cols * f.bpp, 0, &err);
			if (!kvmfr_parse_cursor(&r, &m, &c, &err) && c.shape)
				kvmfr_cursor_bgra(&r, &c, shape, &err);
		}
	}
out:
	free(shape);
	free(rows);
	free(region);
	return 0;
}
