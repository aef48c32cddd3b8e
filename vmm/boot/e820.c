// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/boot/e820.h"

#include <string.h>

/* KVM_SET_TSS_ADDR takes three pages; the identity map page sits below them. */
#define E820_KVM_PAGES_END (LAYOUT_KVM_TSS + 3 * 4096)

static int e820_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type,
		    struct error *err)
{
	if (!size)
		return 0;
	if (map->nr >= E820_MAX_ENTRIES)
		return err_setf(err, "internal error: the E820 map has more than %d entries",
				E820_MAX_ENTRIES);
	map->entries[map->nr++] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
	return 0;
}

int e820_build(const struct layout *l, struct e820_map *map, struct error *err)
{
	memset(map, 0, sizeof(*map));
	if (l->low_ram_end <= LAYOUT_HIGH_MEM_START || l->low_ram_end > LAYOUT_32BIT_HOLE_START)
		return err_setf(err, "guest RAM below 4 GiB ends at 0x%llx: it must reach past 1 MiB "
				"and stop at the PCI hole (0x%llx)",
				(unsigned long long)l->low_ram_end,
				(unsigned long long)LAYOUT_32BIT_HOLE_START);
	if (l->high_ram_size > UINT64_MAX - LAYOUT_4GIB)
		return err_setf(err, "guest RAM above 4 GiB (%llu bytes) overflows the address space",
				(unsigned long long)l->high_ram_size);

	if (e820_add(map, 0, LAYOUT_EBDA_START, E820_RAM, err) ||
	    e820_add(map, LAYOUT_EBDA_START, LAYOUT_HIGH_MEM_START - LAYOUT_EBDA_START,
		     E820_RESERVED, err) ||
	    e820_add(map, LAYOUT_HIGH_MEM_START, l->low_ram_end - LAYOUT_HIGH_MEM_START, E820_RAM,
		     err) ||
	    e820_add(map, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, E820_RESERVED, err) ||
	    e820_add(map, LAYOUT_KVM_IDENTITY_MAP, E820_KVM_PAGES_END - LAYOUT_KVM_IDENTITY_MAP,
		     E820_RESERVED, err) ||
	    e820_add(map, LAYOUT_4GIB, l->high_ram_size, E820_RAM, err))
		return -1;
	return 0;
}
