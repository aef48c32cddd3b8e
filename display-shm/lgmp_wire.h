/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LGMP protocol version 6 (gnif/LGMP de89c63, pinned by Looking Glass B7):
 * the shared-memory layout, byte by byte. See PROTOCOL.md for who writes
 * which field and the session/queue rules. These structs describe bytes in
 * guest-writable memory: the consumer never dereferences them directly
 * (it reads fields once through lgmp_ld*() at offsetof() positions it has
 * bounds-checked); the producer (our test agent) writes them.
 */
#ifndef PASSVM_LGMP_WIRE_H
#define PASSVM_LGMP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define LGMP_MAGIC 0x504d474cu /* "LGMP" little endian */
#define LGMP_VERSION 6u
#define LGMP_MAX_QUEUES 5u
#define LGMP_MAX_SUBS 32u
#define LGMP_MAILBOX_SLOTS 10u
#define LGMP_MAILBOX_BYTES 64u
#define LGMP_HEARTBEAT_MS 1000u /* client: host gone after this long without a tick */

/* The 64-bit subscriber word: high half subscribed, low half marked bad. */
#define LGMP_SUBS_ON(s) ((uint32_t)((s) >> 32))
#define LGMP_SUBS_BAD(s) ((uint32_t)(s))

struct lgmp_wire_mailbox {
	uint32_t size;
	uint8_t data[LGMP_MAILBOX_BYTES];
};

struct lgmp_wire_msg {
	uint32_t udata;
	uint32_t size;
	uint32_t offset;
	uint32_t pending_subs;
};

/* One queue; 1144 bytes, 8-aligned. Cache lines (64 B) in the comments:
 * the counters the host and clients both hit (lock, subs, start, count)
 * share line 6-7 on purpose upstream; we cannot change that. */
struct lgmp_wire_queue {
	uint32_t queue_id;        /*   0 */
	uint32_t num_messages;    /*   4: ring entries (configured + 1) */
	uint32_t new_sub_count;   /*   8 */
	uint32_t max_time;        /*  12: ms */
	uint32_t position;        /*  16: host's next write index */
	uint32_t messages_offset; /*  20: region offset of the ring */
	uint64_t timeout[LGMP_MAX_SUBS];  /*  24 */
	uint32_t client_id[LGMP_MAX_SUBS]; /* 280 */
	uint32_t lock;            /* 408 */
	uint32_t pad0;
	uint64_t subs;            /* 416 */
	uint32_t start;           /* 424 */
	uint32_t pad1;
	uint64_t msg_timeout;     /* 432 */
	uint32_t count;           /* 440 */
	uint32_t cmsg_lock;       /* 444 */
	uint32_t cmsg_avail;      /* 448 */
	uint32_t cmsg_wpos;       /* 452 */
	uint32_t cmsg_wserial;    /* 456 */
	uint32_t cmsg_rserial;    /* 460 */
	struct lgmp_wire_mailbox cmsgs[LGMP_MAILBOX_SLOTS]; /* 464 */
};

struct lgmp_wire_header {
	uint32_t magic;           /*    0 */
	uint32_t version;         /*    4 */
	uint32_t session_id;      /*    8 */
	uint32_t pad0;
	uint64_t timestamp;       /*   16: host heartbeat, ms */
	uint32_t num_queues;      /*   24 */
	uint32_t pad1;
	struct lgmp_wire_queue queues[LGMP_MAX_QUEUES]; /* 32 */
	uint32_t udata_size;      /* 5752 */
	uint8_t udata[];          /* 5756 */
};

/* Where the host's allocator starts: the struct size (5760), not udata's
 * offset, plus the user data, 4-aligned (upstream's rule). */
#define LGMP_UDATA_OFFSET 5756u
#define LGMP_HEADER_SIZE 5760u
#define LGMP_ALLOC_START(udata_size) (((uint64_t)LGMP_HEADER_SIZE + (udata_size) + 3) & ~3ull)
#define LGMP_QUEUE_OFFSET(i) (32u + 1144u * (i))

_Static_assert(sizeof(struct lgmp_wire_mailbox) == 68, "mailbox");
_Static_assert(sizeof(struct lgmp_wire_msg) == 16, "message");
_Static_assert(offsetof(struct lgmp_wire_msg, pending_subs) == 12, "pendingSubs");
_Static_assert(offsetof(struct lgmp_wire_queue, timeout) == 24, "timeout");
_Static_assert(offsetof(struct lgmp_wire_queue, client_id) == 280, "clientID");
_Static_assert(offsetof(struct lgmp_wire_queue, lock) == 408, "lock");
_Static_assert(offsetof(struct lgmp_wire_queue, subs) == 416, "subs");
_Static_assert(offsetof(struct lgmp_wire_queue, start) == 424, "start");
_Static_assert(offsetof(struct lgmp_wire_queue, msg_timeout) == 432, "msgTimeout");
_Static_assert(offsetof(struct lgmp_wire_queue, count) == 440, "count");
_Static_assert(offsetof(struct lgmp_wire_queue, cmsg_rserial) == 460, "cMsgRSerial");
_Static_assert(offsetof(struct lgmp_wire_queue, cmsgs) == 464, "cMsgs");
_Static_assert(sizeof(struct lgmp_wire_queue) == 1144, "queue size");
_Static_assert(offsetof(struct lgmp_wire_header, timestamp) == 16, "timestamp");
_Static_assert(offsetof(struct lgmp_wire_header, num_queues) == 24, "numQueues");
_Static_assert(offsetof(struct lgmp_wire_header, queues) == LGMP_QUEUE_OFFSET(0), "queues");
_Static_assert(offsetof(struct lgmp_wire_header, udata_size) == 5752, "udataSize");
_Static_assert(offsetof(struct lgmp_wire_header, udata) == LGMP_UDATA_OFFSET, "udata");
_Static_assert(sizeof(struct lgmp_wire_header) == LGMP_HEADER_SIZE, "header size");

#endif
