// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVMFR 20 parsing, written from PROTOCOL.md. Each message header is copied
 * out of shared memory once and only the copy is checked and used: the
 * guest rewriting it afterwards cannot change what was validated.
 */
#include <sched.h>
#include <time.h>

#include "display-shm/kvmfr.h"

const char *kvmfr_frame_type_name(uint32_t type)
{
	static const char *const names[] = {
		"invalid", "BGRA", "RGBA", "RGBA10", "RGBA16F", "BGR_32", "RGB_24",
	};
	return type < ARRAY_SIZE(names) ? names[type] : "unknown";
}

/* ---- user data ----------------------------------------------------------- */

static void copy_cstr(char *dst, size_t cap, const uint8_t *src, size_t len)
{
	size_t n = 0;
	while (n < len && n + 1 < cap && src[n]) {
		/* Printable ASCII only: this ends up in logs and window titles. */
		dst[n] = src[n] >= 0x20 && src[n] < 0x7f ? (char)src[n] : '?';
		n++;
	}
	dst[n] = '\0';
}

static void parse_record(const struct dshm_region *r, uint64_t off, const struct kvmfr_wire_record *rec,
			 struct kvmfr_info *info)
{
	uint8_t buf[128];
	if (rec->type != KVMFR_RECORD_OSINFO || rec->size < 1)
		return; /* VMINFO and unknown types: nothing we use */
	uint32_t n = MIN(rec->size, (uint32_t)sizeof(buf));
	if (!dshm_read(r, off, buf, n))
		return;
	info->os = buf[0];
	copy_cstr(info->os_name, sizeof(info->os_name), buf + 1, n - 1);
}

int kvmfr_parse_udata(const struct dshm_region *r, uint64_t off, uint32_t size,
		      struct kvmfr_info *info, struct error *err)
{
	struct kvmfr_wire_header h;
	*info = (struct kvmfr_info){ .os = -1 };
	if (size < sizeof(h) || !dshm_read(r, off, &h, sizeof(h)))
		return err_setf(err, "LGMP user data of %u bytes holds no KVMFR header", size);
	if (memcmp(h.magic, KVMFR_MAGIC, sizeof(h.magic)))
		return err_setf(err, "the LGMP host is not a Looking Glass host (no KVMFR magic)");
	copy_cstr(info->hostver, sizeof(info->hostver), (const uint8_t *)h.hostver,
		  sizeof(h.hostver));
	info->version = h.version;
	info->features = h.features;
	if (h.version != KVMFR_VERSION)
		return err_setf(err, "Looking Glass host %s speaks KVMFR %u; passvm speaks %u "
				"(Looking Glass B7): install the B7 host application in the guest",
				info->hostver, h.version, KVMFR_VERSION);
	uint64_t p = off + sizeof(h), left = size - sizeof(h);
	while (left >= sizeof(struct kvmfr_wire_record)) {
		struct kvmfr_wire_record rec;
		if (!dshm_read(r, p, &rec, sizeof(rec)))
			break;
		p += sizeof(rec);
		left -= sizeof(rec);
		if (rec.size > left)
			break; /* upstream stops parsing here too; the header is fine */
		parse_record(r, p, &rec, info);
		p += rec.size;
		left -= rec.size;
	}
	return 0;
}

/* ---- frames -------------------------------------------------------------- */

static int frame_bpp(uint32_t type)
{
	switch (type) {
	case KVMFR_FRAME_BGRA:
	case KVMFR_FRAME_RGBA:
	case KVMFR_FRAME_RGBA10:
		return 4;
	case KVMFR_FRAME_RGBA16F:
		return 8;
	default:
		return -1;
	}
}

static bool dim_ok(uint32_t v)
{
	return v >= 1 && v <= KVMFR_MAX_DIM;
}

/* Clip the rects to the picture; empty ones are dropped. */
static void clip_damage(const struct kvmfr_wire_frame *w, struct dshm_frame *f)
{
	f->ndamage = 0;
	for (uint32_t i = 0; i < w->damage_count; i++) {
		const struct kvmfr_wire_rect *d = &w->damage[i];
		if (d->x >= f->width || d->y >= f->height || !d->width || !d->height)
			continue;
		struct dshm_rect *o = &f->damage[f->ndamage++];
		*o = (struct dshm_rect){ d->x, d->y, MIN(d->width, f->width - d->x),
					 MIN(d->height, f->height - d->y) };
	}
}

static int frame_geometry(const struct kvmfr_wire_frame *w, struct dshm_frame *f,
			  struct error *err)
{
	int bpp = frame_bpp(w->type);
	if (bpp < 0)
		return err_setf(err, "frame type %u (%s) is not supported (BGRA, RGBA, RGBA10, "
				"RGBA16F are)", w->type, kvmfr_frame_type_name(w->type));
	if (!dim_ok(w->frame_width) || !dim_ok(w->frame_height) || !dim_ok(w->data_width) ||
	    !dim_ok(w->data_height))
		return err_setf(err, "frame %ux%u (buffer %ux%u) outside 1..%u", w->frame_width,
				w->frame_height, w->data_width, w->data_height, KVMFR_MAX_DIM);
	if ((uint64_t)w->data_width * (unsigned)bpp > w->pitch)
		return err_setf(err, "frame pitch %u < %u pixels of %d bytes", w->pitch,
				w->data_width, bpp);
	if (w->damage_count > KVMFR_MAX_DAMAGE_RECTS)
		return err_setf(err, "%u damage rects (at most %u)", w->damage_count,
				KVMFR_MAX_DAMAGE_RECTS);
	f->bpp = (uint32_t)bpp;
	f->width = w->frame_width;
	f->height = w->frame_height;
	f->cols = MIN(w->data_width, w->frame_width);
	f->rows = MIN(w->data_height, w->frame_height);
	f->pitch = w->pitch;
	return 0;
}

int kvmfr_parse_frame(const struct dshm_region *r, const struct lgmp_msg *m,
		      struct dshm_frame *f, struct error *err)
{
	struct kvmfr_wire_frame w;
	if (m->size < sizeof(w) || !dshm_read(r, m->offset, &w, sizeof(w)))
		return err_setf(err, "frame message of %u bytes is smaller than a KVMFR frame",
				m->size);
	*f = (struct dshm_frame){ .serial = w.frame_serial, .format_ver = w.format_ver,
				  .type = w.type, .flags = w.flags,
				  .rotation = w.rotation <= 3 ? w.rotation : 0,
				  .screen_width = w.screen_width, .screen_height = w.screen_height };
	if (frame_geometry(&w, f, err))
		return -1;
	/* Buffer: 4-byte write pointer, then rows*pitch bytes, inside the message. */
	uint64_t need = (uint64_t)w.offset + sizeof(struct kvmfr_wire_fb) +
			(uint64_t)f->rows * f->pitch;
	uint64_t wp = (uint64_t)m->offset + w.offset;
	if (need > m->size || (wp & 3) || !dshm_in(r, wp, need - w.offset))
		return err_setf(err, "frame buffer at +%u with %u rows of %u bytes does not fit "
				"the %u-byte message", w.offset, f->rows, f->pitch, m->size);
	f->wp_off = wp;
	f->data_off = wp + sizeof(struct kvmfr_wire_fb);
	clip_damage(&w, f);
	return 0;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int kvmfr_frame_wait(const struct dshm_region *r, const struct dshm_frame *f, uint64_t bytes,
		     unsigned timeout_us, struct error *err)
{
	if (dshm_ld32(r, f->wp_off) >= bytes)
		return 0;
	uint64_t deadline = mono_us() + timeout_us;
	while (dshm_ld32(r, f->wp_off) < bytes) {
		if (mono_us() >= deadline)
			return err_setf(err, "frame %u: the guest wrote %u of %llu bytes within %u us",
					f->serial, dshm_ld32(r, f->wp_off),
					(unsigned long long)bytes, timeout_us);
		sched_yield();
	}
	return 0;
}

/* Rows are copied in ~1 MiB chunks as the producer's write pointer passes
 * them, so copying overlaps with the guest still writing the frame. */
int kvmfr_frame_copy_rows(const struct dshm_region *r, const struct dshm_frame *f, uint32_t y0,
			  uint32_t n, uint8_t *dst, size_t dst_pitch, unsigned timeout_us,
			  struct error *err)
{
	if (y0 > f->rows || n > f->rows - y0)
		return err_setf(err, "rows %u+%u outside the frame's %u", y0, n, f->rows);
	size_t row = (size_t)f->cols * f->bpp;
	uint32_t chunk = (uint32_t)MAX(1u, (uint32_t)(MiB / f->pitch));
	for (uint32_t y = y0; y < y0 + n;) {
		uint32_t end = MIN(y0 + n, y + chunk);
		if (kvmfr_frame_wait(r, f, (uint64_t)(end - 1) * f->pitch + row, timeout_us, err))
			return -1;
		for (; y < end; y++)
			memcpy(dst + (size_t)(y - y0) * dst_pitch,
			       r->base + f->data_off + (uint64_t)y * f->pitch, row);
	}
	return 0;
}

/* ---- cursor -------------------------------------------------------------- */

static int cursor_shape(const struct kvmfr_wire_cursor *w, const struct lgmp_msg *m,
			struct dshm_cursor *c, struct error *err)
{
	bool mono = w->type == KVMFR_CURSOR_MONOCHROME;
	if (w->type > KVMFR_CURSOR_MASKED_COLOR)
		return err_setf(err, "cursor type %u unknown", w->type);
	uint32_t max_rows = mono ? 2 * KVMFR_MAX_CURSOR : KVMFR_MAX_CURSOR;
	if (!w->width || w->width > KVMFR_MAX_CURSOR || !w->height || w->height > max_rows ||
	    (mono && (w->height & 1)))
		return err_setf(err, "cursor shape %ux%u (type %u) outside 1..%u", w->width,
				w->height, w->type, KVMFR_MAX_CURSOR);
	uint32_t row = mono ? (w->width + 7) / 8 : w->width * 4;
	uint64_t bytes = (uint64_t)w->height * w->pitch;
	if (w->pitch < row || w->pitch > 4 * KVMFR_MAX_CURSOR ||
	    bytes > m->size - sizeof(*w))
		return err_setf(err, "cursor shape of %u rows of %u bytes (pitch %u) does not fit "
				"the %u-byte message", w->height, row, w->pitch, m->size);
	c->shape = true;
	c->type = w->type;
	c->hx = w->hx;
	c->hy = w->hy;
	c->width = w->width;
	c->height = mono ? w->height / 2 : w->height;
	c->pitch = w->pitch;
	c->shape_off = (uint64_t)m->offset + sizeof(*w);
	c->shape_bytes = (uint32_t)bytes;
	return 0;
}

int kvmfr_parse_cursor(const struct dshm_region *r, const struct lgmp_msg *m,
		       struct dshm_cursor *c, struct error *err)
{
	struct kvmfr_wire_cursor w;
	*c = (struct dshm_cursor){ 0 };
	if (m->size < sizeof(w) || !dshm_read(r, m->offset, &w, sizeof(w)))
		return err_setf(err, "cursor message of %u bytes is smaller than a KVMFR cursor",
				m->size);
	c->flags = m->udata & (KVMFR_CURSOR_FLAG_POSITION | KVMFR_CURSOR_FLAG_VISIBLE |
			       KVMFR_CURSOR_FLAG_SHAPE);
	c->x = w.x;
	c->y = w.y;
	if (c->flags & KVMFR_CURSOR_FLAG_SHAPE)
		return cursor_shape(&w, m, c, err);
	return 0;
}

/* Monochrome (Windows rules): AND 1 XOR 0 transparent, AND 0 XOR 0 black,
 * AND 0 XOR 1 white, AND 1 XOR 1 inverts the screen (drawn black here). */
static uint32_t mono_pixel(bool and_bit, bool xor_bit)
{
	if (and_bit && !xor_bit)
		return 0;
	return xor_bit && !and_bit ? 0xffffffffu : 0xff000000u;
}

static void convert_row(const struct dshm_cursor *c, const uint8_t *a, const uint8_t *x,
			uint32_t *dst)
{
	for (uint32_t i = 0; i < c->width; i++) {
		if (c->type == KVMFR_CURSOR_MONOCHROME) {
			uint8_t mask = (uint8_t)(0x80u >> (i & 7));
			dst[i] = mono_pixel(a[i / 8] & mask, x[i / 8] & mask);
			continue;
		}
		uint32_t px;
		memcpy(&px, a + 4 * i, 4);
		/* Masked color: alpha 0 is an opaque pixel; alpha != 0 XORs the
		 * screen with the color: black XOR is a no-op (transparent), any
		 * other is shown opaque (SDL cannot XOR). */
		if (c->type == KVMFR_CURSOR_MASKED_COLOR)
			px = (px & 0xff000000u) && !(px & 0xffffffu) ? 0 : px | 0xff000000u;
		dst[i] = px;
	}
}

int kvmfr_cursor_bgra(const struct dshm_region *r, const struct dshm_cursor *c, uint32_t *dst,
		      struct error *err)
{
	uint8_t a[4 * KVMFR_MAX_CURSOR], x[4 * KVMFR_MAX_CURSOR];
	if (!c->shape || !dshm_in(r, c->shape_off, c->shape_bytes) || c->pitch > sizeof(a))
		return err_setf(err, "no valid cursor shape");
	uint64_t xor_off = c->type == KVMFR_CURSOR_MONOCHROME ? (uint64_t)c->height * c->pitch : 0;
	for (uint32_t y = 0; y < c->height; y++) {
		uint64_t off = c->shape_off + (uint64_t)y * c->pitch;
		/* Private copies of the rows: the guest may rewrite them meanwhile. */
		if (!dshm_read(r, off, a, c->pitch) || !dshm_read(r, off + xor_off, x, c->pitch))
			return err_setf(err, "cursor shape outside the region");
		convert_row(c, a, x, dst + (size_t)y * c->width);
	}
	return 0;
}
