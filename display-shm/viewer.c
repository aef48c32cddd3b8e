// SPDX-License-Identifier: GPL-2.0-only
/*
 * The viewer's core, without a window system: session state, damaged-rect
 * uploads, the cursor and the letterboxed layout (viewer.h). Everything the
 * guest wrote reaches this file through dshm.h, which has validated it;
 * pixel rows are read straight from the region (a racing guest can only
 * tear its own picture) once the frame's write pointer has passed them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "display-shm/viewer.h"

/* LG's client gives a frame ~10 ms to arrive before it gives up on it. */
#define DSHM_VIEW_WP_TIMEOUT_US 10000u
/* Redraw rate of the waiting screen's animation. */
#define DSHM_VIEW_WAIT_FRAME_MS 100u
/* Messages taken per step, so a flooding guest cannot starve input. */
#define DSHM_VIEW_MAX_MSGS 64

uint64_t dshm_view_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int dshm_view_init(struct dshm_view *v, const struct dshm_view_ops *ops, struct error *err)
{
	*v = (struct dshm_view){ .ops = ops, .state = DSHM_VIEW_WAITING, .dirty = true };
	v->shape = calloc((size_t)KVMFR_MAX_CURSOR * KVMFR_MAX_CURSOR, sizeof(uint32_t));
	v->conv = malloc((size_t)KVMFR_MAX_DIM * 4);
	if (!v->shape || !v->conv) {
		dshm_view_free(v);
		return err_setf(err, "out of memory");
	}
	snprintf(v->status, sizeof(v->status), "waiting for the shared memory");
	v->status_changed = true;
	return 0;
}

void dshm_view_free(struct dshm_view *v)
{
	if (v->mapped)
		dshm_session_close(&v->s);
	free(v->shape);
	free(v->conv);
	v->shape = NULL;
	v->conv = NULL;
}

static void view_status(struct dshm_view *v, const char *fmt, const char *arg)
{
	char s[sizeof(v->status)];
	snprintf(s, sizeof(s), fmt, arg);
	if (strcmp(s, v->status)) {
		memcpy(v->status, s, sizeof(s));
		v->status_changed = true;
		v->ops->set_title(v->ops->ctx, v->status);
	}
}

/* Back to the waiting screen; the next session starts with a full upload. */
static void view_lose(struct dshm_view *v, const char *why)
{
	if (v->state == DSHM_VIEW_SHOWING)
		dshm_session_close(&v->s);
	v->state = DSHM_VIEW_WAITING;
	v->have_serial = false;
	v->cur_visible = false;
	v->pending_since_us = 0;
	v->dirty = true;
	view_status(v, "waiting for the guest: %s", why);
}

void dshm_view_attach(struct dshm_view *v, uint8_t *base, uint64_t size, uint32_t client_id,
		      uint64_t now_ms)
{
	view_lose(v, base ? "no producer yet" : "no shared memory yet");
	v->mapped = base != NULL;
	if (base)
		dshm_session_init(&v->s, base, size, client_id, now_ms);
}

struct dshm_view_rect dshm_view_fit(int out_w, int out_h, uint32_t fw, uint32_t fh)
{
	if (out_w <= 0 || out_h <= 0 || !fw || !fh)
		return (struct dshm_view_rect){ 0, 0, 0, 0 };
	int64_t w = out_w, h = out_h;
	/* Width-limited when out_w/out_h <= fw/fh (cross-multiplied, exact). */
	if (w * fh <= h * fw)
		h = w * fh / fw;
	else
		w = h * fw / fh;
	return (struct dshm_view_rect){ (int32_t)((out_w - w) / 2), (int32_t)((out_h - h) / 2),
					(int32_t)w, (int32_t)h };
}

/* ---- frames -------------------------------------------------------------- */

static bool view_format(uint32_t type, enum dshm_view_fmt *fmt, bool *native)
{
	*native = type == KVMFR_FRAME_BGRA || type == KVMFR_FRAME_RGBA;
	*fmt = type == KVMFR_FRAME_RGBA ? DSHM_VIEW_FMT_RGBA : DSHM_VIEW_FMT_BGRA;
	return *native || type == KVMFR_FRAME_RGBA10 || type == KVMFR_FRAME_RGBA16F;
}

static uint32_t half_to_u8(uint16_t h)
{
	/* scRGB half floats, clamped to [0, 1]: no tone mapping for HDR. */
	if (h & 0x8000u)
		return 0;
	uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
	if (e >= 15)
		return 255;          /* >= 1.0, inf, NaN */
	/* value = (1024 + m) * 2^(e - 25) for normals; denormals are ~0. */
	if (!e)
		return 0;
	return (uint32_t)((((uint64_t)(1024u + m) * 255u) >> (25 - e)) & 0xffu);
}

/* RGBA10 (R in the low bits) and RGBA16F rows to BGRA words. */
static void view_convert_row(uint32_t type, const uint8_t *src, uint32_t n, uint32_t *dst)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r, g, b;
		if (type == KVMFR_FRAME_RGBA10) {
			uint32_t w;
			memcpy(&w, src + (size_t)i * 4, 4);
			r = (w & 0x3ffu) >> 2;
			g = ((w >> 10) & 0x3ffu) >> 2;
			b = ((w >> 20) & 0x3ffu) >> 2;
		} else {
			uint16_t h[3];
			memcpy(h, src + (size_t)i * 8, sizeof(h));
			r = half_to_u8(h[0]);
			g = half_to_u8(h[1]);
			b = half_to_u8(h[2]);
		}
		dst[i] = 0xff000000u | r << 16 | g << 8 | b;
	}
}

static int view_upload_rows(struct dshm_view *v, const struct dshm_frame *f,
			    const struct dshm_rect *r, bool native, struct error *err)
{
	const uint8_t *src = v->s.r.base + f->data_off + (uint64_t)r->y * f->pitch +
			     (uint64_t)r->x * f->bpp;
	if (native)
		return v->ops->upload(v->ops->ctx, r, src, f->pitch, err);
	for (uint32_t y = 0; y < r->h; y++) {
		struct dshm_rect row = { r->x, r->y + y, r->w, 1 };
		view_convert_row(f->type, src + (size_t)y * f->pitch, r->w, (uint32_t *)v->conv);
		if (v->ops->upload(v->ops->ctx, &row, v->conv, (size_t)r->w * 4, err))
			return -1;
	}
	return 0;
}

/* One damaged rect, in slices of ~1 MiB as the producer's write pointer
 * passes them, so the upload overlaps the guest still writing the frame. */
static int view_upload_rect(struct dshm_view *v, const struct dshm_frame *f, struct dshm_rect r,
			    bool native, struct error *err)
{
	uint32_t cols = MIN(f->cols, f->width), rows = MIN(f->rows, f->height);
	if (r.x >= cols || r.y >= rows)
		return 0;
	r.w = MIN(r.w, cols - r.x);
	r.h = MIN(r.h, rows - r.y);
	uint32_t chunk = (uint32_t)MAX(1u, MiB / f->pitch);
	for (uint32_t y = r.y; y < r.y + r.h; y += chunk) {
		struct dshm_rect s = { r.x, y, r.w, MIN(chunk, r.y + r.h - y) };
		uint64_t need = (uint64_t)(s.y + s.h - 1) * f->pitch + (uint64_t)(s.x + s.w) * f->bpp;
		if (kvmfr_frame_wait(&v->s.r, f, need, DSHM_VIEW_WP_TIMEOUT_US, err) ||
		    view_upload_rows(v, f, &s, native, err))
			return -1;
		v->st.bytes += (uint64_t)s.w * s.h * f->bpp;
	}
	v->st.rects++;
	return 0;
}

/* A new size or layout recreates the texture; a gap in the serials (or a
 * new session) means the damage rects do not cover what changed. */
static int view_take_frame(struct dshm_view *v, const struct dshm_frame *f, struct error *err)
{
	enum dshm_view_fmt fmt;
	bool native;
	if (!view_format(f->type, &fmt, &native))
		return err_setf(err, "frame type %s is not supported by the viewer",
				kvmfr_frame_type_name(f->type));
	bool full = !v->have_serial || f->serial != v->serial + 1 || !f->ndamage;
	if (!v->have_frame || f->width != v->fw || f->height != v->fh || f->type != v->ftype) {
		if (v->ops->frame_setup(v->ops->ctx, f->width, f->height, fmt, err))
			return -2;
		v->have_frame = true;
		v->fw = f->width;
		v->fh = f->height;
		v->ftype = f->type;
		full = true;
	}
	struct dshm_rect whole = { 0, 0, f->width, f->height };
	const struct dshm_rect *rects = full ? &whole : f->damage;
	uint32_t n = full ? 1 : f->ndamage;
	/* A failed upload leaves the texture partly old: the next is full. */
	v->have_serial = false;
	for (uint32_t i = 0; i < n; i++)
		if (view_upload_rect(v, f, rects[i], native, err))
			return -1;
	v->have_serial = true;
	v->serial = f->serial;
	return 0;
}

/* Returns <0 only for back-end failures; a bad frame is counted and dropped. */
static int view_frames(struct dshm_view *v, uint64_t now_ms, struct error *err)
{
	for (int i = 0; i < DSHM_VIEW_MAX_MSGS && v->state == DSHM_VIEW_SHOWING; i++) {
		struct dshm_frame f;
		struct error why = { "" };
		enum dshm_status st = dshm_next_frame(&v->s, now_ms, &f, &why);
		if (st == DSHM_EMPTY)
			return 0;
		if (st == DSHM_SKIPPED) {
			v->st.skipped++;
			continue;
		}
		if (st != DSHM_OK) {
			view_lose(v, why.msg);
			return 0;
		}
		uint64_t t0 = dshm_view_now_us();
		int r = view_take_frame(v, &f, &why);
		dshm_frame_done(&v->s);
		if (r == -2)
			return err_setf(err, "%s", why.msg);
		uint64_t dt = dshm_view_now_us() - t0;
		v->st.upload_us += dt;
		v->st.upload_max_us = MAX(v->st.upload_max_us, dt);
		if (r) {
			v->st.skipped++;
			log_debug("view: frame %u dropped: %s", f.serial, why.msg);
			continue;
		}
		v->st.frames++;
		if (!v->pending_since_us)
			v->pending_since_us = t0;
		v->dirty = true;
	}
	return 0;
}

/* ---- cursor -------------------------------------------------------------- */

static int view_apply_cursor(struct dshm_view *v, const struct dshm_cursor *c, struct error *err)
{
	if (c->flags & KVMFR_CURSOR_FLAG_POSITION) {
		v->cur_x = c->x;
		v->cur_y = c->y;
	}
	/* LG's host sets VISIBLE on every message while the cursor shows. */
	v->cur_visible = c->flags & KVMFR_CURSOR_FLAG_VISIBLE;
	if (c->shape) {
		if (v->ops->cursor_shape(v->ops->ctx, v->shape, c->width, c->height, err))
			return -1;
		v->cur_have_shape = true;
		v->cur_hx = c->hx;
		v->cur_hy = c->hy;
		v->cur_w = c->width;
		v->cur_h = c->height;
	}
	v->dirty = true;
	return 0;
}

static int view_cursor(struct dshm_view *v, uint64_t now_ms, struct error *err)
{
	for (int i = 0; i < DSHM_VIEW_MAX_MSGS && v->state == DSHM_VIEW_SHOWING; i++) {
		struct dshm_cursor c;
		struct error why = { "" };
		enum dshm_status st = dshm_next_cursor(&v->s, now_ms, &c, v->shape, &why);
		if (st == DSHM_EMPTY)
			return 0;
		if (st == DSHM_SKIPPED) {
			v->st.skipped++;
			continue;
		}
		if (st != DSHM_OK) {
			view_lose(v, why.msg);
			return 0;
		}
		if (view_apply_cursor(v, &c, err))
			return -1;
	}
	return 0;
}

/* ---- the loop's step ----------------------------------------------------- */

static void view_open(struct dshm_view *v, uint64_t now_ms)
{
	struct error why = { "" };
	enum dshm_status st = dshm_session_open(&v->s, now_ms, &why);
	if (st != DSHM_OK) {
		/* FATAL (another protocol version) keeps polling: the guest's
		 * producer may be replaced while we wait. */
		view_status(v, "waiting for the guest: %s", why.msg);
		return;
	}
	v->state = DSHM_VIEW_SHOWING;
	v->have_serial = false;
	v->dirty = true;
	view_status(v, "showing the guest (producer: %s)", v->s.info.hostver);
}

static int64_t view_scale(int64_t a, int64_t num, int64_t den)
{
	return den ? a * num / den : 0;
}

static struct dshm_view_scene view_scene(const struct dshm_view *v, uint64_t now_ms)
{
	struct dshm_view_scene sc = { .state = v->state, .now_ms = now_ms };
	int ow = 0, oh = 0;
	v->ops->output_size(v->ops->ctx, &ow, &oh);
	sc.have_frame = v->state == DSHM_VIEW_SHOWING && v->have_frame;
	if (!sc.have_frame)
		return sc;
	sc.dst = dshm_view_fit(ow, oh, v->fw, v->fh);
	sc.cursor = v->cur_visible && v->cur_have_shape;
	/* The hotspot sits on the position; scaled like the frame. */
	sc.cursor_dst = (struct dshm_view_rect){
		(int32_t)(sc.dst.x + view_scale(v->cur_x - v->cur_hx, sc.dst.w, v->fw)),
		(int32_t)(sc.dst.y + view_scale(v->cur_y - v->cur_hy, sc.dst.h, v->fh)),
		(int32_t)MAX(1, view_scale(v->cur_w, sc.dst.w, v->fw)),
		(int32_t)MAX(1, view_scale(v->cur_h, sc.dst.h, v->fh)),
	};
	return sc;
}

static int view_present(struct dshm_view *v, uint64_t now_ms, struct error *err)
{
	struct dshm_view_scene sc = view_scene(v, now_ms);
	if (v->ops->present(v->ops->ctx, &sc, err))
		return -1;
	v->dirty = false;
	v->last_present_ms = now_ms;
	v->st.presents++;
	if (v->pending_since_us) {
		uint64_t lat = dshm_view_now_us() - v->pending_since_us;
		v->st.latency_us += lat;
		v->st.latency_max_us = MAX(v->st.latency_max_us, lat);
		v->pending_since_us = 0;
	}
	return 0;
}

int dshm_view_step(struct dshm_view *v, uint64_t now_ms, struct error *err)
{
	if (!v->st.since_ms)
		v->st.since_ms = now_ms;
	if (v->mapped && v->state == DSHM_VIEW_WAITING)
		view_open(v, now_ms);
	if (v->mapped && (view_frames(v, now_ms, err) || view_cursor(v, now_ms, err)))
		return -1;
	bool animate = v->state == DSHM_VIEW_WAITING &&
		       now_ms - v->last_present_ms >= DSHM_VIEW_WAIT_FRAME_MS;
	if (!v->dirty && !animate)
		return 0;
	return view_present(v, now_ms, err);
}

bool dshm_view_input(struct dshm_view *v)
{
	unsigned in = v->ops->input(v->ops->ctx);
	if (in & DSHM_VIEW_IN_FULLSCREEN) {
		v->fullscreen = !v->fullscreen;
		v->ops->set_fullscreen(v->ops->ctx, v->fullscreen);
		v->dirty = true;
	}
	if (in & DSHM_VIEW_IN_STATS)
		v->stats_on = !v->stats_on;
	if (in & DSHM_VIEW_IN_RESIZED)
		v->dirty = true;
	return !(in & DSHM_VIEW_IN_QUIT);
}

struct dshm_view_stats dshm_view_stats_take(struct dshm_view *v, uint64_t now_ms)
{
	struct dshm_view_stats s = v->st;
	v->st = (struct dshm_view_stats){ .since_ms = now_ms };
	return s;
}
