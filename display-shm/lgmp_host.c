// SPDX-License-Identifier: GPL-2.0-only
/* LGMP 6 host side, written from PROTOCOL.md. */
#include <sched.h>
#include <string.h>

#include "display-shm/lgmp_host.h"

#define A_LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define A_ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static void qlock(struct lgmp_wire_queue *q)
{
	uint32_t expect = 0;
	while (!__atomic_compare_exchange_n(&q->lock, &expect, 1, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		expect = 0;
		sched_yield();
	}
}

static void qunlock(struct lgmp_wire_queue *q)
{
	A_ST(&q->lock, 0);
}

int lgmp_host_init(struct lgmp_host *h, uint8_t *base, uint64_t size, const void *udata,
		   uint32_t udata_size, uint32_t session_id, uint64_t now_ms, struct error *err)
{
	if (size > UINT32_MAX || size < LGMP_ALLOC_START(udata_size))
		return err_setf(err, "LGMP region of %llu bytes: needs %llu..4G",
				(unsigned long long)size,
				(unsigned long long)LGMP_ALLOC_START(udata_size));
	*h = (struct lgmp_host){ .r = { base, size }, .h = (struct lgmp_wire_header *)base };
	h->next_free = LGMP_ALLOC_START(udata_size);
	/* A restarted host must look new to clients: never reuse the id. */
	uint32_t old = A_LD(&h->h->session_id);
	if (session_id == old)
		session_id = ~old ? old + 1 : 1;
	A_ST(&h->h->magic, 0);  /* clients ignore the header while we rewrite it */
	memset(h->h->queues, 0, sizeof(h->h->queues));
	h->h->num_queues = 0;
	h->h->version = LGMP_VERSION;
	h->h->udata_size = udata_size;
	memcpy(h->h->udata, udata, udata_size);
	A_ST(&h->h->session_id, session_id);
	A_ST(&h->h->timestamp, now_ms);
	A_ST(&h->h->magic, LGMP_MAGIC);
	return 0;
}

uint64_t lgmp_host_avail(const struct lgmp_host *h)
{
	return h->r.size - h->next_free;
}

int lgmp_host_alloc(struct lgmp_host *h, uint64_t size, uint64_t align, uint64_t *off,
		    struct error *err)
{
	if (!align || (align & (align - 1)))
		return err_setf(err, "alignment %llu is not a power of two",
				(unsigned long long)align);
	uint64_t at = ALIGN_UP(h->next_free, align);
	if (at > h->r.size || size > h->r.size - at)
		return err_setf(err, "shared memory full: %llu bytes wanted, %llu free",
				(unsigned long long)size, (unsigned long long)lgmp_host_avail(h));
	*off = at;
	h->next_free = ALIGN_UP(at + size, 4);
	return 0;
}

int lgmp_host_queue_new(struct lgmp_host *h, uint32_t queue_id, uint32_t len,
			uint32_t sub_timeout_ms, struct error *err)
{
	if (h->nq == LGMP_MAX_QUEUES)
		return err_setf(err, "LGMP allows %u queues", LGMP_MAX_QUEUES);
	uint64_t ring;
	uint32_t n = len + 1; /* one entry stays free: full and empty differ */
	if (lgmp_host_alloc(h, (uint64_t)n * sizeof(struct lgmp_wire_msg), 4, &ring, err))
		return -1;
	memset(h->r.base + ring, 0, (size_t)n * sizeof(struct lgmp_wire_msg));
	unsigned qi = h->nq++;
	struct lgmp_wire_queue *q = &h->h->queues[qi];
	q->queue_id = queue_id;
	q->num_messages = n;
	q->max_time = sub_timeout_ms;
	q->messages_offset = (uint32_t)ring;
	A_ST(&q->cmsg_avail, LGMP_MAILBOX_SLOTS);
	h->qpos[qi] = 0;
	A_ST(&h->h->num_queues, h->nq);
	return (int)qi;
}

static struct lgmp_wire_msg *ring(struct lgmp_host *h, struct lgmp_wire_queue *q)
{
	return (struct lgmp_wire_msg *)(void *)(h->r.base + q->messages_offset);
}

enum lgmp_post lgmp_host_post(struct lgmp_host *h, unsigned qi, uint32_t udata, uint64_t off,
			      uint32_t size, uint64_t now_ms)
{
	struct lgmp_wire_queue *q = &h->h->queues[qi];
	qlock(q);
	uint64_t subs = A_LD(&q->subs);
	uint32_t pend = LGMP_SUBS_ON(subs) & ~LGMP_SUBS_BAD(subs);
	if (!pend) {
		qunlock(q);
		return LGMP_POST_NO_SUBS;
	}
	if (A_LD(&q->count) == q->num_messages - 1) {
		qunlock(q);
		return LGMP_POST_FULL;
	}
	struct lgmp_wire_msg *m = &ring(h, q)[h->qpos[qi]];
	m->udata = udata;
	m->size = size;
	m->offset = (uint32_t)off;
	A_ST(&m->pending_subs, pend);
	if (__atomic_fetch_add(&q->count, 1, __ATOMIC_ACQ_REL) == 0)
		A_ST(&q->msg_timeout, now_ms + q->max_time);
	h->qpos[qi] = h->qpos[qi] + 1 == q->num_messages ? 0 : h->qpos[qi] + 1;
	A_ST(&q->position, h->qpos[qi]);
	qunlock(q);
	return LGMP_POSTED;
}

/* Under the lock: retire finished messages from `start`, mark laggards bad. */
static void process_queue(struct lgmp_wire_queue *q, struct lgmp_wire_msg *msgs, uint64_t now_ms)
{
	uint64_t subs = A_LD(&q->subs);
	for (;;) {
		struct lgmp_wire_msg *m = &msgs[q->start];
		uint32_t pend = A_LD(&m->pending_subs) & LGMP_SUBS_ON(subs);
		uint32_t new_bad = pend & ~LGMP_SUBS_BAD(subs);
		if (new_bad && now_ms > A_LD(&q->msg_timeout)) {
			subs |= new_bad;
			for (unsigned id = 0; id < LGMP_MAX_SUBS; id++)
				if (new_bad & (1u << id))
					q->timeout[id] = now_ms + q->max_time;
			A_ST(&m->pending_subs, 0);
			pend = 0;
		}
		if (pend & ~LGMP_SUBS_BAD(subs))
			break;
		q->start = q->start + 1 == q->num_messages ? 0 : q->start + 1;
		if (__atomic_fetch_sub(&q->count, 1, __ATOMIC_ACQ_REL) == 1)
			break;
		A_ST(&q->msg_timeout, now_ms + q->max_time);
	}
	A_ST(&q->subs, subs);
}

void lgmp_host_process(struct lgmp_host *h, uint64_t now_ms)
{
	A_ST(&h->h->timestamp, now_ms);
	for (unsigned i = 0; i < h->nq; i++) {
		struct lgmp_wire_queue *q = &h->h->queues[i];
		qlock(q);
		if (A_LD(&q->count))
			process_queue(q, ring(h, q), now_ms);
		qunlock(q);
	}
}

uint32_t lgmp_host_pending(const struct lgmp_host *h, unsigned qi)
{
	return A_LD(&h->h->queues[qi].count);
}

bool lgmp_host_has_subs(const struct lgmp_host *h, unsigned qi)
{
	return LGMP_SUBS_ON(A_LD(&h->h->queues[qi].subs)) != 0;
}

uint32_t lgmp_host_new_subs(struct lgmp_host *h, unsigned qi)
{
	return __atomic_exchange_n(&h->h->queues[qi].new_sub_count, 0, __ATOMIC_ACQ_REL);
}
