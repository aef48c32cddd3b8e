// SPDX-License-Identifier: GPL-2.0-only
/*
 * display-shm consumer session and the Looking Glass B7 protocol entry
 * (LGMP 6 + KVMFR 20). Maps LGMP statuses onto the viewer's few cases.
 */
#include <time.h>

#include "display-shm/dshm.h"
#include "display-shm/lgmp_wire.h"

uint64_t dshm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static enum dshm_status from_lgmp(enum lgmp_status st)
{
	switch (st) {
	case LGMP_OK:
		return DSHM_OK;
	case LGMP_EMPTY:
		return DSHM_EMPTY;
	case LGMP_NO_HOST:
	case LGMP_BUSY:
		return DSHM_WAITING;
	case LGMP_BAD:
		/* A corrupt control structure: resynchronise from a new session. */
	case LGMP_SESSION_LOST:
	case LGMP_RESUBSCRIBE:
		return DSHM_LOST;
	}
	return DSHM_LOST;
}

static bool lg_probe(const struct dshm_region *r)
{
	return dshm_in(r, 0, LGMP_HEADER_SIZE) && dshm_ld32(r, 0) == LGMP_MAGIC &&
	       dshm_ld32(r, 4) == LGMP_VERSION;
}

static void lg_close(struct dshm_session *s)
{
	if (s->frame_held)
		lgmp_client_done(&s->frames, NULL);
	s->frame_held = false;
	lgmp_client_unsubscribe(&s->frames);
	lgmp_client_unsubscribe(&s->cursor);
	s->lgmp.open = false;
}

static enum dshm_status lg_open(struct dshm_session *s, uint64_t now_ms, struct error *err)
{
	enum lgmp_status st = lgmp_client_session(&s->lgmp, now_ms, err);
	if (st)
		return st == LGMP_BAD ? DSHM_WAITING : from_lgmp(st);
	if (kvmfr_parse_udata(&s->r, lgmp_client_udata_offset(&s->lgmp), s->lgmp.udata_size,
			      &s->info, err)) {
		s->lgmp.open = false;
		/* Another version's magic: tell the user; garbage: keep waiting. */
		return s->info.version ? DSHM_FATAL : DSHM_WAITING;
	}
	st = lgmp_client_subscribe(&s->lgmp, KVMFR_QUEUE_FRAME, &s->frames, err);
	if (!st)
		st = lgmp_client_subscribe(&s->lgmp, KVMFR_QUEUE_POINTER, &s->cursor, err);
	if (st) {
		lg_close(s);
		return DSHM_WAITING;
	}
	s->have_serial = false;
	return DSHM_OK;
}

/* Resubscribe in place when the host dropped us for being slow. */
static enum dshm_status lg_recover(struct dshm_session *s, struct lgmp_client_queue *q,
				   uint32_t queue_id, enum lgmp_status st, struct error *err)
{
	if (st != LGMP_RESUBSCRIBE)
		return from_lgmp(st);
	return lgmp_client_subscribe(&s->lgmp, queue_id, q, err) ? DSHM_LOST : DSHM_EMPTY;
}

static enum dshm_status lg_next_frame(struct dshm_session *s, uint64_t now_ms,
				      struct dshm_frame *f, struct error *err)
{
	for (;;) {
		struct lgmp_msg m;
		if (s->frame_held)
			return err_setf(err, "previous frame not released"), DSHM_SKIPPED;
		if (!lgmp_client_session_valid(&s->lgmp, now_ms))
			return err_setf(err, "the producer stopped"), DSHM_LOST;
		enum lgmp_status st = lgmp_client_peek(&s->frames, now_ms, &m, err);
		if (st)
			return lg_recover(s, &s->frames, KVMFR_QUEUE_FRAME, st, err);
		if (kvmfr_parse_frame(&s->r, &m, f, err)) {
			lgmp_client_done(&s->frames, NULL);
			return DSHM_SKIPPED;
		}
		/* New subscribers get the last frame again; skip true repeats. */
		if (s->have_serial && f->serial == s->last_serial) {
			lgmp_client_done(&s->frames, NULL);
			continue;
		}
		s->have_serial = true;
		s->last_serial = f->serial;
		s->frame_held = true;
		return DSHM_OK;
	}
}

static void lg_frame_done(struct dshm_session *s)
{
	if (s->frame_held)
		lgmp_client_done(&s->frames, NULL);
	s->frame_held = false;
}

static enum dshm_status lg_next_cursor(struct dshm_session *s, uint64_t now_ms,
				       struct dshm_cursor *c, uint32_t *shape, struct error *err)
{
	struct lgmp_msg m;
	enum lgmp_status st = lgmp_client_peek(&s->cursor, now_ms, &m, err);
	if (st)
		return lg_recover(s, &s->cursor, KVMFR_QUEUE_POINTER, st, err);
	int bad = kvmfr_parse_cursor(&s->r, &m, c, err);
	if (!bad && c->shape && shape)
		bad = kvmfr_cursor_bgra(&s->r, c, shape, err);
	lgmp_client_done(&s->cursor, NULL);
	return bad ? DSHM_SKIPPED : DSHM_OK;
}

const struct dshm_proto dshm_proto_lg_b7 = {
	.name = "Looking Glass B7 (LGMP 6, KVMFR 20)",
	.probe = lg_probe,
	.open = lg_open,
	.next_frame = lg_next_frame,
	.frame_done = lg_frame_done,
	.next_cursor = lg_next_cursor,
	.close = lg_close,
};

/* Newest first; PROTOCOL.md: "Adding a later Looking Glass release". */
static const struct dshm_proto *const dshm_protos[] = { &dshm_proto_lg_b7 };

void dshm_session_init(struct dshm_session *s, uint8_t *base, uint64_t size, uint32_t client_id,
		       uint64_t now_ms)
{
	*s = (struct dshm_session){ .r = { base, size }, .client_id = client_id };
	lgmp_client_init(&s->lgmp, base, size, client_id, now_ms);
}

enum dshm_status dshm_session_open(struct dshm_session *s, uint64_t now_ms, struct error *err)
{
	if (s->proto)
		s->proto->close(s);
	s->proto = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(dshm_protos); i++) {
		if (dshm_protos[i]->probe(&s->r)) {
			s->proto = dshm_protos[i];
			enum dshm_status st = s->proto->open(s, now_ms, err);
			if (st)
				s->proto = NULL;
			return st;
		}
	}
	if (dshm_in(&s->r, 0, 8) && dshm_ld32(&s->r, 0) == LGMP_MAGIC)
		return err_setf(err, "LGMP version %u in the shared memory; passvm speaks %u "
				"(Looking Glass B7)", dshm_ld32(&s->r, 4), LGMP_VERSION), DSHM_FATAL;
	return err_setf(err, "no producer in the shared memory yet"), DSHM_WAITING;
}

enum dshm_status dshm_next_frame(struct dshm_session *s, uint64_t now_ms, struct dshm_frame *f,
				 struct error *err)
{
	if (!s->proto)
		return err_setf(err, "no session"), DSHM_LOST;
	return s->proto->next_frame(s, now_ms, f, err);
}

void dshm_frame_done(struct dshm_session *s)
{
	if (s->proto)
		s->proto->frame_done(s);
}

enum dshm_status dshm_next_cursor(struct dshm_session *s, uint64_t now_ms,
				  struct dshm_cursor *c, uint32_t *shape, struct error *err)
{
	if (!s->proto)
		return err_setf(err, "no session"), DSHM_LOST;
	return s->proto->next_cursor(s, now_ms, c, shape, err);
}

void dshm_session_close(struct dshm_session *s)
{
	if (s->proto)
		s->proto->close(s);
	s->proto = NULL;
}
