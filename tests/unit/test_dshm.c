// SPDX-License-Identifier: GPL-2.0-only
/*
 * display-shm protocol: our LGMP 6 host/KVMFR 20 producer against our
 * consumer in one buffer (a fake clock), and hostile producers: every
 * corrupted field must be refused without touching memory outside the
 * region (run under ASan) and without hanging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "display-shm/dshm.h"
#include "display-shm/kvmfr_producer.h"
#include "display-shm/lgmp_wire.h"

#define REGION (8 * MiB)
#define W 64
#define H 32

struct fx {
	uint8_t *mem;
	struct kvmfr_producer p;
	struct dshm_session s;
	uint32_t px[W * H];
	uint64_t now;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->mem = aligned_alloc(4096, REGION);
	memset(f->mem, 0, REGION);
	for (unsigned i = 0; i < W * H; i++)
		f->px[i] = 0xff000000u | i;
	f->now = 1000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	free(f->mem);
	free(f);
	return 0;
}

/* Consumer watching first (as a viewer started before the VM), then the producer. */
static void start(struct fx *f)
{
	struct error err;
	dshm_session_init(&f->s, f->mem, REGION, 42, f->now);
	assert_int_equal(dshm_session_open(&f->s, f->now, &err), DSHM_WAITING);
	assert_int_equal(kvmfr_producer_init(&f->p, f->mem, REGION, "test", 5, ++f->now, &err), 0);
	assert_int_equal(dshm_session_open(&f->s, f->now, &err), DSHM_OK);
	assert_string_equal(f->s.info.hostver, "test");
	assert_string_equal(f->s.info.os_name, "passvm test producer");
}

static void post_frame(struct fx *f, uint32_t nd, const struct kvmfr_wire_rect *d)
{
	struct error err;
	enum lgmp_post res;
	struct kvmfr_frame_desc desc = { .type = KVMFR_FRAME_BGRA, .width = W, .height = H,
					 .pitch = W * 4, .ndamage = nd, .damage = d,
					 .pixels = (const uint8_t *)f->px };
	assert_int_equal(kvmfr_producer_frame(&f->p, &desc, f->now, &res, &err), 0);
	assert_int_equal(res, LGMP_POSTED);
}

/* The frame struct the producer just posted (for corrupting it). */
static struct kvmfr_wire_frame *last_frame(struct fx *f)
{
	unsigned i = (f->p.frame_idx + KVMFR_QUEUE_FRAME_LEN - 1) % KVMFR_QUEUE_FRAME_LEN;
	return (struct kvmfr_wire_frame *)(void *)(f->mem + f->p.frame_off[i]);
}

static void test_frames_and_cursor(void **state)
{
	struct fx *f = *state;
	struct error err;
	struct dshm_frame fr;
	start(f);
	struct kvmfr_wire_rect d[2] = { { 1, 2, 3, 4 }, { 60, 30, 100, 100 } };
	post_frame(f, 2, d);
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_OK);
	assert_int_equal(fr.width, W);
	assert_int_equal(fr.height, H);
	assert_int_equal(fr.bpp, 4);
	assert_int_equal(fr.ndamage, 2);
	assert_int_equal(fr.damage[1].w, 4); /* clipped to the frame */
	assert_int_equal(fr.damage[1].h, 2);
	uint32_t out[W * H];
	assert_int_equal(kvmfr_frame_copy_rows(&f->s.r, &fr, 0, H, (uint8_t *)out, W * 4, 1000, &err), 0);
	assert_memory_equal(out, f->px, sizeof(out));
	uint32_t serial = fr.serial;
	dshm_frame_done(&f->s);
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_EMPTY);
	f->px[5] = 0x12345678;
	post_frame(f, 0, NULL);
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_OK);
	assert_true(fr.serial > serial);
	assert_int_equal(fr.ndamage, 0);
	assert_int_equal(kvmfr_frame_copy_rows(&f->s.r, &fr, 0, 1, (uint8_t *)out, W * 4, 1000, &err), 0);
	assert_int_equal(out[5], 0x12345678);
	dshm_frame_done(&f->s);

	uint32_t shape[4 * 4], got[KVMFR_MAX_CURSOR * KVMFR_MAX_CURSOR];
	for (unsigned i = 0; i < 16; i++)
		shape[i] = 0xff00ff00u + i;
	assert_int_equal(kvmfr_producer_cursor(&f->p, KVMFR_CURSOR_FLAG_POSITION |
					       KVMFR_CURSOR_FLAG_VISIBLE, 10, -3, shape, 4, 4,
					       1, 2, f->now), LGMP_POSTED);
	struct dshm_cursor c;
	assert_int_equal(dshm_next_cursor(&f->s, f->now, &c, got, &err), DSHM_OK);
	assert_int_equal(c.x, 10);
	assert_int_equal(c.y, -3);
	assert_true(c.shape && c.width == 4 && c.height == 4 && c.hx == 1 && c.hy == 2);
	assert_memory_equal(got, shape, sizeof(shape));
	assert_int_equal(dshm_next_cursor(&f->s, f->now, &c, got, &err), DSHM_EMPTY);
	/* Both messages were retired: the host may post again. */
	assert_int_equal(lgmp_host_pending(&f->p.host, (unsigned)f->p.qframe), 0);
}

static void test_no_producer(void **state)
{
	struct fx *f = *state;
	struct error err;
	dshm_session_init(&f->s, f->mem, REGION, 1, 0);
	assert_int_equal(dshm_session_open(&f->s, 0, &err), DSHM_WAITING);
	/* A header left by a stopped producer: its heartbeat never moves. */
	assert_int_equal(kvmfr_producer_init(&f->p, f->mem, REGION, "x", 1, 50, &err), 0);
	dshm_session_init(&f->s, f->mem, REGION, 1, 100);
	assert_int_equal(dshm_session_open(&f->s, 100, &err), DSHM_WAITING);
	assert_non_null(strstr(err.msg, "heartbeat"));
}

static void test_versions(void **state)
{
	struct fx *f = *state;
	struct error err;
	dshm_session_init(&f->s, f->mem, REGION, 1, 0);
	assert_int_equal(kvmfr_producer_init(&f->p, f->mem, REGION, "B6", 1, 10, &err), 0);
	struct kvmfr_wire_header *k = (void *)(f->mem + LGMP_UDATA_OFFSET);
	k->version = 19;
	assert_int_equal(dshm_session_open(&f->s, 10, &err), DSHM_FATAL);
	assert_non_null(strstr(err.msg, "KVMFR 19"));
	((struct lgmp_wire_header *)(void *)f->mem)->version = 5;
	assert_int_equal(dshm_session_open(&f->s, 10, &err), DSHM_FATAL);
	assert_non_null(strstr(err.msg, "LGMP version 5"));
}

/* One corruption of a posted frame; the consumer must skip it. */
static void hostile_frame(struct fx *f, void (*corrupt)(struct kvmfr_wire_frame *), const char *why)
{
	struct error err = { "" };
	struct dshm_frame fr;
	post_frame(f, 0, NULL);
	corrupt(last_frame(f));
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_SKIPPED);
	assert_non_null(strstr(err.msg, why));
}

static void c_pitch(struct kvmfr_wire_frame *w) { w->pitch = W * 4 - 1; }
static void c_height(struct kvmfr_wire_frame *w) { w->data_height = w->frame_height = 16385; }
static void c_rows(struct kvmfr_wire_frame *w) { w->data_height = w->frame_height = 4000; w->pitch = 1 << 20; }
static void c_offset(struct kvmfr_wire_frame *w) { w->offset = 0xfffffff0u; }
static void c_damage(struct kvmfr_wire_frame *w) { w->damage_count = 65; }
static void c_type(struct kvmfr_wire_frame *w) { w->type = KVMFR_FRAME_RGB_24; }
static void c_zero(struct kvmfr_wire_frame *w) { w->frame_width = 0; }
static void c_misaligned(struct kvmfr_wire_frame *w) { w->offset += 1; }

static void test_hostile_frames(void **state)
{
	struct fx *f = *state;
	start(f);
	hostile_frame(f, c_pitch, "pitch");
	hostile_frame(f, c_height, "outside");
	hostile_frame(f, c_rows, "does not fit");
	hostile_frame(f, c_offset, "does not fit");
	hostile_frame(f, c_damage, "damage");
	hostile_frame(f, c_type, "not supported");
	hostile_frame(f, c_zero, "outside");
	hostile_frame(f, c_misaligned, "does not fit");
	/* Still in sync: a good frame gets through. */
	struct error err;
	struct dshm_frame fr;
	post_frame(f, 0, NULL);
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_OK);
	dshm_frame_done(&f->s);
}

static void test_hostile_ring(void **state)
{
	struct fx *f = *state;
	struct error err;
	struct dshm_frame fr;
	start(f);
	struct lgmp_wire_header *h = (void *)f->mem;
	struct lgmp_wire_queue *q = &h->queues[f->p.qframe];
	struct lgmp_wire_msg *ring = (void *)(f->mem + q->messages_offset);
	/* A message pointing past the region. */
	post_frame(f, 0, NULL);
	ring[0].offset = REGION - 16;
	ring[0].size = 4096;
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_LOST);
	assert_non_null(strstr(err.msg, "outside"));
	/* A write position outside the ring. */
	q->position = 1000;
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_LOST);
	/* A ring placed past the region is refused at subscribe. */
	q->position = 0;
	q->messages_offset = REGION - 8;
	dshm_session_init(&f->s, f->mem, REGION, 43, f->now);
	h->timestamp++;
	assert_int_equal(dshm_session_open(&f->s, f->now, &err), DSHM_WAITING);
	assert_non_null(strstr(err.msg, "misplaced"));
	/* Cursor: a shape bigger than its message. */
	q->messages_offset = (uint32_t)(ring == NULL ? 0 : (uint8_t *)ring - f->mem);
	h->timestamp++;
	assert_int_equal(dshm_session_open(&f->s, f->now, &err), DSHM_OK);
	uint32_t shape[4] = { 1, 2, 3, 4 };
	kvmfr_producer_cursor(&f->p, 0, 1, 1, shape, 2, 2, 0, 0, f->now);
	struct lgmp_wire_msg *cring = (void *)(f->mem + h->queues[f->p.qcursor].messages_offset);
	cring[0].size = sizeof(struct kvmfr_wire_cursor) + 2 * 2 * 4 - 1;
	struct dshm_cursor cur;
	uint32_t got[KVMFR_MAX_CURSOR * KVMFR_MAX_CURSOR];
	assert_int_equal(dshm_next_cursor(&f->s, f->now, &cur, got, &err), DSHM_SKIPPED);
	assert_non_null(strstr(err.msg, "does not fit"));
}

/* A guest that never releases the queue lock: open fails, does not hang. */
static void test_lock_held(void **state)
{
	struct fx *f = *state;
	struct error err;
	dshm_session_init(&f->s, f->mem, REGION, 1, 0);
	assert_int_equal(kvmfr_producer_init(&f->p, f->mem, REGION, "x", 1, 10, &err), 0);
	((struct lgmp_wire_header *)(void *)f->mem)->queues[0].lock = 1;
	assert_int_equal(dshm_session_open(&f->s, 10, &err), DSHM_WAITING);
	assert_non_null(strstr(err.msg, "lock"));
}

static void test_session_lost(void **state)
{
	struct fx *f = *state;
	struct error err;
	struct dshm_frame fr;
	start(f);
	/* Heartbeat stops for more than a second. */
	f->now += LGMP_HEARTBEAT_MS + 1;
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_LOST);
	/* The producer restarts (new session id): a new session works. */
	assert_int_equal(kvmfr_producer_init(&f->p, f->mem, REGION, "again", 5, f->now, &err), 0);
	assert_int_not_equal(((struct lgmp_wire_header *)(void *)f->mem)->session_id, 5);
	assert_int_equal(dshm_session_open(&f->s, f->now, &err), DSHM_OK);
	post_frame(f, 0, NULL);
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_OK);
	dshm_frame_done(&f->s);
}

/* A consumer slower than maxTime is marked bad by the host and resubscribes. */
static void test_slow_consumer(void **state)
{
	struct fx *f = *state;
	struct error err;
	struct dshm_frame fr;
	start(f);
	post_frame(f, 0, NULL);
	f->now += KVMFR_SUB_TIMEOUT_MS + 5;
	lgmp_host_process(&f->p.host, f->now);
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_EMPTY); /* resubscribed */
	assert_int_equal(lgmp_host_pending(&f->p.host, (unsigned)f->p.qframe), 0);
	f->now += KVMFR_SUB_TIMEOUT_MS + 5; /* the bad slot is reaped at the next subscribe */
	lgmp_host_process(&f->p.host, f->now);
	post_frame(f, 0, NULL);
	assert_int_equal(dshm_next_frame(&f->s, f->now, &fr, &err), DSHM_OK);
	dshm_frame_done(&f->s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frames_and_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_producer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_consumer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
