// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueue processing. Guest memory layout (virtio 1.2, 2.7):
 *   descriptor table: size x { le64 addr; le32 len; le16 flags; le16 next; }
 *   driver (avail):   le16 flags; le16 idx; le16 ring[size]; le16 used_event;
 *   device (used):    le16 flags; le16 idx; { le32 id; le32 len; } ring[size];
 *                     le16 avail_event;
 */
#include "vmm/virtio/virtqueue.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define DESC_SIZE 16u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static uint64_t avail_bytes(uint16_t size)
{
	return 4 + 2ULL * size + 2;
}

static uint64_t used_bytes(uint16_t size)
{
	return 4 + 8ULL * size + 2;
}

int vq_init(struct virtqueue *vq, uint16_t index, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = -1;
	if (!max_size || max_size > VQ_MAX_SIZE || (max_size & (max_size - 1)))
		return -1;
	vq->iov = calloc(VQ_MAX_SEGS, sizeof(*vq->iov));
	if (!vq->iov)
		return -1;
	pthread_mutex_init(&vq->lock, NULL);
	vq->index = index;
	vq->max_size = max_size;
	vq_reset(vq);
	return 0;
}

void vq_destroy(struct virtqueue *vq)
{
	if (vq->iov) {
		free(vq->iov);
		vq->iov = NULL;
		pthread_mutex_destroy(&vq->lock);
	}
}

void vq_reset(struct virtqueue *vq)
{
	vq->size = vq->max_size;
	vq->msix_vector = VQ_NO_VECTOR;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->ready = vq->broken = false;
	vq->event_idx = vq->indirect = false;
	vq->why = NULL;
	vq->mem = NULL;
	vq->desc = vq->avail = vq->used = NULL;
	vq->last_avail_idx = vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
}

int vq_enable(struct virtqueue *vq, const struct gmem *mem, bool event_idx, bool indirect,
	      const char **why)
{
	uint16_t n = vq->size;
	const char *bad = NULL;
	if (!n || n > vq->max_size || (n & (n - 1)))
		bad = "queue size is not a power of two up to the device maximum";
	else if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		bad = "ring addresses are misaligned";
	else if (!(vq->desc = gmem_ptr(mem, vq->desc_gpa, DESC_SIZE * n)) ||
		 !(vq->avail = gmem_ptr(mem, vq->avail_gpa, avail_bytes(n))) ||
		 !(vq->used = gmem_ptr(mem, vq->used_gpa, used_bytes(n))))
		bad = "rings are not inside guest RAM";
	if (bad) {
		vq->desc = vq->avail = vq->used = NULL;
		if (why)
			*why = bad;
		return -1;
	}
	vq->mem = mem;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->last_avail_idx = vq->used_idx = 0;
	vq->signalled_used_valid = false;
	vq->broken = false;
	vq->ready = true;
	return 0;
}

static int vq_fail(struct virtqueue *vq, const char *why)
{
	if (!vq->broken)
		log_debug("virtqueue %u: %s", vq->index, why);
	vq->broken = true;
	vq->why = why;
	return -1;
}

static uint16_t load16_acquire(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE));
}

static uint16_t load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED));
}

static void store16_release(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELEASE);
}

static void store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELAXED);
}

/* Copy one descriptor out of guest memory (so it cannot change under us). */
static struct desc read_desc(const uint8_t *table, uint32_t i)
{
	uint8_t raw[DESC_SIZE];
	memcpy(raw, table + (size_t)i * DESC_SIZE, DESC_SIZE);
	struct desc d;
	uint64_t a;
	uint32_t l;
	uint16_t f, nx;
	memcpy(&a, raw, 8);
	memcpy(&l, raw + 8, 4);
	memcpy(&f, raw + 12, 2);
	memcpy(&nx, raw + 14, 2);
	d.addr = le64toh(a);
	d.len = le32toh(l);
	d.flags = le16toh(f);
	d.next = le16toh(nx);
	return d;
}

bool vq_has_work(struct virtqueue *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	return load16_acquire(vq->avail + 2) != vq->last_avail_idx;
}

int vq_pop(struct virtqueue *vq, struct vq_elem *elem)
{
	if (vq->broken)
		return -1;
	if (!vq->ready)
		return 0;
	uint16_t avail_idx = load16_acquire(vq->avail + 2);
	uint16_t pending = (uint16_t)(avail_idx - vq->last_avail_idx);
	if (!pending)
		return 0;
	if (pending > vq->size)
		return vq_fail(vq, "driver's avail index ran ahead by more than the queue size");

	uint16_t head = load16(vq->avail + 4 + 2 * (vq->last_avail_idx & (vq->size - 1)));
	if (head >= vq->size)
		return vq_fail(vq, "avail ring names a descriptor beyond the queue size");

	const uint8_t *table = vq->desc;
	uint32_t table_len = vq->size, idx = head, steps = 0;
	bool in_indirect = false, saw_writable = false;
	unsigned nr_out = 0, nr_in = 0;
	uint64_t out_len = 0, in_len = 0;
	for (;;) {
		if (++steps > table_len)
			return vq_fail(vq, "descriptor chain loops or is longer than its table");
		struct desc d = read_desc(table, idx);
		if (d.flags & VQ_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return vq_fail(vq, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
			if (in_indirect)
				return vq_fail(vq, "nested indirect descriptor table");
			if (d.flags & VQ_DESC_F_NEXT)
				return vq_fail(vq, "indirect descriptor also has NEXT set");
			if (!d.len || d.len % DESC_SIZE || d.len / DESC_SIZE > VQ_MAX_SEGS)
				return vq_fail(vq, "indirect table length is not a multiple of 16 or too large");
			table = gmem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return vq_fail(vq, "indirect table is not inside guest RAM");
			table_len = d.len / DESC_SIZE;
			idx = 0;
			steps = 0;
			in_indirect = true;
			continue;
		}
		bool writable = d.flags & VQ_DESC_F_WRITE;
		if (!writable && (nr_in || saw_writable))
			return vq_fail(vq, "readable descriptor after a writable one");
		saw_writable |= writable;
		/* Empty descriptors are legal and carry nothing: no iov for them,
		 * so back ends never see a NULL base. */
		if (d.len) {
			if (nr_out + nr_in >= VQ_MAX_SEGS)
				return vq_fail(vq, "descriptor chain has too many segments");
			void *p = gmem_ptr(vq->mem, d.addr, d.len);
			if (!p)
				return vq_fail(vq, "buffer is not inside guest RAM");
			vq->iov[nr_out + nr_in] = (struct iovec){ .iov_base = p, .iov_len = d.len };
			if (writable) {
				nr_in++;
				in_len += d.len;
			} else {
				nr_out++;
				out_len += d.len;
			}
		}
		if (!(d.flags & VQ_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= table_len)
			return vq_fail(vq, "descriptor 'next' is beyond its table");
	}
	vq->last_avail_idx++;
	elem->head = head;
	elem->nr_out = nr_out;
	elem->nr_in = nr_in;
	elem->out_len = out_len;
	elem->in_len = in_len;
	elem->iov = vq->iov;
	return 1;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	if (!vq->ready)
		return;
	uint8_t *e = vq->used + 4 + 8 * (vq->used_idx & (vq->size - 1));
	uint32_t id = htole32(head), l = htole32(len);
	memcpy(e, &id, 4);
	memcpy(e + 4, &l, 4);
	vq->used_idx++;
	/* Release: the element is visible before the index that publishes it. */
	store16_release(vq->used + 2, vq->used_idx);
}

bool vq_should_notify(struct virtqueue *vq)
{
	if (!vq->ready)
		return false;
	/* Our used->idx store must be visible before we read the driver's
	 * suppression state, or both sides may wait for each other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = vq->signalled_used, now = vq->used_idx;
	bool valid = vq->signalled_used_valid;
	if (valid && old == now)
		return false;
	vq->signalled_used = now;
	vq->signalled_used_valid = true;
	if (!vq->event_idx)
		return !(load16(vq->avail) & VQ_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	uint16_t used_event = load16(vq->avail + 4 + 2 * vq->size);
	return (uint16_t)(now - used_event - 1) < (uint16_t)(now - old);
}

bool vq_enable_notify(struct virtqueue *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	if (vq->event_idx)
		store16(vq->used + 4 + 8 * vq->size, vq->last_avail_idx);
	else
		store16(vq->used, 0);
	/* The avail_event store must be visible before we look for new work. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16_acquire(vq->avail + 2) != vq->last_avail_idx;
}

/* ---- iov helpers ---------------------------------------------------------- */

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t c = MIN(l - skip, len - done);
		memcpy((uint8_t *)buf + done, (const uint8_t *)iov[i].iov_base + skip, c);
		done += c;
		skip = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t c = MIN(l - skip, len - done);
		memcpy((uint8_t *)iov[i].iov_base + skip, (const uint8_t *)buf + done, c);
		done += c;
		skip = 0;
	}
	return done;
}

int iov_slice(const struct iovec *iov, unsigned n, size_t skip, size_t len, struct iovec *out,
	      unsigned max)
{
	unsigned k = 0;
	size_t left = len;
	for (unsigned i = 0; i < n && left; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		if (k == max)
			return -1;
		size_t c = MIN(l - skip, left);
		out[k++] = (struct iovec){ .iov_base = (uint8_t *)iov[i].iov_base + skip, .iov_len = c };
		left -= c;
		skip = 0;
	}
	return left ? -1 : (int)k;
}
