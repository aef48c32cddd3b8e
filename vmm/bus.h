/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The I/O bus: PIO and MMIO ranges that devices register; vCPU threads
 * dispatch KVM_EXIT_IO / KVM_EXIT_MMIO through it.
 *
 * Locking rule (read before adding a device):
 *  - The range table is guarded by a rwlock. A lookup copies the matching
 *    entry under the read lock and calls the handler with NO bus lock held,
 *    so a handler may itself register/unregister ranges (PCI BAR moves).
 *  - Handlers run concurrently on any vCPU thread. A device guards its own
 *    state with its own mutex; the bus never serialises devices.
 *  - After bus_unregister() returns, a handler may still be running or
 *    receive one late call from a vCPU that looked it up before; devices
 *    therefore stay allocated until the VM is torn down (after all vCPU
 *    threads are joined), and check their own "enabled" state.
 *  - Reads of unclaimed space return all ones; writes are dropped.
 */
#ifndef PASSVM_BUS_H
#define PASSVM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

struct bus_ops {
	/* offset is relative to the registered base; len is 1, 2, 4 or 8. */
	void (*read)(void *opaque, uint64_t offset, void *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const void *data, uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name;           /* "pio" or "mmio", for messages */
	pthread_rwlock_t lock;
	struct bus_range *ranges;   /* sorted by base, non-overlapping */
	unsigned nr, cap;
};

int bus_init(struct bus *b, const char *name);
void bus_destroy(struct bus *b);
/* Fails (naming both owners) if the range overlaps an existing one. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_ops *ops,
		 void *opaque, const char *name, struct error *err);
/* Remove the range registered at exactly `base` with this opaque. */
int bus_unregister(struct bus *b, uint64_t base, void *opaque);
/* Dispatch; returns false when nothing claims addr (data then reads ~0). */
bool bus_access(struct bus *b, uint64_t addr, void *data, uint32_t len, bool is_write);

#endif
