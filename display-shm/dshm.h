/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * display-shm consumer: one session on a shared-memory region, speaking
 * whichever protocol version the guest's producer uses. Each supported
 * version is a `struct dshm_proto` (today: Looking Glass B7 = LGMP 6 +
 * KVMFR 20); PROTOCOL.md says how a later one is added beside it.
 *
 * Use: dshm_session_init(); loop { dshm_session_open() until DSHM_OK;
 * dshm_next_frame()/dshm_frame_copy_rows()/dshm_frame_done(),
 * dshm_next_cursor(); DSHM_LOST -> open again }.
 */
#ifndef PASSVM_DSHM_H
#define PASSVM_DSHM_H

#include "display-shm/kvmfr.h"
#include "display-shm/lgmp_client.h"

enum dshm_status {
	DSHM_OK = 0,
	DSHM_EMPTY,      /* nothing new */
	DSHM_WAITING,    /* no producer (yet): keep calling open */
	DSHM_LOST,       /* the producer restarted or stopped: call open again */
	DSHM_SKIPPED,    /* a message failed validation and was dropped (err says why) */
	DSHM_FATAL,      /* an incompatible producer (version): err says what to do */
};

struct dshm_session;

struct dshm_proto {
	const char *name;
	/* The region's header is this protocol's (magic + version). */
	bool (*probe)(const struct dshm_region *r);
	enum dshm_status (*open)(struct dshm_session *s, uint64_t now_ms, struct error *err);
	enum dshm_status (*next_frame)(struct dshm_session *s, uint64_t now_ms,
				       struct dshm_frame *f, struct error *err);
	void (*frame_done)(struct dshm_session *s);
	enum dshm_status (*next_cursor)(struct dshm_session *s, uint64_t now_ms,
					struct dshm_cursor *c, uint32_t *shape, struct error *err);
	void (*close)(struct dshm_session *s);
};

extern const struct dshm_proto dshm_proto_lg_b7;

struct dshm_session {
	struct dshm_region r;
	const struct dshm_proto *proto;
	uint32_t client_id;
	/* Looking Glass B7 state */
	struct lgmp_client lgmp;
	struct lgmp_client_queue frames, cursor;
	struct kvmfr_info info;
	bool frame_held;         /* a frame message awaits dshm_frame_done */
	bool have_serial;
	uint32_t last_serial;
};

/* The producer's first session starts only once its heartbeat moves after this. */
void dshm_session_init(struct dshm_session *s, uint8_t *base, uint64_t size, uint32_t client_id,
		       uint64_t now_ms);
enum dshm_status dshm_session_open(struct dshm_session *s, uint64_t now_ms, struct error *err);
/* The next new frame (repeats of the last serial are skipped); call
 * dshm_frame_done() after copying its pixels. */
enum dshm_status dshm_next_frame(struct dshm_session *s, uint64_t now_ms, struct dshm_frame *f,
				 struct error *err);
void dshm_frame_done(struct dshm_session *s);
/* The next cursor update; with a shape, it is converted into `shape`
 * (KVMFR_MAX_CURSOR^2 BGRA words; NULL: not wanted) before the message is
 * released, since the producer reuses shape buffers. */
enum dshm_status dshm_next_cursor(struct dshm_session *s, uint64_t now_ms,
				  struct dshm_cursor *c, uint32_t *shape, struct error *err);
void dshm_session_close(struct dshm_session *s);

uint64_t dshm_now_ms(void);

#endif
