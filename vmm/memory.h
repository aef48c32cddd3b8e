/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest RAM: one memfd (so VFIO can map it for DMA and other processes can
 * share pages), optionally hugetlbfs-backed, mapped once into the VMM and
 * split into KVM memslots around the 32-bit PCI hole.
 *
 * Every guest-physical access made on the guest's behalf goes through
 * gmem_ptr(), which checks the whole [gpa, gpa+len) range lies inside one RAM
 * region (overflow-safe). Addresses come from a hostile guest: never add an
 * offset to a returned pointer without asking gmem_ptr() for that range.
 */
#ifndef PASSVM_MEMORY_H
#define PASSVM_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/layout.h"

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;     /* host address of gpa */
	uint64_t fd_offset; /* offset of this region in the memfd */
};

enum gmem_hugepages { GMEM_HUGE_NONE, GMEM_HUGE_2M, GMEM_HUGE_1G };

struct gmem {
	int fd;             /* the memfd holding all RAM */
	uint8_t *base;      /* whole memfd mapped here */
	uint64_t size;      /* bytes of RAM */
	enum gmem_hugepages huge;
	unsigned nr_regions;
	struct gmem_region regions[GMEM_MAX_REGIONS];
};

/*
 * Create RAM per the layout. With hugepages, checks the host's free pool
 * first and fails with the number needed and the sysctl to set. Prefault is
 * done for hugetlb so a short pool fails here, not with SIGBUS later.
 */
int gmem_create(struct gmem *m, const struct layout *l, enum gmem_hugepages huge,
		const char *hugetlb_sysfs_root, struct error *err);
/* Register the regions as memslots on a KVM VM fd (slots 0..nr-1). */
int gmem_register(const struct gmem *m, int vm_fd, struct error *err);
void gmem_destroy(struct gmem *m);

/* Host pointer for [gpa, gpa+len) or NULL if any byte is not RAM. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Copy helpers that bounds-check; return -1 when the range is not RAM. */
int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len);
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len);

#endif
