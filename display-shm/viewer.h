/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passvm view: shows the guest's frames from a display-shm region.
 *
 * The core (viewer.c) runs the session, takes frames and cursor updates
 * and decides what to draw; everything that touches a window goes through
 * `struct dshm_view_ops`, so the core runs headless in tests with a fake
 * back end. viewer_sdl.c is the SDL2 back end; the command (file mapping,
 * options, the loop) is app/view.c.
 */
#ifndef PASSVM_DSHM_VIEWER_H
#define PASSVM_DSHM_VIEWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "display-shm/dshm.h"

/* Pixel layouts the back end's frame texture is created with. */
enum dshm_view_fmt {
	DSHM_VIEW_FMT_BGRA,   /* bytes B,G,R,A (KVMFR BGRA; RGBA10/16F converted to it) */
	DSHM_VIEW_FMT_RGBA,   /* bytes R,G,B,A */
};

enum dshm_view_state {
	DSHM_VIEW_WAITING,    /* no producer, or the session was lost */
	DSHM_VIEW_SHOWING,
};

struct dshm_view_rect {
	int32_t x, y, w, h;
};

/* What one present draws. */
struct dshm_view_scene {
	enum dshm_view_state state;
	uint64_t now_ms;                /* animates the waiting screen */
	bool have_frame;
	struct dshm_view_rect dst;      /* the frame inside the output (letterboxed) */
	bool cursor;                    /* draw the cursor image at cursor_dst */
	struct dshm_view_rect cursor_dst;
};

/* Input the back end collected since the last call (bit mask). */
enum {
	DSHM_VIEW_IN_QUIT = 1u << 0,
	DSHM_VIEW_IN_FULLSCREEN = 1u << 1,  /* toggle */
	DSHM_VIEW_IN_STATS = 1u << 2,       /* toggle */
	DSHM_VIEW_IN_RESIZED = 1u << 3,     /* the output size changed: redraw */
};

struct dshm_view_ops {
	void *ctx;
	/* (Re)create the frame texture: a new size or layout. */
	int (*frame_setup)(void *ctx, uint32_t w, uint32_t h, enum dshm_view_fmt fmt,
			   struct error *err);
	/* Copy rect r of the frame from px (row pitch bytes, px = the rect's
	 * first pixel) into the texture. */
	int (*upload)(void *ctx, const struct dshm_rect *r, const uint8_t *px, size_t pitch,
		      struct error *err);
	/* A new cursor image, w*h BGRA words, straight alpha. */
	int (*cursor_shape)(void *ctx, const uint32_t *bgra, uint32_t w, uint32_t h,
			    struct error *err);
	void (*output_size)(void *ctx, int *w, int *h);
	int (*present)(void *ctx, const struct dshm_view_scene *sc, struct error *err);
	unsigned (*input)(void *ctx);
	void (*set_fullscreen)(void *ctx, bool on);
	void (*set_title)(void *ctx, const char *title);
};

/* Counters for --stats; reset by dshm_view_stats_take(). */
struct dshm_view_stats {
	uint64_t since_ms;
	uint32_t frames, presents, rects, skipped;
	uint64_t bytes;
	uint64_t upload_us, upload_max_us;     /* waiting for + copying damaged rects */
	uint64_t latency_us, latency_max_us;   /* frame seen -> its present returned */
};

struct dshm_view {
	const struct dshm_view_ops *ops;
	struct dshm_session s;
	enum dshm_view_state state;
	bool mapped;
	/* The texture the back end holds. */
	bool have_frame;
	uint32_t fw, fh;
	uint32_t ftype;
	bool have_serial;
	uint32_t serial;
	/* Cursor, in frame pixels. */
	bool cur_visible, cur_have_shape;
	int32_t cur_x, cur_y, cur_hx, cur_hy;
	uint32_t cur_w, cur_h;
	uint32_t *shape;                       /* KVMFR_MAX_CURSOR^2 words */
	uint8_t *conv;                         /* one converted row (RGBA10/16F) */
	bool dirty, fullscreen, stats_on;
	uint64_t pending_since_us;             /* first frame not yet presented */
	uint64_t last_present_ms;
	char status[256];                      /* why waiting, or what is shown */
	bool status_changed;
	struct dshm_view_stats st;
};

int dshm_view_init(struct dshm_view *v, const struct dshm_view_ops *ops, struct error *err);
void dshm_view_free(struct dshm_view *v);
/* Point the view at a mapped region (NULL: unmapped); back to waiting. */
void dshm_view_attach(struct dshm_view *v, uint8_t *base, uint64_t size, uint32_t client_id,
		      uint64_t now_ms);
/* Take what the producer posted (session, frames, cursor) and present if
 * anything changed. Returns <0 when the back end failed (err set);
 * protocol trouble only changes the state (and v->status). */
int dshm_view_step(struct dshm_view *v, uint64_t now_ms, struct error *err);
/* Keys: returns false when the user asked to quit. */
bool dshm_view_input(struct dshm_view *v);

/* The largest rect with the frame's aspect ratio centred in the output. */
struct dshm_view_rect dshm_view_fit(int out_w, int out_h, uint32_t fw, uint32_t fh);
/* The counters since the last call, and start new ones. */
struct dshm_view_stats dshm_view_stats_take(struct dshm_view *v, uint64_t now_ms);
uint64_t dshm_view_now_us(void);

/* The SDL2 back end (viewer_sdl.c). A build without libsdl2-dev gets viewer_nosdl.c,
 * whose open() fails saying which package to install. */
struct dshm_view_sdl;
struct dshm_view_sdl_opts {
	int width, height;        /* initial window size */
	bool fullscreen, vsync;
};
struct dshm_view_sdl *dshm_view_sdl_open(const struct dshm_view_sdl_opts *o,
					 struct dshm_view_ops *ops, struct error *err);
void dshm_view_sdl_close(struct dshm_view_sdl *s);
/* "VIDEO-DRIVER/RENDERER", for benchmark reports. */
void dshm_view_sdl_describe(struct dshm_view_sdl *s, char *buf, size_t len);

#endif
