/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LGMP 6 host side (the producer, inside the guest): header, queues,
 * permanent allocations, posting and the periodic pass that retires
 * finished messages and marks slow subscribers bad. Used by our Linux
 * guest agent (producer.c), the host-only tests and the benchmark. The
 * region here is ours to format; clients are trusted to the extent that a
 * broken one can only stall its own subscription.
 */
#ifndef PASSVM_LGMP_HOST_H
#define PASSVM_LGMP_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "display-shm/dshm_region.h"
#include "display-shm/lgmp_wire.h"

struct lgmp_host {
	struct dshm_region r;
	struct lgmp_wire_header *h;
	uint64_t next_free;
	unsigned nq;
	uint32_t qpos[LGMP_MAX_QUEUES];
};

enum lgmp_post { LGMP_POSTED, LGMP_POST_NO_SUBS, LGMP_POST_FULL };

/* Format the region; session_id must differ from the previous host's
 * (pass a random value: the old one is read and avoided). */
int lgmp_host_init(struct lgmp_host *h, uint8_t *base, uint64_t size, const void *udata,
		   uint32_t udata_size, uint32_t session_id, uint64_t now_ms, struct error *err);
/* A queue of `len` messages (ring len+1); returns its index or -1. */
int lgmp_host_queue_new(struct lgmp_host *h, uint32_t queue_id, uint32_t len,
			uint32_t sub_timeout_ms, struct error *err);
/* Permanent allocation; *off is the region offset. */
int lgmp_host_alloc(struct lgmp_host *h, uint64_t size, uint64_t align, uint64_t *off,
		    struct error *err);
uint64_t lgmp_host_avail(const struct lgmp_host *h);
enum lgmp_post lgmp_host_post(struct lgmp_host *h, unsigned qi, uint32_t udata, uint64_t off,
			      uint32_t size, uint64_t now_ms);
/* Heartbeat + retire/mark bad; call every ~10 ms. */
void lgmp_host_process(struct lgmp_host *h, uint64_t now_ms);
uint32_t lgmp_host_pending(const struct lgmp_host *h, unsigned qi);
bool lgmp_host_has_subs(const struct lgmp_host *h, unsigned qi);
/* Subscriptions since the last call (reading resets it). */
uint32_t lgmp_host_new_subs(struct lgmp_host *h, unsigned qi);

#endif
