// SPDX-License-Identifier: GPL-2.0-only
/* Helpers shared by the chaos payloads; see chaos.h. */
#include "chaos.h"

extern const char __image_end[];

struct chaos_mem cmem;

/* ---- PRNG ---------------------------------------------------------------- */

static uint32_t splitmix32(uint32_t *x)
{
	uint32_t z = (*x += 0x9e3779b9u);
	z = (z ^ (z >> 16)) * 0x85ebca6bu;
	z = (z ^ (z >> 13)) * 0xc2b2ae35u;
	return z ^ (z >> 16);
}

void prng_seed(struct prng *p, uint32_t seed)
{
	uint32_t x = seed;
	for (unsigned i = 0; i < 4; i++)
		p->s[i] = splitmix32(&x);
	if (!(p->s[0] | p->s[1] | p->s[2] | p->s[3]))
		p->s[0] = 1;
}

static inline uint32_t rotl(uint32_t x, int k)
{
	return (x << k) | (x >> (32 - k));
}

uint32_t prng_next(struct prng *p)
{
	uint32_t *s = p->s;
	uint32_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 9;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 11);
	return r;
}

uint32_t rnd_value(struct prng *p)
{
	static const uint32_t special[] = {
		0, 0xffffffffu, 1, 2, 4, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
		0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xdeadbeefu,
	};
	if (rnd_pct(p, 30))
		return special[rnd_below(p, sizeof(special) / sizeof(special[0]))];
	uint32_t v = prng_next(p);
	switch (rnd_below(p, 4)) {
	case 0: return v & 0xff;
	case 1: return v & 0xffff;
	default: return v;
	}
}

void fill_random(struct prng *p, void *dst, uint32_t len)
{
	uint8_t *d = dst;
	while (len >= 4) {
		uint32_t v = prng_next(p);
		memcpy(d, &v, 4);
		d += 4;
		len -= 4;
	}
	while (len--)
		*d++ = (uint8_t)prng_next(p);
}

uint32_t chaos_seed(uint32_t dflt)
{
	uint32_t seed = parse_u32(cmdline_get("seed"), dflt);
	pr("  seed=%u\n", seed);
	return seed;
}

/* ---- memory ---------------------------------------------------------------- */

void chaos_mem_init(const struct hvm_start_info *si, uint32_t scratch_size)
{
	CHECK(si->version >= 1 && si->memmap_paddr && si->memmap_entries,
	      "no PVH memory map (start_info version %u)", si->version);
	const struct hvm_memmap_entry *m =
		(const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
	cmem.low_top = 0;
	cmem.high_end = 0x100000000ull;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (m[i].type != 1)
			continue;
		uint64_t end = m[i].addr + m[i].size;
		if (m[i].addr < 0x100000000ull && end > cmem.low_top)
			cmem.low_top = end;
		if (end > cmem.high_end)
			cmem.high_end = end;
	}
	CHECK(cmem.low_top > (uintptr_t)__image_end + scratch_size + 0x100000,
	      "low RAM ends at 0x%llx: too small for a %u-byte scratch area above the image",
	      cmem.low_top, scratch_size);
	cmem.scratch = (uint32_t)cmem.low_top - scratch_size;
	cmem.scratch_size = scratch_size;
	pr("  RAM: low up to 0x%llx, high up to 0x%llx; device-visible scratch 0x%08x-0x%08llx\n",
	   cmem.low_top, cmem.high_end, cmem.scratch, cmem.low_top - 1);
}

bool in_ram(uint64_t a, uint64_t len)
{
	if (a + len < a)
		return false;
	if (a + len <= cmem.low_top)
		return true;
	return a >= 0x100000000ull && a + len <= cmem.high_end;
}

uint32_t make_lo_safe(uint32_t lo)
{
	if (lo >= cmem.low_top || lo >= cmem.scratch)
		return lo;
	return cmem.scratch + lo % cmem.scratch_size;
}

uint32_t make_hi_safe(uint32_t hi)
{
	if (!hi || ((uint64_t)hi << 32) >= cmem.high_end)
		return hi;
	return hi | 0x80000000u;
}

uint32_t safe_lo(struct prng *p)
{
	uint32_t top = (uint32_t)cmem.low_top;
	uint32_t r = rnd_below(p, 100);
	if (r < 45) { /* in scratch, usually aligned */
		uint32_t a = cmem.scratch + rnd_below(p, cmem.scratch_size);
		return rnd_pct(p, 70) ? a & ~15u : a;
	}
	if (r < 55) /* at the very top of RAM: any length runs out of it */
		return top - 1 - rnd_below(p, 4096);
	if (r < 80) {
		static const uint32_t hole[] = {
			ECAM_BASE, MMIO32_BASE, IOAPIC_BASE, LAPIC_BASE, 0xfeffc000u, 0xfffff000u,
			0xfffffff0u, 0xfffffffcu, 0xffffffffu, 0xc0000000u, 0xfebf0000u,
		};
		uint32_t a = hole[rnd_below(p, sizeof(hole) / sizeof(hole[0]))];
		if (rnd_pct(p, 40))
			a += rnd_below(p, 0x10000) & ~15u;
		return a < top ? top : a;
	}
	if (r < 88) /* just past the end of low RAM */
		return top + (rnd_below(p, 0x2000) & ~3u);
	return make_lo_safe(prng_next(p));
}

uint32_t safe_hi(struct prng *p)
{
	if (rnd_pct(p, 70))
		return 0;
	static const uint32_t hi[] = { 1, 2, 0xf, 0xff, 0xffff, 0x7fffffffu, 0xffffffffu };
	return make_hi_safe(rnd_pct(p, 50) ? hi[rnd_below(p, 7)] : prng_next(p));
}

uint64_t safe_addr(struct prng *p)
{
	uint32_t lo = safe_lo(p);
	return ((uint64_t)safe_hi(p) << 32) | lo;
}

/* ---- valid requests ---------------------------------------------------------- */

static bool used_ready(void *q)
{
	return vq_has_used(q);
}

static uint8_t rbuf[64] __attribute__((aligned(64)));

void rng_check(struct vdev *d, unsigned slot)
{
	struct vq q;
	virtio_negotiate(d, 0);
	virtio_vq_setup(d, &q, 0, 8, VIRTIO_MSI_NO_VECTOR, slot);
	virtio_driver_ok(d);
	memset(rbuf, 0, sizeof(rbuf));
	uint16_t id = vq_add(&q, (uint32_t)(uintptr_t)rbuf, 16, true);
	vq_kick(&q);
	CHECK(wait_until(used_ready, &q, WAIT_LONG),
	      "virtio-rng after chaos: no used buffer for a valid 16-byte request (status 0x%x)",
	      virtio_status(d));
	uint32_t uid, len;
	CHECK(vq_get(&q, &uid, &len) && uid == id && len == 16,
	      "virtio-rng after chaos: used id %u len %u, want id %u len 16", uid, len, id);
	unsigned nz = 0;
	for (unsigned i = 0; i < 16; i++)
		nz += rbuf[i] != 0;
	CHECK(nz, "virtio-rng after chaos: 16 zero bytes");
	for (unsigned i = 16; i < sizeof(rbuf); i++)
		CHECK(!rbuf[i], "virtio-rng after chaos: wrote past the 16-byte buffer");
	CHECK(!(virtio_status(d) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)),
	      "virtio-rng after chaos: status 0x%x", virtio_status(d));
	pr("  virtio-rng: valid 16-byte request after the chaos ok: %02x %02x %02x %02x ...\n",
	   rbuf[0], rbuf[1], rbuf[2], rbuf[3]);
	virtio_reset(d);
}

uint64_t blk_capacity(struct vdev *d)
{
	CHECK(d->devcfg, "virtio-blk has no device config capability");
	uint32_t lo = mmio_read32(d->devcfg), hi = mmio_read32(d->devcfg + 4);
	return ((uint64_t)hi << 32) | lo;
}

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};
static struct blk_hdr bhdr __attribute__((aligned(16)));
static uint8_t bdata[512] __attribute__((aligned(512)));
static uint8_t bpattern[512];
static volatile uint8_t bstatus;

/* One request as header + data + status descriptors at d0..d0+2. */
static void blk_req(struct vdev *d, struct vq *q, uint16_t d0, uint32_t type, uint64_t sector)
{
	bhdr = (struct blk_hdr){ type, 0, sector };
	bstatus = 0xa5;
	uint16_t n = q->size;
	uint16_t d1 = (uint16_t)((d0 + 1) % n), d2 = (uint16_t)((d0 + 2) % n);
	q->desc[d0] = (struct vring_desc){ (uint32_t)(uintptr_t)&bhdr, 16, VRING_DESC_F_NEXT, d1 };
	q->desc[d1] = (struct vring_desc){ (uint32_t)(uintptr_t)bdata, 512,
					   (uint16_t)(VRING_DESC_F_NEXT | (type == 0 ? VRING_DESC_F_WRITE : 0)), d2 };
	q->desc[d2] = (struct vring_desc){ (uint32_t)(uintptr_t)&bstatus, 1, VRING_DESC_F_WRITE, 0 };
	q->avail->ring[q->avail_idx % n] = d0;
	mb();
	q->avail_idx++;
	q->avail->idx = q->avail_idx;
	mb();
	vq_kick(q);
	CHECK(wait_until(used_ready, q, WAIT_LONG),
	      "virtio-blk after chaos: no completion for %s of sector %llu (status 0x%x)",
	      type ? "write" : "read", sector, virtio_status(d));
	uint32_t uid, len;
	CHECK(vq_get(q, &uid, &len) && uid == d0, "virtio-blk after chaos: used id %u, want %u", uid, d0);
	CHECK(bstatus == 0, "virtio-blk after chaos: %s of sector %llu: status %u",
	      type ? "write" : "read", sector, bstatus);
	if (type == 0)
		CHECK(len == 513, "virtio-blk after chaos: read used len %u, want 513", len);
}

void blk_check(struct vdev *d, unsigned slot, struct prng *p)
{
	struct vq q;
	uint64_t cap = blk_capacity(d);
	CHECK(cap >= 1, "virtio-blk: capacity %llu", cap);
	virtio_negotiate(d, 0);
	virtio_vq_setup(d, &q, 0, 8, VIRTIO_MSI_NO_VECTOR, slot);
	virtio_driver_ok(d);
	uint64_t sector = cap > 1 ? rnd_below(p, cap > 0xffffffffull ? 0xffffffffu : (uint32_t)cap) : 0;
	fill_random(p, bpattern, sizeof(bpattern));
	memcpy(bdata, bpattern, sizeof(bdata));
	blk_req(d, &q, 0, 1 /* VIRTIO_BLK_T_OUT */, sector);
	memset(bdata, 0, sizeof(bdata));
	blk_req(d, &q, 3, 0 /* VIRTIO_BLK_T_IN */, sector);
	CHECK(!memcmp(bdata, bpattern, sizeof(bdata)),
	      "virtio-blk after chaos: sector %llu reads back different from what was written", sector);
	CHECK(!(virtio_status(d) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)),
	      "virtio-blk after chaos: status 0x%x", virtio_status(d));
	pr("  virtio-blk: valid write + read back of sector %llu (of %llu) after the chaos ok\n",
	   sector, cap);
	virtio_reset(d);
}
