// SPDX-License-Identifier: GPL-2.0-only
/*
 * LGMP 6 client, written from PROTOCOL.md. The guest (the LGMP host) can
 * rewrite every byte at any moment: each field is loaded once, offsets are
 * checked against the region before use, and spinning on guest state is
 * bounded.
 */
#include <sched.h>
#include <stddef.h>

#include "display-shm/lgmp_client.h"
#include "display-shm/lgmp_wire.h"

#define Q(field) offsetof(struct lgmp_wire_queue, field)
#define H(field) offsetof(struct lgmp_wire_header, field)

const char *lgmp_status_str(enum lgmp_status s)
{
	static const char *const names[] = {
		"ok", "empty", "no host", "session lost", "resubscribe", "busy", "bad data",
	};
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

void lgmp_client_init(struct lgmp_client *c, uint8_t *base, uint64_t size, uint32_t id,
		      uint64_t now_ms)
{
	*c = (struct lgmp_client){ .r = { base, size }, .id = id ? id : 1, .lock_tries = 100000 };
	if (dshm_in(&c->r, 0, LGMP_HEADER_SIZE))
		c->hosttime = dshm_ld64(&c->r, H(timestamp));
	c->beat_ms = now_ms;
}

uint64_t lgmp_client_udata_offset(const struct lgmp_client *c)
{
	return LGMP_UDATA_OFFSET;
}

enum lgmp_status lgmp_client_session(struct lgmp_client *c, uint64_t now_ms, struct error *err)
{
	c->open = false;
	if (!dshm_in(&c->r, 0, LGMP_HEADER_SIZE))
		return err_setf(err, "shared memory of %llu bytes is smaller than the LGMP header",
				(unsigned long long)c->r.size), LGMP_BAD;
	uint32_t magic = dshm_ld32(&c->r, H(magic)), ver = dshm_ld32(&c->r, H(version));
	if (magic != LGMP_MAGIC)
		return err_setf(err, "no LGMP header yet (magic 0x%08x)", magic), LGMP_NO_HOST;
	if (ver != LGMP_VERSION)
		return err_setf(err, "LGMP version %u, passvm speaks %u (Looking Glass B7)", ver,
				LGMP_VERSION), LGMP_BAD;
	uint64_t ts = dshm_ld64(&c->r, H(timestamp));
	if (ts == c->hosttime)
		return err_setf(err, "the LGMP host's heartbeat is not moving"), LGMP_NO_HOST;
	uint32_t usize = dshm_ld32(&c->r, H(udata_size));
	if (!dshm_in(&c->r, LGMP_UDATA_OFFSET, usize))
		return err_setf(err, "LGMP user data of %u bytes runs past the region", usize),
		       LGMP_BAD;
	c->session_id = dshm_ld32(&c->r, H(session_id));
	c->hosttime = ts;
	c->beat_ms = now_ms;
	c->udata_size = usize;
	c->open = true;
	return LGMP_OK;
}

bool lgmp_client_session_valid(struct lgmp_client *c, uint64_t now_ms)
{
	if (!c->open || dshm_ld32(&c->r, H(session_id)) != c->session_id)
		return false;
	uint64_t ts = dshm_ld64(&c->r, H(timestamp));
	if (ts != c->hosttime) {
		c->hosttime = ts;
		c->beat_ms = now_ms;
		return true;
	}
	return now_ms - c->beat_ms <= LGMP_HEARTBEAT_MS;
}

/* The queue lock is a guest-owned spin lock: bounded attempts, so a guest
 * that never releases it costs a failed call, not a hung viewer. */
static bool queue_trylock(struct lgmp_client *c, uint64_t qoff, unsigned tries)
{
	uint32_t *lock = dshm_p32(&c->r, qoff + Q(lock));
	for (unsigned i = 0; i < tries; i++) {
		uint32_t expect = 0;
		if (__atomic_compare_exchange_n(lock, &expect, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
		if ((i & 255) == 255)
			sched_yield();
	}
	return false;
}

static void queue_unlock(struct lgmp_client *c, uint64_t qoff)
{
	dshm_st32(&c->r, qoff + Q(lock), 0);
}

/* Ring geometry from the guest, checked once at subscribe. */
static enum lgmp_status queue_geometry(struct lgmp_client *c, struct lgmp_client_queue *q,
				       struct error *err)
{
	uint32_t n = dshm_ld32(&c->r, q->qoff + Q(num_messages));
	uint32_t off = dshm_ld32(&c->r, q->qoff + Q(messages_offset));
	if (n < 2 || n > LGMP_MAX_RING)
		return err_setf(err, "LGMP queue with %u ring entries (2..%u)", n, LGMP_MAX_RING),
		       LGMP_BAD;
	if ((off & 3) || off < LGMP_HEADER_SIZE ||
	    !dshm_in(&c->r, off, (uint64_t)n * sizeof(struct lgmp_wire_msg)))
		return err_setf(err, "LGMP ring at 0x%x (%u entries) is misplaced", off, n), LGMP_BAD;
	q->num_messages = n;
	q->ring_off = off;
	return LGMP_OK;
}

static int find_queue(struct lgmp_client *c, uint32_t queue_id, uint64_t *qoff)
{
	uint32_t nq = dshm_ld32(&c->r, H(num_queues));
	for (uint32_t i = 0; i < nq && i < LGMP_MAX_QUEUES; i++) {
		if (dshm_ld32(&c->r, LGMP_QUEUE_OFFSET(i) + Q(queue_id)) == queue_id) {
			*qoff = LGMP_QUEUE_OFFSET(i);
			return 0;
		}
	}
	return -1;
}

/* Under the lock: free slots the host marked bad whose grace has passed. */
static uint64_t reap_bad(struct lgmp_client *c, uint64_t qoff, uint64_t subs)
{
	uint64_t hosttime = dshm_ld64(&c->r, H(timestamp));
	uint32_t reap = 0;
	for (unsigned id = 0; id < LGMP_MAX_SUBS; id++) {
		uint32_t bit = 1u << id;
		if ((LGMP_SUBS_BAD(subs) & bit) &&
		    hosttime > dshm_ld64(&c->r, qoff + Q(timeout) + 8u * id)) {
			reap |= bit;
			dshm_st64(&c->r, qoff + Q(timeout) + 8u * id, 0);
			dshm_st32(&c->r, qoff + Q(client_id) + 4u * id, 0);
		}
	}
	return subs & ~((uint64_t)reap | ((uint64_t)reap << 32));
}

enum lgmp_status lgmp_client_subscribe(struct lgmp_client *c, uint32_t queue_id,
				       struct lgmp_client_queue *q, struct error *err)
{
	*q = (struct lgmp_client_queue){ .c = c };
	if (!c->open)
		return err_setf(err, "no LGMP session"), LGMP_SESSION_LOST;
	if (find_queue(c, queue_id, &q->qoff))
		return err_setf(err, "the LGMP host has no queue %u", queue_id), LGMP_BAD;
	enum lgmp_status st = queue_geometry(c, q, err);
	if (st)
		return st;
	if (!queue_trylock(c, q->qoff, c->lock_tries))
		return err_setf(err, "LGMP queue %u: the guest holds its lock", queue_id), LGMP_BUSY;
	uint64_t subs = reap_bad(c, q->qoff, dshm_ld64(&c->r, q->qoff + Q(subs)));
	uint32_t used = LGMP_SUBS_ON(subs) | LGMP_SUBS_BAD(subs);
	unsigned id = 0;
	while (id < LGMP_MAX_SUBS && (used & (1u << id)))
		id++;
	if (id == LGMP_MAX_SUBS) {
		queue_unlock(c, q->qoff);
		return err_setf(err, "LGMP queue %u has 32 subscribers already", queue_id), LGMP_BUSY;
	}
	dshm_st64(&c->r, q->qoff + Q(timeout) + 8u * id, 0);
	dshm_st32(&c->r, q->qoff + Q(client_id) + 4u * id, c->id);
	dshm_st64(&c->r, q->qoff + Q(subs), subs | ((uint64_t)1 << (32 + id)));
	__atomic_fetch_add(dshm_p32(&c->r, q->qoff + Q(new_sub_count)), 1, __ATOMIC_ACQ_REL);
	uint32_t pos = dshm_ld32(&c->r, q->qoff + Q(position));
	queue_unlock(c, q->qoff);
	q->slot = id;
	q->pos = pos < q->num_messages ? pos : 0; /* a bad position shows up in peek */
	q->subscribed = true;
	return LGMP_OK;
}

void lgmp_client_unsubscribe(struct lgmp_client_queue *q)
{
	struct lgmp_client *c = q->c;
	if (!q->subscribed || !c || !c->open)
		return;
	q->subscribed = false;
	/* Best effort: if the guest sits on the lock, the host reaps us by timeout. */
	if (!queue_trylock(c, q->qoff, c->lock_tries))
		return;
	uint32_t bit = 1u << q->slot;
	uint64_t subs = dshm_ld64(&c->r, q->qoff + Q(subs));
	if (!(LGMP_SUBS_BAD(subs) & bit)) {
		dshm_st64(&c->r, q->qoff + Q(subs), subs & ~((uint64_t)bit << 32));
		dshm_st64(&c->r, q->qoff + Q(timeout) + 8u * q->slot, 0);
		dshm_st32(&c->r, q->qoff + Q(client_id) + 4u * q->slot, 0);
	}
	queue_unlock(c, q->qoff);
}

/* Are we still a good subscriber? */
static enum lgmp_status check_sub(struct lgmp_client_queue *q, uint64_t now_ms, struct error *err)
{
	struct lgmp_client *c = q->c;
	if (!q->subscribed)
		return err_setf(err, "not subscribed"), LGMP_RESUBSCRIBE;
	uint64_t subs = dshm_ld64(&c->r, q->qoff + Q(subs));
	uint32_t bit = 1u << q->slot;
	if (LGMP_SUBS_BAD(subs) & bit)
		return err_setf(err, "the LGMP host timed us out"), LGMP_RESUBSCRIBE;
	if (!(LGMP_SUBS_ON(subs) & bit)) {
		if (!lgmp_client_session_valid(c, now_ms))
			return err_setf(err, "the LGMP session ended"), LGMP_SESSION_LOST;
		return err_setf(err, "the LGMP host dropped our subscription"), LGMP_RESUBSCRIBE;
	}
	return LGMP_OK;
}

enum lgmp_status lgmp_client_peek(struct lgmp_client_queue *q, uint64_t now_ms,
				  struct lgmp_msg *m, struct error *err)
{
	enum lgmp_status st = check_sub(q, now_ms, err);
	if (st)
		return st;
	struct lgmp_client *c = q->c;
	uint32_t end = dshm_ld32(&c->r, q->qoff + Q(position));
	if (end >= q->num_messages)
		return err_setf(err, "LGMP write position %u outside a ring of %u", end,
				q->num_messages), LGMP_BAD;
	if (end == q->pos)
		return LGMP_EMPTY;
	struct lgmp_wire_msg w;
	uint64_t moff = q->ring_off + (uint64_t)q->pos * sizeof(w);
	if (!dshm_read(&c->r, moff, &w, sizeof(w)))
		return err_setf(err, "LGMP ring moved out of the region"), LGMP_BAD;
	if ((w.offset & 3) || !dshm_in(&c->r, w.offset, w.size))
		return err_setf(err, "LGMP message at 0x%x size %u outside the %llu-byte region",
				w.offset, w.size, (unsigned long long)c->r.size), LGMP_BAD;
	*m = (struct lgmp_msg){ .udata = w.udata, .size = w.size, .offset = w.offset };
	return LGMP_OK;
}

/* Last subscriber out retires the message, if it gets the lock at once
 * (otherwise the host's periodic pass does it). */
static void retire(struct lgmp_client_queue *q)
{
	struct lgmp_client *c = q->c;
	if (!queue_trylock(c, q->qoff, 1))
		return;
	if (dshm_ld32(&c->r, q->qoff + Q(start)) == q->pos) {
		uint32_t next = q->pos + 1 == q->num_messages ? 0 : q->pos + 1;
		dshm_st32(&c->r, q->qoff + Q(start), next);
		uint32_t *count = dshm_p32(&c->r, q->qoff + Q(count));
		if (__atomic_fetch_sub(count, 1, __ATOMIC_ACQ_REL) == 0)
			dshm_st32(&c->r, q->qoff + Q(count), 0); /* guest wrote nonsense */
		uint64_t ts = dshm_ld64(&c->r, H(timestamp));
		uint32_t max = dshm_ld32(&c->r, q->qoff + Q(max_time));
		dshm_st64(&c->r, q->qoff + Q(msg_timeout), ts + max);
	}
	queue_unlock(c, q->qoff);
}

enum lgmp_status lgmp_client_done(struct lgmp_client_queue *q, struct error *err)
{
	struct lgmp_client *c = q->c;
	if (!q->subscribed)
		return err_setf(err, "not subscribed"), LGMP_RESUBSCRIBE;
	uint32_t bit = 1u << q->slot;
	uint64_t poff = q->ring_off + (uint64_t)q->pos * sizeof(struct lgmp_wire_msg) +
			offsetof(struct lgmp_wire_msg, pending_subs);
	uint32_t left = __atomic_and_fetch(dshm_p32(&c->r, poff), ~bit, __ATOMIC_ACQ_REL);
	if (!left)
		retire(q);
	q->pos = q->pos + 1 == q->num_messages ? 0 : q->pos + 1;
	return LGMP_OK;
}
