/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Used by the chaos payloads (chaos_pci): a seeded PRNG,
 * the guest memory map, "safe garbage" addresses and the valid requests
 * that prove a device works again after the chaos.
 *
 * Safe garbage: a device only ever touches guest RAM where the driver tells
 * it to, so every address the chaos hands a device (ring addresses, buffer
 * and indirect-table addresses) is either inside the scratch area (the top
 * of low RAM, far from this image) or outside RAM altogether. Each 32-bit
 * half is safe on its own (low half: in scratch or >= the end of low RAM;
 * high half: 0 or above any high RAM), so a device combining halves from
 * different writes still cannot reach the payload's code, data or stack.
 */
#ifndef PAYLOAD_CHAOS_H
#define PAYLOAD_CHAOS_H

#include "virtio.h"

/* ---- PRNG (xoshiro128**, seeded with splitmix32) -------------------------- */

struct prng {
	uint32_t s[4];
};

void prng_seed(struct prng *p, uint32_t seed);
uint32_t prng_next(struct prng *p);
static inline uint32_t rnd_below(struct prng *p, uint32_t n)
{
	return (uint32_t)(((uint64_t)prng_next(p) * n) >> 32);
}
static inline bool rnd_pct(struct prng *p, unsigned pct)
{
	return rnd_below(p, 100) < pct;
}
/* 1, 2 or 4 */
static inline unsigned rnd_width(struct prng *p)
{
	return 1u << rnd_below(p, 3);
}
/* Random, or one of the values drivers and fuzzers love (0, ~0, 1, 0x80..). */
uint32_t rnd_value(struct prng *p);
void fill_random(struct prng *p, void *dst, uint32_t len);

/* seed=N on the command line (default: a fixed seed); printed. */
uint32_t chaos_seed(uint32_t dflt);

/* ---- guest memory ----------------------------------------------------------- */

struct chaos_mem {
	uint64_t low_top;  /* end of RAM below 4 GiB */
	uint64_t high_end; /* end of RAM above 4 GiB (4 GiB if none) */
	uint32_t scratch;  /* [scratch, low_top): the only RAM devices may touch */
	uint32_t scratch_size;
};
extern struct chaos_mem cmem;

/* Take the top `scratch_size` bytes of low RAM as scratch (fails the payload
 * if that would reach this image). */
void chaos_mem_init(const struct hvm_start_info *si, uint32_t scratch_size);
/* [a, a+len) lies inside one RAM region (what the VMM's gmem_ptr accepts). */
bool in_ram(uint64_t a, uint64_t len);
/* Safe halves and a safe 64-bit garbage address (see above). */
uint32_t safe_lo(struct prng *p);
uint32_t safe_hi(struct prng *p);
uint64_t safe_addr(struct prng *p);
/* Make any value a safe low / high half. */
uint32_t make_lo_safe(uint32_t lo);
uint32_t make_hi_safe(uint32_t hi);

/* ---- valid requests (after a proper reset) ---------------------------------- */

/* virtio-rng: reset, negotiate, queue 0, DRIVER_OK, read 16 bytes. */
void rng_check(struct vdev *d, unsigned slot);
/* virtio-blk: reset, negotiate, queue 0, DRIVER_OK, write one sector with a
 * seeded pattern, read it back, compare. */
void blk_check(struct vdev *d, unsigned slot, struct prng *p);
/* 64-bit capacity from the virtio-blk device config. */
uint64_t blk_capacity(struct vdev *d);

#endif
