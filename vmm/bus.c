// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/bus.h"

#include <stdlib.h>
#include <string.h>

int bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	return pthread_rwlock_init(&b->lock, NULL) ? -1 : 0;
}

void bus_destroy(struct bus *b)
{
	free(b->ranges);
	b->ranges = NULL;
	b->nr = b->cap = 0;
	pthread_rwlock_destroy(&b->lock);
}

/* Index of the first range whose end is above addr (caller holds the lock). */
static unsigned bus_lower_bound(const struct bus *b, uint64_t addr)
{
	unsigned lo = 0, hi = b->nr;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &b->ranges[mid];
		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_ops *ops,
		 void *opaque, const char *name, struct error *err)
{
	if (!len || base + len < base)
		return err_setf(err, "%s: bad %s range 0x%llx+0x%llx", name, b->name,
				(unsigned long long)base, (unsigned long long)len);
	pthread_rwlock_wrlock(&b->lock);
	unsigned i = bus_lower_bound(b, base);
	if (i < b->nr && b->ranges[i].base < base + len) {
		const struct bus_range *o = &b->ranges[i];
		pthread_rwlock_unlock(&b->lock);
		return err_setf(err, "%s: %s range 0x%llx+0x%llx overlaps %s at 0x%llx+0x%llx", name,
				b->name, (unsigned long long)base, (unsigned long long)len, o->name,
				(unsigned long long)o->base, (unsigned long long)o->len);
	}
	if (b->nr == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *n = realloc(b->ranges, cap * sizeof(*n));
		if (!n) {
			pthread_rwlock_unlock(&b->lock);
			return err_setf(err, "out of memory");
		}
		b->ranges = n;
		b->cap = cap;
	}
	memmove(&b->ranges[i + 1], &b->ranges[i], (b->nr - i) * sizeof(*b->ranges));
	b->ranges[i] = (struct bus_range){ base, len, ops, opaque, name };
	b->nr++;
	pthread_rwlock_unlock(&b->lock);
	return 0;
}

int bus_unregister(struct bus *b, uint64_t base, void *opaque)
{
	int ret = -1;
	pthread_rwlock_wrlock(&b->lock);
	unsigned i = bus_lower_bound(b, base);
	if (i < b->nr && b->ranges[i].base == base && b->ranges[i].opaque == opaque) {
		memmove(&b->ranges[i], &b->ranges[i + 1], (b->nr - i - 1) * sizeof(*b->ranges));
		b->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

bool bus_access(struct bus *b, uint64_t addr, void *data, uint32_t len, bool is_write)
{
	struct bus_range r;
	bool found = false;
	pthread_rwlock_rdlock(&b->lock);
	unsigned i = bus_lower_bound(b, addr);
	if (i < b->nr && b->ranges[i].base <= addr) {
		r = b->ranges[i];
		found = true;
	}
	pthread_rwlock_unlock(&b->lock);

	/* An access straddling the end of a range is only partly the device's:
	 * treat it as unclaimed rather than pass an out-of-range offset. */
	if (!found || addr - r.base + len > r.len) {
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	if (is_write) {
		if (r.ops->write)
			r.ops->write(r.opaque, addr - r.base, data, len);
	} else {
		if (r.ops->read)
			r.ops->read(r.opaque, addr - r.base, data, len);
		else
			memset(data, 0xff, len);
	}
	return true;
}
