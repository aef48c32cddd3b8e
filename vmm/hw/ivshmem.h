/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ivshmem-plain (ivshmem.c): a PCI device whose BAR2 is host shared memory,
 * for the subsystems that talk to the guest through one: display-shm (a
 * file that `passvm view` opens by path) and audio's Scream ring (an
 * anonymous memfd that only passvm reads). The guest tells the instances
 * apart by BAR2's size, as Looking Glass and Scream's Windows drivers do.
 */
#ifndef PASSVM_IVSHMEM_H
#define PASSVM_IVSHMEM_H

#include <stdint.h>

#include "common/util.h"

struct vm;
struct ivshmem;

struct ivshmem_params {
	const char *name;   /* "ivshmem-display": PCI name and log prefix */
	const char *path;   /* the host file; NULL: an anonymous memfd */
	uint64_t size;      /* bytes, a power of two */
};

/*
 * Create the device on vm's PCI bus; vm_destroy() removes it (after every
 * device added later, so a user of the memory added after it goes first).
 */
struct ivshmem *ivshmem_create(struct vm *vm, const struct ivshmem_params *p, struct error *err);
/* The shared memory, ivshmem_size() bytes, mapped for the device's life. */
uint8_t *ivshmem_memory(const struct ivshmem *s);
uint64_t ivshmem_size(const struct ivshmem *s);

/* Open or create the file (power-of-two size, grown if smaller, refused if
 * larger), lock it exclusively, map it shared. Never unlinks. */
int ivshmem_open_file(const char *path, uint64_t size, int *fd_out, uint8_t **map_out,
		      struct error *err);

#endif
