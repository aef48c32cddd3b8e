// SPDX-License-Identifier: GPL-2.0-only
/*
 * passvm view's core (display-shm/viewer.c) on a fake back end, with our
 * KVMFR producer in the same buffer and a fake clock: only damaged rects
 * are uploaded, the texture ends up equal to the producer's picture, the
 * cursor lands at position - hotspot scaled like the frame, the frame is
 * letterboxed, and a lost/restarted producer goes through the waiting
 * screen to a full upload.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "display-shm/kvmfr_producer.h"
#include "display-shm/lgmp_wire.h"
#include "display-shm/viewer.h"

#define REGION (8 * MiB)
#define W 64
#define H 32
#define MAX_UPLOADS 64

struct fake {
	int out_w, out_h;
	unsigned setups;
	uint32_t tex_w, tex_h;
	enum dshm_view_fmt fmt;
	uint32_t tex[W * 2 * H * 2];
	unsigned uploads;
	struct dshm_rect up[MAX_UPLOADS];
	unsigned shapes;
	uint32_t shape_w, shape_h, shape0;
	unsigned presents;
	struct dshm_view_scene last;
	char title[300];
	bool fullscreen;
	unsigned input;
};

static int f_setup(void *ctx, uint32_t w, uint32_t h, enum dshm_view_fmt fmt, struct error *e)
{
	struct fake *k = ctx;
	assert_true((size_t)w * h <= ARRAY_SIZE(k->tex));
	k->setups++;
	k->tex_w = w;
	k->tex_h = h;
	k->fmt = fmt;
	memset(k->tex, 0, sizeof(k->tex));
	return 0;
}

static int f_upload(void *ctx, const struct dshm_rect *r, const uint8_t *px, size_t pitch,
		    struct error *e)
{
	struct fake *k = ctx;
	assert_true(r->x + r->w <= k->tex_w && r->y + r->h <= k->tex_h);
	if (k->uploads < MAX_UPLOADS)
		k->up[k->uploads] = *r;
	k->uploads++;
	for (uint32_t y = 0; y < r->h; y++)
		memcpy(&k->tex[(r->y + y) * k->tex_w + r->x], px + y * pitch, r->w * 4);
	return 0;
}

static int f_cursor(void *ctx, const uint32_t *bgra, uint32_t w, uint32_t h, struct error *e)
{
	struct fake *k = ctx;
	k->shapes++;
	k->shape_w = w;
	k->shape_h = h;
	k->shape0 = bgra[0];
	return 0;
}

static void f_output(void *ctx, int *w, int *h)
{
	struct fake *k = ctx;
	*w = k->out_w;
	*h = k->out_h;
}

static int f_present(void *ctx, const struct dshm_view_scene *sc, struct error *e)
{
	struct fake *k = ctx;
	k->presents++;
	k->last = *sc;
	return 0;
}

static unsigned f_input(void *ctx)
{
	struct fake *k = ctx;
	unsigned in = k->input;
	k->input = 0;
	return in;
}

static void f_fullscreen(void *ctx, bool on)
{
	((struct fake *)ctx)->fullscreen = on;
}

static void f_title(void *ctx, const char *t)
{
	struct fake *k = ctx;
	strncpy(k->title, t, sizeof(k->title) - 1);
}

struct fx {
	uint8_t *mem;
	struct kvmfr_producer p;
	struct fake k;
	struct dshm_view_ops ops;
	struct dshm_view v;
	uint32_t px[W * H];
	uint64_t now;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct error err;
	f->mem = aligned_alloc(4096, REGION);
	memset(f->mem, 0, REGION);
	for (unsigned i = 0; i < W * H; i++)
		f->px[i] = 0xff000000u | i;
	f->now = 1000;
	f->k.out_w = 2 * W;
	f->k.out_h = 2 * H;
	f->ops = (struct dshm_view_ops){ &f->k, f_setup, f_upload, f_cursor, f_output, f_present,
					 f_input, f_fullscreen, f_title };
	assert_int_equal(dshm_view_init(&f->v, &f->ops, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dshm_view_free(&f->v);
	free(f->mem);
	free(f);
	return 0;
}

static void step(struct fx *f)
{
	struct error err = { "" };
	assert_int_equal(dshm_view_step(&f->v, f->now, &err), 0);
}

/* The viewer waits first (started before the VM), then the producer starts. */
static void start(struct fx *f)
{
	struct error err;
	dshm_view_attach(&f->v, f->mem, REGION, 42, f->now);
	step(f);
	assert_int_equal(f->v.state, DSHM_VIEW_WAITING);
	assert_false(f->k.last.have_frame);
	assert_int_equal(kvmfr_producer_init(&f->p, f->mem, REGION, "test", 5, ++f->now, &err), 0);
	step(f);
	assert_int_equal(f->v.state, DSHM_VIEW_SHOWING);
	assert_non_null(strstr(f->k.title, "showing"));
}

static void post(struct fx *f, uint32_t w, uint32_t h, uint32_t nd,
		 const struct kvmfr_wire_rect *d)
{
	struct error err;
	enum lgmp_post res;
	struct kvmfr_frame_desc desc = { .type = KVMFR_FRAME_BGRA, .width = w, .height = h,
					 .pitch = w * 4, .ndamage = nd, .damage = d,
					 .pixels = (const uint8_t *)f->px };
	assert_int_equal(kvmfr_producer_frame(&f->p, &desc, f->now, &res, &err), 0);
	assert_int_equal(res, LGMP_POSTED);
}

static void test_fit(void **state)
{
	struct dshm_view_rect r = dshm_view_fit(640, 480, 640, 360);
	assert_true(r.x == 0 && r.y == 60 && r.w == 640 && r.h == 360);
	r = dshm_view_fit(1920, 1080, 4, 3);       /* pillarbox */
	assert_true(r.x == 240 && r.y == 0 && r.w == 1440 && r.h == 1080);
	r = dshm_view_fit(1000, 1000, 1920, 1080);
	assert_true(r.x == 0 && r.y == 219 && r.w == 1000 && r.h == 562);
	r = dshm_view_fit(0, 100, 64, 32);
	assert_true(r.w == 0 && r.h == 0);
}

static void test_damage_only(void **state)
{
	struct fx *f = *state;
	start(f);
	post(f, W, H, 0, NULL);
	step(f);
	assert_int_equal(f->k.setups, 1);
	assert_int_equal(f->k.fmt, DSHM_VIEW_FMT_BGRA);
	assert_int_equal(f->k.uploads, 1);          /* the whole first frame */
	assert_memory_equal(f->k.tex, f->px, sizeof(f->px));
	assert_true(f->k.last.have_frame);
	/* Scale 2 in a 2W x 2H output: no bars. */
	assert_true(f->k.last.dst.x == 0 && f->k.last.dst.w == 2 * W && f->k.last.dst.h == 2 * H);

	/* Two small changes, sent with their damage rects: only they move. */
	f->px[3 * W + 5] = 0xffabcdefu;
	f->px[20 * W + 40] = 0xff123456u;
	struct kvmfr_wire_rect d[2] = { { 5, 3, 1, 1 }, { 40, 20, 2, 2 } };
	f->k.uploads = 0;
	memset(f->k.tex, 0, sizeof(f->k.tex));
	post(f, W, H, 2, d);
	step(f);
	assert_int_equal(f->k.uploads, 2);
	assert_true(f->k.up[0].x == 5 && f->k.up[0].y == 3 && f->k.up[0].w == 1 &&
		    f->k.up[0].h == 1);
	assert_true(f->k.up[1].x == 40 && f->k.up[1].y == 20 && f->k.up[1].w == 2 &&
		    f->k.up[1].h == 2);
	assert_int_equal(f->k.tex[3 * W + 5], 0xffabcdefu);
	assert_int_equal(f->k.tex[20 * W + 40], 0xff123456u);
	assert_int_equal(f->k.tex[0], 0);           /* not re-sent */
	assert_int_equal(f->k.setups, 1);

	/* A new mode: a new texture and a full upload, damage or not. */
	f->k.uploads = 0;
	post(f, W / 2, H, 2, d);
	step(f);
	assert_int_equal(f->k.setups, 2);
	assert_int_equal(f->k.tex_w, W / 2);
	assert_int_equal(f->k.uploads, 1);
	assert_true(f->k.up[0].w == W / 2 && f->k.up[0].h == H);
	/* Letterboxed: W/2 x H in 2W x 2H is W x 2H, centred. */
	assert_true(f->k.last.dst.x == W / 2 && f->k.last.dst.w == W && f->k.last.dst.h == 2 * H);
}

static void test_cursor(void **state)
{
	struct fx *f = *state;
	uint32_t shape[4 * 4];
	for (unsigned i = 0; i < 16; i++)
		shape[i] = 0xffff0000u + i;
	start(f);
	post(f, W, H, 0, NULL);
	assert_int_equal(kvmfr_producer_cursor(&f->p, KVMFR_CURSOR_FLAG_POSITION |
					       KVMFR_CURSOR_FLAG_VISIBLE, 10, 5, shape, 4, 4,
					       1, 2, f->now), LGMP_POSTED);
	step(f);
	assert_int_equal(f->k.shapes, 1);
	assert_true(f->k.shape_w == 4 && f->k.shape_h == 4 && f->k.shape0 == 0xffff0000u);
	assert_true(f->k.last.cursor);
	/* (position - hotspot) * 2, size * 2 */
	assert_int_equal(f->k.last.cursor_dst.x, 18);
	assert_int_equal(f->k.last.cursor_dst.y, 6);
	assert_int_equal(f->k.last.cursor_dst.w, 8);
	assert_int_equal(f->k.last.cursor_dst.h, 8);
	/* Moves without a shape, then hides. */
	assert_int_equal(kvmfr_producer_cursor(&f->p, KVMFR_CURSOR_FLAG_POSITION |
					       KVMFR_CURSOR_FLAG_VISIBLE, 30, 20, NULL, 0, 0,
					       0, 0, f->now), LGMP_POSTED);
	step(f);
	assert_int_equal(f->k.shapes, 1);
	assert_int_equal(f->k.last.cursor_dst.x, 58);
	assert_int_equal(f->k.last.cursor_dst.y, 36);
	assert_int_equal(kvmfr_producer_cursor(&f->p, KVMFR_CURSOR_FLAG_POSITION, 30, 20, NULL, 0,
					       0, 0, 0, f->now), LGMP_POSTED);
	step(f);
	assert_false(f->k.last.cursor);
}

static void test_restart(void **state)
{
	struct fx *f = *state;
	struct error err;
	struct kvmfr_wire_rect d = { 0, 0, 1, 1 };
	start(f);
	post(f, W, H, 0, NULL);
	step(f);
	/* The producer dies: after the heartbeat timeout, the waiting screen. */
	f->now += LGMP_HEARTBEAT_MS + 1;
	unsigned presents = f->k.presents;
	step(f);
	assert_int_equal(f->v.state, DSHM_VIEW_WAITING);
	assert_non_null(strstr(f->v.status, "waiting for the guest"));
	assert_true(f->k.presents > presents);
	assert_false(f->k.last.have_frame);
	/* A new VM (new session id): shown again, from a full upload even
	 * though the first frame only claims one damaged pixel. */
	assert_int_equal(kvmfr_producer_init(&f->p, f->mem, REGION, "again", 6, ++f->now, &err), 0);
	step(f);
	assert_int_equal(f->v.state, DSHM_VIEW_SHOWING);
	f->k.uploads = 0;
	memset(f->k.tex, 0, sizeof(f->k.tex));
	post(f, W, H, 1, &d);
	step(f);
	assert_int_equal(f->k.uploads, 1);
	assert_memory_equal(f->k.tex, f->px, sizeof(f->px));
	assert_true(f->k.last.have_frame);
}

static void test_keys(void **state)
{
	struct fx *f = *state;
	f->k.input = DSHM_VIEW_IN_FULLSCREEN | DSHM_VIEW_IN_STATS;
	assert_true(dshm_view_input(&f->v));
	assert_true(f->k.fullscreen && f->v.stats_on);
	f->k.input = DSHM_VIEW_IN_FULLSCREEN | DSHM_VIEW_IN_QUIT;
	assert_false(dshm_view_input(&f->v));
	assert_false(f->k.fullscreen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit),
		cmocka_unit_test_setup_teardown(test_damage_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
