// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the split virtqueue parser. The input is a hostile
 * driver: it picks the queue size, features and (optionally) ring addresses,
 * provides the whole guest RAM image (descriptor table, rings, indirect
 * tables) and a script of 16-bit guest writes applied between device
 * operations (the driver racing the device). Guest RAM is two small malloc'd
 * regions with a hole between them, sized exactly, so ASan flags any access
 * outside RAM. Every popped buffer is read (readable part) and written
 * (writable part) in full.
 *
 * Input: [0] size code [1] flags [2] max pops [3] script entries
 *        [4..5] raw size [6..29] desc/avail/used addresses, then the RAM
 *        image, then the script (4 bytes each: le16 offset, le16 value).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/memory.h"
#include "vmm/virtio/virtqueue.h"

#define R0_SIZE (64 * 1024)
#define R1_GPA  0x100000000ULL
#define R1_SIZE (16 * 1024)
#define HDR     30

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *r0, *r1;
	static struct virtqueue vq;
	static bool init;
	if (!init) {
		r0 = malloc(R0_SIZE);
		r1 = malloc(R1_SIZE);
		if (!r0 || !r1 || vq_init(&vq, 0, 256) < 0)
			abort();
		init = true;
	}
	if (size < HDR)
		return 0;
	struct gmem mem = { .fd = -1, .nr_regions = 2 };
	mem.regions[0] = (struct gmem_region){ .gpa = 0, .size = R0_SIZE, .host = r0 };
	mem.regions[1] = (struct gmem_region){ .gpa = R1_GPA, .size = R1_SIZE, .host = r1 };

	uint8_t flags = data[1];
	unsigned max_pops = data[2] + 1u;
	size_t script = (size_t)data[3] * 4;
	const uint8_t *img = data + HDR;
	size_t img_len = size - HDR;
	if (script > img_len)
		script = img_len & ~(size_t)3;
	img_len -= script;
	const uint8_t *sc = img + img_len;

	memset(r0, 0, R0_SIZE);
	memset(r1, 0, R1_SIZE);
	memcpy(r0, img, img_len < R0_SIZE ? img_len : R0_SIZE);
	if (img_len > R0_SIZE)
		memcpy(r1, img + R0_SIZE, img_len - R0_SIZE < R1_SIZE ? img_len - R0_SIZE : R1_SIZE);

	vq_reset(&vq);
	if (data[0] & 0x80) {
		uint16_t raw;
		memcpy(&raw, data + 4, 2);
		vq.size = raw;
	} else {
		vq.size = (uint16_t)(1u << (data[0] % 10)); /* 1..512: 512 is over the max */
	}
	if (flags & 4) {
		vq.desc_gpa = rd64(data + 6);
		vq.avail_gpa = rd64(data + 14);
		vq.used_gpa = rd64(data + 22);
	} else {
		vq.desc_gpa = 0x0000;
		vq.avail_gpa = 0x2000;
		vq.used_gpa = (flags & 8) ? R1_GPA : 0x3000;
	}
	const char *why = NULL;
	if (vq_enable(&vq, &mem, flags & 1, flags & 2, &why) < 0)
		return 0;

	volatile uint8_t sink = 0;
	for (unsigned i = 0; i < max_pops; i++) {
		if (script >= 4) {
			uint16_t off, val;
			memcpy(&off, sc, 2);
			memcpy(&val, sc + 2, 2);
			if ((size_t)off + 2 <= R0_SIZE)
				memcpy(r0 + off, &val, 2);
			sc += 4;
			script -= 4;
		}
		struct vq_elem el;
		int r = vq_pop(&vq, &el);
		if (r < 0) {
			if (!vq.broken || !vq.why)
				abort();
			break;
		}
		if (r == 0) {
			if (!vq_enable_notify(&vq))
				break;
			continue;
		}
		if (el.nr_out + el.nr_in > VQ_MAX_SEGS || el.head >= vq.size)
			abort();
		for (unsigned k = 0; k < el.nr_out; k++)
			for (size_t b = 0; b < el.iov[k].iov_len; b++)
				sink ^= ((const uint8_t *)el.iov[k].iov_base)[b];
		for (unsigned k = el.nr_out; k < el.nr_out + el.nr_in; k++)
			if (!el.iov[k].iov_base || !el.iov[k].iov_len)
				abort(); /* the parser promises no empty segments */
			else
				memset(el.iov[k].iov_base, 0xA5, el.iov[k].iov_len);
		/* The iov helpers on the same element. */
		uint8_t buf[64];
		struct iovec sl[8];
		iov_to_buf(el.iov, el.nr_out, data[5] % 32, buf, sizeof(buf));
		iov_from_buf(el.iov + el.nr_out, el.nr_in, data[4] % 32, buf, sizeof(buf));
		iov_slice(el.iov, el.nr_out + el.nr_in, data[4] % 16, 100, sl, 8);
		vq_push(&vq, el.head, el.in_len > UINT32_MAX ? UINT32_MAX : (uint32_t)el.in_len);
		if (i & 1)
			vq_should_notify(&vq);
	}
	vq_should_notify(&vq);
	(void)sink;
	return 0;
}
