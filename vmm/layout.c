// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/layout.h"

#include "common/util.h"

/* A 64-bit window this large fits several rebar'd GPUs (a 24 GiB card's BAR
 * is 32 GiB). It shrinks on CPUs with few physical address bits. */
#define MMIO64_WANTED (256 * GiB)
#define MMIO64_MIN    (4 * GiB)

int layout_compute(struct layout *l, uint64_t ram_size, unsigned phys_bits)
{
	if (phys_bits < 36 || phys_bits > 52)
		phys_bits = 36;
	uint64_t addr_limit = 1ULL << phys_bits;

	l->ram_size = ram_size;
	l->low_ram_end = MIN(ram_size, LAYOUT_32BIT_HOLE_START);
	l->high_ram_size = ram_size - l->low_ram_end;

	uint64_t top = LAYOUT_4GIB + l->high_ram_size;
	l->mmio64_base = ALIGN_UP(top, 1 * GiB);
	if (l->mmio64_base >= addr_limit || addr_limit - l->mmio64_base < MMIO64_MIN)
		return -1;
	l->mmio64_size = MIN(MMIO64_WANTED, addr_limit - l->mmio64_base);
	/* Keep the window naturally aligned for its largest BAR. */
	uint64_t align = 1ULL << (63 - __builtin_clzll(l->mmio64_size));
	uint64_t aligned = ALIGN_UP(l->mmio64_base, align);
	if (aligned + align <= addr_limit) {
		l->mmio64_base = aligned;
		l->mmio64_size = align;
	}
	return 0;
}
