/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LGMP 6 client (the consumer on the VM host): session, heartbeat,
 * subscriptions, reading and retiring messages. Clock values are passed in
 * (milliseconds, CLOCK_MONOTONIC in real use) so tests and the fuzzer are
 * deterministic. Statuses other than LGMP_OK/EMPTY come with err set.
 */
#ifndef PASSVM_LGMP_CLIENT_H
#define PASSVM_LGMP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "display-shm/dshm_region.h"

enum lgmp_status {
	LGMP_OK = 0,
	LGMP_EMPTY,         /* nothing new */
	LGMP_NO_HOST,       /* no valid header, or the heartbeat has not moved yet */
	LGMP_SESSION_LOST,  /* host restarted or stopped: open a new session */
	LGMP_RESUBSCRIBE,   /* the host dropped us (too slow) or our slot is gone */
	LGMP_BUSY,          /* the queue lock stayed taken: try again later */
	LGMP_BAD,           /* the guest wrote something invalid */
};

#define LGMP_MAX_RING 4096u   /* refuse larger rings: LG uses 3 and 21 */

struct lgmp_client {
	struct dshm_region r;
	uint32_t id;             /* our client id, non-zero */
	uint32_t session_id;
	uint64_t hosttime;       /* last heartbeat value seen */
	uint64_t beat_ms;        /* our clock when it last moved */
	uint32_t udata_size;     /* validated: udata lies inside the region */
	unsigned lock_tries;     /* compare-exchange attempts on a queue lock */
	bool open;
};

struct lgmp_client_queue {
	struct lgmp_client *c;
	uint64_t qoff;           /* region offset of the queue header */
	uint32_t slot;           /* our subscriber bit */
	uint32_t pos;            /* next ring index we read */
	uint32_t num_messages;   /* snapshot at subscribe, validated */
	uint64_t ring_off;       /* snapshot at subscribe, validated */
	bool subscribed;
};

struct lgmp_msg {
	uint32_t udata;
	uint32_t size;
	uint32_t offset;         /* [offset, offset+size) is inside the region */
};

/* Remember the heartbeat; the session starts once it moves. */
void lgmp_client_init(struct lgmp_client *c, uint8_t *base, uint64_t size, uint32_t id,
		      uint64_t now_ms);
/* Magic, version, moving heartbeat, udata bounds: LGMP_OK or NO_HOST/BAD. */
enum lgmp_status lgmp_client_session(struct lgmp_client *c, uint64_t now_ms, struct error *err);
/* Same session and the heartbeat moved within LGMP_HEARTBEAT_MS. */
bool lgmp_client_session_valid(struct lgmp_client *c, uint64_t now_ms);
uint64_t lgmp_client_udata_offset(const struct lgmp_client *c);

enum lgmp_status lgmp_client_subscribe(struct lgmp_client *c, uint32_t queue_id,
				       struct lgmp_client_queue *q, struct error *err);
void lgmp_client_unsubscribe(struct lgmp_client_queue *q);
/* The message at our position (not consumed until lgmp_client_done). */
enum lgmp_status lgmp_client_peek(struct lgmp_client_queue *q, uint64_t now_ms,
				  struct lgmp_msg *m, struct error *err);
enum lgmp_status lgmp_client_done(struct lgmp_client_queue *q, struct error *err);

const char *lgmp_status_str(enum lgmp_status s);

#endif
