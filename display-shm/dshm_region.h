/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A shared-memory region the guest can rewrite at any time, and the only
 * ways display-shm touches it: bounds checks with overflow-safe arithmetic,
 * single atomic loads/stores at checked, aligned offsets, and memcpy of a
 * checked range into private memory (a snapshot that is then validated).
 */
#ifndef PASSVM_DSHM_REGION_H
#define PASSVM_DSHM_REGION_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct dshm_region {
	uint8_t *base;
	uint64_t size;
};

/* [off, off+len) lies inside the region (no overflow for any inputs). */
static inline bool dshm_in(const struct dshm_region *r, uint64_t off, uint64_t len)
{
	return off <= r->size && len <= r->size - off;
}

/* The accessors below need a checked offset; alignment is the caller's
 * check too (misaligned atomics would split across cache lines). */
static inline uint32_t *dshm_p32(const struct dshm_region *r, uint64_t off)
{
	return (uint32_t *)(void *)(r->base + off);
}

static inline uint64_t *dshm_p64(const struct dshm_region *r, uint64_t off)
{
	return (uint64_t *)(void *)(r->base + off);
}

static inline uint32_t dshm_ld32(const struct dshm_region *r, uint64_t off)
{
	return __atomic_load_n(dshm_p32(r, off), __ATOMIC_ACQUIRE);
}

static inline uint64_t dshm_ld64(const struct dshm_region *r, uint64_t off)
{
	return __atomic_load_n(dshm_p64(r, off), __ATOMIC_ACQUIRE);
}

static inline void dshm_st32(const struct dshm_region *r, uint64_t off, uint32_t v)
{
	__atomic_store_n(dshm_p32(r, off), v, __ATOMIC_RELEASE);
}

static inline void dshm_st64(const struct dshm_region *r, uint64_t off, uint64_t v)
{
	__atomic_store_n(dshm_p64(r, off), v, __ATOMIC_RELEASE);
}

/* Copy a checked range out (a snapshot; the guest may race, we validate
 * the copy). Returns false when the range is outside the region. */
static inline bool dshm_read(const struct dshm_region *r, uint64_t off, void *dst, uint64_t len)
{
	if (!dshm_in(r, off, len))
		return false;
	memcpy(dst, r->base + off, len);
	return true;
}

#endif
