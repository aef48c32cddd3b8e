// SPDX-License-Identifier: GPL-2.0-only
/* KVMFR 20 producer: Looking Glass host application's layout and order. */
#include <stdio.h>
#include <string.h>

#include "display-shm/kvmfr_producer.h"

/* udata: the KVMFR header and an OSINFO record (os 0 = Linux). */
static uint32_t make_udata(uint8_t *buf, const char *hostver)
{
	struct kvmfr_wire_header h = { .version = KVMFR_VERSION };
	memcpy(h.magic, KVMFR_MAGIC, sizeof(h.magic));
	snprintf(h.hostver, sizeof(h.hostver), "%s", hostver);
	static const char os_name[] = "passvm test producer";
	struct kvmfr_wire_record rec = { .type = KVMFR_RECORD_OSINFO, .size = 1 + sizeof(os_name) };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &rec, sizeof(rec));
	buf[sizeof(h) + sizeof(rec)] = 0;
	memcpy(buf + sizeof(h) + sizeof(rec) + 1, os_name, sizeof(os_name));
	return (uint32_t)(sizeof(h) + sizeof(rec) + rec.size);
}

static int alloc_buffers(struct kvmfr_producer *p, struct error *err)
{
	struct lgmp_host *h = &p->host;
	for (unsigned i = 0; i < KVMFR_QUEUE_POINTER_LEN; i++)
		if (lgmp_host_alloc(h, sizeof(struct kvmfr_wire_cursor), 4, &p->cur_off[i], err))
			return -1;
	for (unsigned i = 0; i < KVMFR_PRODUCER_SHAPES; i++)
		if (lgmp_host_alloc(h, KVMFR_PRODUCER_SHAPE_BYTES, 4, &p->shape_off[i], err))
			return -1;
	uint64_t each = ALIGN_DOWN(lgmp_host_avail(h) - KVMFR_PRODUCER_ALIGN, KVMFR_PRODUCER_ALIGN) /
			KVMFR_QUEUE_FRAME_LEN;
	if (each < 2 * KVMFR_PRODUCER_ALIGN)
		return err_setf(err, "shared memory too small for frames");
	p->frame_bytes = (uint32_t)MIN(each, UINT32_MAX & ~(uint64_t)(KVMFR_PRODUCER_ALIGN - 1));
	for (unsigned i = 0; i < KVMFR_QUEUE_FRAME_LEN; i++) {
		if (lgmp_host_alloc(h, p->frame_bytes, KVMFR_PRODUCER_ALIGN, &p->frame_off[i], err))
			return -1;
		struct kvmfr_wire_frame *f = (void *)(h->r.base + p->frame_off[i]);
		memset(f, 0, sizeof(*f));
		/* The frame buffer's pixels start on the next page (LG does this too). */
		f->offset = KVMFR_PRODUCER_ALIGN - sizeof(struct kvmfr_wire_fb);
	}
	return 0;
}

int kvmfr_producer_init(struct kvmfr_producer *p, uint8_t *base, uint64_t size,
			const char *hostver, uint32_t session_id, uint64_t now_ms,
			struct error *err)
{
	uint8_t udata[256];
	*p = (struct kvmfr_producer){ 0 };
	uint32_t usize = make_udata(udata, hostver);
	if (lgmp_host_init(&p->host, base, size, udata, usize, session_id, now_ms, err))
		return -1;
	p->qframe = lgmp_host_queue_new(&p->host, KVMFR_QUEUE_FRAME, KVMFR_QUEUE_FRAME_LEN,
					KVMFR_SUB_TIMEOUT_MS, err);
	p->qcursor = lgmp_host_queue_new(&p->host, KVMFR_QUEUE_POINTER, KVMFR_QUEUE_POINTER_LEN,
					 KVMFR_SUB_TIMEOUT_MS, err);
	if (p->qframe < 0 || p->qcursor < 0 || alloc_buffers(p, err))
		return err_prefix(err, "KVMFR producer");
	return 0;
}

uint64_t kvmfr_producer_frame_capacity(const struct kvmfr_producer *p)
{
	return p->frame_bytes - KVMFR_PRODUCER_ALIGN;
}

static void fill_header(struct kvmfr_producer *p, struct kvmfr_wire_frame *f,
			const struct kvmfr_frame_desc *d)
{
	if (d->width != p->last_w || d->height != p->last_h || d->type != p->last_type)
		p->format_ver++;
	p->last_w = d->width;
	p->last_h = d->height;
	p->last_type = d->type;
	f->format_ver = p->format_ver;
	f->frame_serial = ++p->serial;
	f->type = d->type;
	f->screen_width = f->frame_width = f->data_width = d->width;
	f->screen_height = f->frame_height = f->data_height = d->height;
	f->rotation = 0;
	f->pitch = d->pitch;
	f->stride = d->pitch / (d->type == KVMFR_FRAME_RGBA16F ? 8 : 4);
	f->flags = d->flags;
	f->damage_count = MIN(d->ndamage, KVMFR_MAX_DAMAGE_RECTS);
	if (f->damage_count)
		memcpy(f->damage, d->damage, f->damage_count * sizeof(*d->damage));
}

/* Copy in 1 MiB steps, publishing progress through the write pointer. */
static void write_pixels(struct kvmfr_wire_fb *fb, const uint8_t *src, uint64_t bytes)
{
	for (uint64_t done = 0; done < bytes;) {
		uint64_t n = MIN(bytes - done, MiB);
		memcpy(fb->data + done, src + done, n);
		done += n;
		__atomic_store_n(&fb->wp, (uint32_t)done, __ATOMIC_RELEASE);
	}
}

int kvmfr_producer_frame(struct kvmfr_producer *p, const struct kvmfr_frame_desc *d,
			 uint64_t now_ms, enum lgmp_post *res, struct error *err)
{
	uint64_t bytes = (uint64_t)d->pitch * d->height;
	if (bytes > kvmfr_producer_frame_capacity(p))
		return err_setf(err, "a %ux%u frame needs %llu bytes, buffers hold %llu", d->width,
				d->height, (unsigned long long)bytes,
				(unsigned long long)kvmfr_producer_frame_capacity(p));
	if (lgmp_host_pending(&p->host, (unsigned)p->qframe) >= KVMFR_QUEUE_FRAME_LEN) {
		*res = LGMP_POST_FULL;
		return 0;
	}
	struct kvmfr_wire_frame *f = (void *)(p->host.r.base + p->frame_off[p->frame_idx]);
	/* Our own offset, not the one in shared memory (the reader could change it). */
	f->offset = KVMFR_PRODUCER_ALIGN - sizeof(struct kvmfr_wire_fb);
	struct kvmfr_wire_fb *fb = (void *)((uint8_t *)f + f->offset);
	fill_header(p, f, d);
	__atomic_store_n(&fb->wp, 0, __ATOMIC_RELEASE);
	/* Post first, write after: the consumer overlaps its copy with ours. */
	*res = lgmp_host_post(&p->host, (unsigned)p->qframe, 0, p->frame_off[p->frame_idx],
			      p->frame_bytes, now_ms);
	if (*res != LGMP_POSTED)
		return 0;
	write_pixels(fb, d->pixels, bytes);
	p->frame_idx = (p->frame_idx + 1) % KVMFR_QUEUE_FRAME_LEN;
	return 0;
}

enum lgmp_post kvmfr_producer_cursor(struct kvmfr_producer *p, uint32_t flags, int16_t x,
				     int16_t y, const uint32_t *shape, uint32_t w, uint32_t h,
				     int8_t hx, int8_t hy, uint64_t now_ms)
{
	uint64_t off;
	uint32_t size;
	if (shape && w && h && w <= 512 && h <= 512) {
		off = p->shape_off[p->shape_idx];
		p->shape_idx = (p->shape_idx + 1) % KVMFR_PRODUCER_SHAPES;
		size = (uint32_t)KVMFR_PRODUCER_SHAPE_BYTES;
		flags |= KVMFR_CURSOR_FLAG_SHAPE;
	} else {
		off = p->cur_off[p->cur_idx];
		p->cur_idx = (p->cur_idx + 1) % KVMFR_QUEUE_POINTER_LEN;
		size = sizeof(struct kvmfr_wire_cursor);
		flags &= ~(uint32_t)KVMFR_CURSOR_FLAG_SHAPE;
	}
	struct kvmfr_wire_cursor *c = (void *)(p->host.r.base + off);
	c->x = x;
	c->y = y;
	if (flags & KVMFR_CURSOR_FLAG_SHAPE) {
		c->type = KVMFR_CURSOR_COLOR;
		c->hx = hx;
		c->hy = hy;
		c->width = w;
		c->height = h;
		c->pitch = w * 4;
		memcpy(c + 1, shape, (size_t)w * h * 4);
	}
	return lgmp_host_post(&p->host, (unsigned)p->qcursor, flags, off, size, now_ms);
}
