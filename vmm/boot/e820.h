/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's physical memory map as both boot paths hand it over: the
 * bzImage zero page (boot_params.e820_table) and the PVH start_info memmap
 * (hvm_memmap_table_entry) use the same type numbers, so one neutral table
 * feeds both.
 */
#ifndef PASSVM_BOOT_E820_H
#define PASSVM_BOOT_E820_H

#include <stdint.h>

#include "common/util.h"
#include "vmm/layout.h"

/* Type numbers shared by E820 and XEN_HVM_MEMMAP_TYPE_*. */
enum e820_type {
	E820_RAM = 1,
	E820_RESERVED = 2,
	E820_ACPI = 3,
	E820_NVS = 4,
	E820_UNUSABLE = 5,
};

#define E820_MAX_ENTRIES 16

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct e820_map {
	unsigned nr;
	struct e820_entry entries[E820_MAX_ENTRIES];
};

/*
 * Build the map for `l`, sorted by address, non-overlapping:
 *   RAM       [0, EBDA)
 *   reserved  [EBDA, 1 MiB)       EBDA, VGA hole, "BIOS" area with the ACPI tables
 *   RAM       [1 MiB, low_ram_end)
 *   reserved  ECAM                Linux only trusts MCFG when E820 reserves it
 *   reserved  KVM identity map + TSS pages
 *   RAM       [4 GiB, 4 GiB + high_ram_size)
 * Fails if the layout leaves no RAM above 1 MiB.
 */
int e820_build(const struct layout *l, struct e820_map *map, struct error *err);

#endif
