/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Split virtqueues (virtio 1.x, 2.7) read from guest RAM with the guest
 * treated as hostile:
 *  - ring addresses are checked once at enable (alignment, whole ring in RAM
 *    via gmem_ptr) and the host pointers cached (RAM never moves);
 *  - every descriptor is copied out of guest memory once before use;
 *  - chains are bounded (queue size for a direct chain, table size for an
 *    indirect one, VQ_MAX_SEGS in all), so loops end;
 *  - every buffer is resolved with gmem_ptr(); nothing outside RAM is touched;
 *    empty descriptors are legal and produce no iov entry (no NULL bases);
 *  - an avail index that runs ahead by more than the queue size, a bad head,
 *    a loop, an out-of-RAM buffer, a readable-after-writable descriptor, or a
 *    bad/nested indirect table marks the queue broken: vq_pop() returns -1
 *    from then on and the transport sets DEVICE_NEEDS_RESET.
 *
 * Not thread-safe by itself: the owner holds vq->lock around every call
 * except vq_init/vq_destroy.
 */
#ifndef PASSVM_VIRTQUEUE_H
#define PASSVM_VIRTQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/memory.h"

#define VQ_MAX_SIZE  1024  /* largest queue this VMM offers */
#define VQ_MAX_SEGS  1024  /* descriptors per chain, direct + indirect */
#define VQ_NO_VECTOR 0xFFFF

#define VQ_DESC_F_NEXT     1
#define VQ_DESC_F_WRITE    2
#define VQ_DESC_F_INDIRECT 4
#define VQ_AVAIL_F_NO_INTERRUPT 1

/* One popped chain: iov[0..nr_out) are driver->device (readable),
 * iov[nr_out..nr_out+nr_in) device->driver (writable). */
struct vq_elem {
	uint16_t head;
	unsigned nr_out, nr_in;
	uint64_t out_len, in_len;
	struct iovec *iov;  /* points into the queue's scratch; valid until the next pop */
};

struct virtqueue {
	pthread_mutex_t lock;
	uint16_t index;
	uint16_t max_size;
	/* Driver-programmed (common cfg), applied at vq_enable(). */
	uint16_t size;
	uint16_t msix_vector;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	bool ready;           /* enabled and validated */
	bool broken;          /* guest violated the ring protocol */
	bool event_idx;       /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;        /* VIRTIO_F_INDIRECT_DESC negotiated */
	const char *why;      /* reason for broken, for the log */

	const struct gmem *mem;
	uint8_t *desc;        /* host views of the rings, valid while ready */
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail_idx;
	uint16_t used_idx;
	uint16_t signalled_used;
	bool signalled_used_valid;

	struct iovec *iov;    /* VQ_MAX_SEGS scratch entries for vq_pop */

	/* Owned by the transport. */
	int kick_fd;
	void *owner;
};

int vq_init(struct virtqueue *vq, uint16_t index, uint16_t max_size);
void vq_destroy(struct virtqueue *vq);
/* Back to the power-on state (not ready, size = max, addresses 0). */
void vq_reset(struct virtqueue *vq);
/*
 * Validate the driver's programming and start using the rings. Returns -1
 * with *why set (static string) when the layout is unusable.
 */
int vq_enable(struct virtqueue *vq, const struct gmem *mem, bool event_idx, bool indirect,
	      const char **why);
/* 1: a chain was popped into elem; 0: ring empty (or not ready); -1: broken. */
int vq_pop(struct virtqueue *vq, struct vq_elem *elem);
/* Return a chain to the driver with `len` bytes written into its buffers. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/* After pushes: should the driver be interrupted (EVENT_IDX/NO_INTERRUPT)? */
bool vq_should_notify(struct virtqueue *vq);
/* Ask for a kick for the next buffer; true when buffers arrived meanwhile. */
bool vq_enable_notify(struct virtqueue *vq);
/* Buffers waiting to be popped (0 when not ready/broken). */
bool vq_has_work(struct virtqueue *vq);

/* iov helpers for back ends: copy in/out across segments; return bytes done. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len);
/* Describe bytes [skip, skip+len) of iov with up to max entries of out;
 * returns the count, or -1 when the range does not fit. */
int iov_slice(const struct iovec *iov, unsigned n, size_t skip, size_t len, struct iovec *out,
	      unsigned max);

#endif
