// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtqueue: a polled virtio 1.x driver for virtio-rng: find the device,
 * walk its capabilities, reset, negotiate VERSION_1, set up queue 0 in
 * guest RAM (a small queue so the indices wrap the ring many times),
 * post write-only buffers, notify, poll the used ring and check random
 * bytes arrived. Also a two-descriptor chain and a reset at the end.
 */
#include "virtio.h"

const char payload_name[] = "virtqueue";

static uint8_t buf[4096] __attribute__((aligned(64)));

static bool has_used(void *q)
{
	return vq_has_used(q);
}

static uint32_t nonzero(const uint8_t *p, uint32_t n)
{
	uint32_t c = 0;
	for (uint32_t i = 0; i < n; i++)
		c += p[i] != 0;
	return c;
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	struct vdev d;
	struct vq q;
	unsigned rounds = parse_u32(cmdline_get("rounds"), 40);

	virtio_open(&d, VIRTIO_ID_RNG, true);
	virtio_negotiate(&d, 0);
	virtio_vq_setup(&d, &q, 0, 8, VIRTIO_MSI_NO_VECTOR, 0);
	virtio_driver_ok(&d);
	pr("  queue 0: size %u, notify at 0x%08x (multiplier %u)\n", q.size, (uint32_t)q.notify,
	   d.notify_mult);

	uint64_t total = 0, nz = 0, t0 = rdtsc();
	for (unsigned r = 0; r < rounds; r++) {
		memset(buf, 0, 64);
		uint16_t id = vq_add(&q, (uint32_t)(uintptr_t)buf, 64, true);
		vq_kick(&q);
		CHECK(wait_until(has_used, &q, WAIT_LONG),
		      "round %u: no used buffer after notify (used.idx %u, status 0x%x)", r,
		      q.used->idx, virtio_status(&d));
		uint32_t uid, len;
		CHECK(vq_get(&q, &uid, &len), "round %u: used ring empty", r);
		CHECK(uid == id, "round %u: used id %u, posted %u", r, uid, id);
		CHECK(len > 0 && len <= 64, "round %u: used len %u for a 64-byte buffer", r, len);
		CHECK(!vq_has_used(&q), "round %u: extra used entries", r);
		total += len;
		nz += nonzero(buf, len);
		if (r == 0) {
			pr("  first buffer (%u bytes):", len);
			for (unsigned i = 0; i < 16 && i < len; i++)
				pr(" %02x", buf[i]);
			pr("\n");
		}
		/* Bytes beyond len must not have been written. */
		if (len < 64)
			CHECK(!nonzero(buf + len, 64 - len), "round %u: device wrote past used len", r);
	}
	uint64_t dt = rdtsc() - t0;
	CHECK(nz * 2 > total, "random bytes are mostly zero (%llu of %llu non-zero)", nz, total);
	pr("  %u requests, %llu bytes, %llu non-zero, %llu cycles per request\n", rounds, total, nz,
	   udiv64(dt, rounds, NULL));

	/* A two-descriptor chain: the device must fill across both. */
	memset(buf, 0, 128);
	uint16_t h = q.avail_idx % q.size, n2 = (uint16_t)((h + 1) % q.size);
	q.desc[h] = (struct vring_desc){ (uint32_t)(uintptr_t)buf, 32,
					 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, n2 };
	q.desc[n2] = (struct vring_desc){ (uint32_t)(uintptr_t)(buf + 64), 32, VRING_DESC_F_WRITE, 0 };
	q.avail->ring[q.avail_idx % q.size] = h;
	mb();
	q.avail_idx++;
	q.avail->idx = q.avail_idx;
	mb();
	vq_kick(&q);
	CHECK(wait_until(has_used, &q, WAIT_LONG), "chain: no used buffer");
	uint32_t uid, len;
	vq_get(&q, &uid, &len);
	CHECK(uid == h, "chain: used id %u, head %u", uid, h);
	CHECK(len > 0 && len <= 64, "chain: used len %u", len);
	if (len > 32)
		CHECK(nonzero(buf + 64, len - 32), "chain: used len %u but 2nd descriptor untouched", len);
	pr("  2-descriptor chain: %u bytes\n", len);

	/* Reset: status and queue_enable go back to 0. */
	virtio_reset(&d);
	mmio_write16(d.common + VCC_Q_SELECT, 0);
	CHECK(mmio_read16(d.common + VCC_Q_ENABLE) == 0, "queue still enabled after reset");
	pr("  reset ok\n");
	return 0;
}
