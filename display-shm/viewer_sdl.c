// SPDX-License-Identifier: GPL-2.0-only
/*
 * The viewer's SDL2 back end: one window, a streaming texture for the
 * frame (updated per damaged rect), a small texture for the cursor image.
 * No text rendering (that would need SDL_ttf and a font): the status goes
 * into the window title, --stats prints to stdout.
 */
#include <stdlib.h>

#include <SDL.h>

#include "display-shm/viewer.h"

struct dshm_view_sdl {
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *frame, *cursor;
	bool sdl_up;
};

static int sdl_fail(struct error *err, const char *what)
{
	return err_setf(err, "%s: %s", what, SDL_GetError());
}

static int sdl_frame_setup(void *ctx, uint32_t w, uint32_t h, enum dshm_view_fmt fmt,
			   struct error *err)
{
	struct dshm_view_sdl *s = ctx;
	/* Words 0xAARRGGBB in memory are the bytes B,G,R,A on x86. */
	Uint32 f = fmt == DSHM_VIEW_FMT_RGBA ? SDL_PIXELFORMAT_ABGR8888 : SDL_PIXELFORMAT_ARGB8888;
	if (s->frame)
		SDL_DestroyTexture(s->frame);
	s->frame = SDL_CreateTexture(s->ren, f, SDL_TEXTUREACCESS_STREAMING, (int)w, (int)h);
	if (!s->frame)
		return sdl_fail(err, "cannot create the frame texture");
	/* Desktop alpha is often 0 in captured frames: ignore it. */
	SDL_SetTextureBlendMode(s->frame, SDL_BLENDMODE_NONE);
	return 0;
}

static int sdl_upload(void *ctx, const struct dshm_rect *r, const uint8_t *px, size_t pitch,
		      struct error *err)
{
	struct dshm_view_sdl *s = ctx;
	SDL_Rect sr = { (int)r->x, (int)r->y, (int)r->w, (int)r->h };
	if (SDL_UpdateTexture(s->frame, &sr, px, (int)pitch))
		return sdl_fail(err, "cannot update the frame texture");
	return 0;
}

static int sdl_cursor_shape(void *ctx, const uint32_t *bgra, uint32_t w, uint32_t h,
			    struct error *err)
{
	struct dshm_view_sdl *s = ctx;
	if (s->cursor)
		SDL_DestroyTexture(s->cursor);
	s->cursor = SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STATIC,
				      (int)w, (int)h);
	if (!s->cursor || SDL_UpdateTexture(s->cursor, NULL, bgra, (int)w * 4))
		return sdl_fail(err, "cannot create the cursor texture");
	SDL_SetTextureBlendMode(s->cursor, SDL_BLENDMODE_BLEND);
	return 0;
}

static void sdl_output_size(void *ctx, int *w, int *h)
{
	struct dshm_view_sdl *s = ctx;
	if (SDL_GetRendererOutputSize(s->ren, w, h))
		*w = *h = 0;
}

/* No guest: a dark screen with a bar sweeping across, so a frozen viewer
 * and an idle one look different. */
static void sdl_waiting(struct dshm_view_sdl *s, uint64_t now_ms)
{
	int w = 0, h = 0;
	sdl_output_size(s, &w, &h);
	SDL_SetRenderDrawColor(s->ren, 0x10, 0x18, 0x28, 0xff);
	SDL_RenderClear(s->ren);
	int bw = w / 8 > 0 ? w / 8 : 1;
	SDL_Rect bar = { (int)((now_ms / 4) % (uint64_t)(w + bw)) - bw, h / 2 - 2, bw, 4 };
	SDL_SetRenderDrawColor(s->ren, 0x50, 0x70, 0xa0, 0xff);
	SDL_RenderFillRect(s->ren, &bar);
}

static int sdl_present(void *ctx, const struct dshm_view_scene *sc, struct error *err)
{
	struct dshm_view_sdl *s = ctx;
	if (!sc->have_frame) {
		sdl_waiting(s, sc->now_ms);
	} else {
		SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 0xff);
		SDL_RenderClear(s->ren);
		SDL_Rect d = { sc->dst.x, sc->dst.y, sc->dst.w, sc->dst.h };
		if (SDL_RenderCopy(s->ren, s->frame, NULL, &d))
			return sdl_fail(err, "cannot draw the frame");
		SDL_Rect c = { sc->cursor_dst.x, sc->cursor_dst.y, sc->cursor_dst.w,
			       sc->cursor_dst.h };
		/* Clipped to the frame: the cursor must not draw on the bars. */
		SDL_RenderSetClipRect(s->ren, &d);
		if (sc->cursor && s->cursor && SDL_RenderCopy(s->ren, s->cursor, NULL, &c))
			return sdl_fail(err, "cannot draw the cursor");
		SDL_RenderSetClipRect(s->ren, NULL);
	}
	SDL_RenderPresent(s->ren);
	return 0;
}

static unsigned sdl_key(const SDL_KeyboardEvent *k)
{
	switch (k->keysym.sym) {
	case SDLK_F11:
		return DSHM_VIEW_IN_FULLSCREEN;
	case SDLK_F12:
		return DSHM_VIEW_IN_STATS;
	default:
		return 0;
	}
}

static unsigned sdl_input(void *ctx)
{
	(void)ctx;
	unsigned in = 0;
	SDL_Event e;
	while (SDL_PollEvent(&e)) {
		if (e.type == SDL_QUIT)
			in |= DSHM_VIEW_IN_QUIT;
		else if (e.type == SDL_KEYDOWN && !e.key.repeat)
			in |= sdl_key(&e.key);
		else if (e.type == SDL_WINDOWEVENT)
			in |= DSHM_VIEW_IN_RESIZED;
	}
	return in;
}

static void sdl_set_fullscreen(void *ctx, bool on)
{
	struct dshm_view_sdl *s = ctx;
	SDL_SetWindowFullscreen(s->win, on ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
}

static void sdl_set_title(void *ctx, const char *title)
{
	struct dshm_view_sdl *s = ctx;
	char t[300];
	SDL_snprintf(t, sizeof(t), "passvm view: %s", title);
	SDL_SetWindowTitle(s->win, t);
}

static int sdl_create(struct dshm_view_sdl *s, const struct dshm_view_sdl_opts *o,
		      struct error *err)
{
	if (SDL_Init(SDL_INIT_VIDEO))
		return sdl_fail(err, "cannot start SDL video (is DISPLAY or WAYLAND_DISPLAY set?)");
	s->sdl_up = true;
	/* Scaled frames: linear filtering; at 1:1 it changes no pixel. */
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	Uint32 wf = SDL_WINDOW_RESIZABLE | (o->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
	/* Position 0,0: without a window manager (Xvfb) the window lands
	 * where the tests' screenshots expect it. */
	s->win = SDL_CreateWindow("passvm view", 0, 0, o->width, o->height, wf);
	if (!s->win)
		return sdl_fail(err, "cannot create the window");
	Uint32 rf = o->vsync ? SDL_RENDERER_PRESENTVSYNC : 0;
	s->ren = SDL_CreateRenderer(s->win, -1, rf);
	if (!s->ren)
		return sdl_fail(err, "cannot create a renderer");
	return 0;
}

struct dshm_view_sdl *dshm_view_sdl_open(const struct dshm_view_sdl_opts *o,
					 struct dshm_view_ops *ops, struct error *err)
{
	struct dshm_view_sdl *s = calloc(1, sizeof(*s));
	if (!s) {
		err_setf(err, "out of memory");
		return NULL;
	}
	if (sdl_create(s, o, err)) {
		dshm_view_sdl_close(s);
		return NULL;
	}
	*ops = (struct dshm_view_ops){
		.ctx = s, .frame_setup = sdl_frame_setup, .upload = sdl_upload,
		.cursor_shape = sdl_cursor_shape, .output_size = sdl_output_size,
		.present = sdl_present, .input = sdl_input, .set_fullscreen = sdl_set_fullscreen,
		.set_title = sdl_set_title,
	};
	return s;
}

void dshm_view_sdl_close(struct dshm_view_sdl *s)
{
	if (!s)
		return;
	if (s->frame)
		SDL_DestroyTexture(s->frame);
	if (s->cursor)
		SDL_DestroyTexture(s->cursor);
	if (s->ren)
		SDL_DestroyRenderer(s->ren);
	if (s->win)
		SDL_DestroyWindow(s->win);
	if (s->sdl_up)
		SDL_Quit();
	free(s);
}

void dshm_view_sdl_describe(struct dshm_view_sdl *s, char *buf, size_t len)
{
	SDL_RendererInfo ri = { .name = "?" };
	SDL_GetRendererInfo(s->ren, &ri);
	const char *drv = SDL_GetCurrentVideoDriver();
	SDL_snprintf(buf, len, "%s/%s", drv ? drv : "?", ri.name);
}
