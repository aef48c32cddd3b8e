/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Linux direct boot: load the kernel (and initrd, command line) named in the
 * VM's config into guest RAM and set vm->entry for vCPU 0.
 *
 * Two formats, told apart by their magic:
 *  - bzImage (x86 boot protocol 2.12+): the protected-mode part is loaded at
 *    pref_address (1 MiB if it does not fit), the zero page (boot_params)
 *    goes to LAYOUT_BOOT_PARAMS, entry is the 32-bit entry with
 *    %esi = boot_params;
 *  - ELF vmlinux (ELF64, or ELF32 like our test payloads) carrying the Xen
 *    PVH note XEN_ELFNOTE_PHYS32_ENTRY: PT_LOAD segments go to p_paddr, an
 *    hvm_start_info (version 1, with the E820 memmap) goes to
 *    LAYOUT_PVH_START_INFO, entry is the note's address with %ebx = start_info.
 *
 * Both enter in 32-bit flat protected mode with paging off (vcpu.c sets up
 * the segments). Every size and offset read from the files is untrusted and
 * bounds-checked. A device "boot" (order VMM_ORDER_LATE + 5, after ACPI so
 * vm->acpi_rsdp is known) calls boot_load() when --kernel is given.
 *
 * Guest reset recreates the whole VM, so loading again is just a new
 * vm_create(); the files are read again then (a rebuilt kernel is picked up).
 */
#ifndef PASSVM_BOOT_BOOT_H
#define PASSVM_BOOT_BOOT_H

#include <stdint.h>

#include "common/util.h"

struct vm;

/* Used when --append is not given. panic=-1 reboots at once on a panic
 * instead of hanging with no way to tell from the outside. */
#define BOOT_DEFAULT_CMDLINE "console=ttyS0 reboot=acpi panic=-1"

enum boot_format { BOOT_FORMAT_BZIMAGE = 1, BOOT_FORMAT_PVH = 2 };

/* Where a load put things (for logs and tests). */
struct boot_info {
	enum boot_format format;
	unsigned protocol;       /* bzImage: boot protocol, e.g. 0x20f */
	uint64_t kernel_addr;    /* lowest byte loaded */
	uint64_t kernel_end;     /* end of what the kernel claims (init_size, bss) */
	uint64_t initrd_addr;    /* 0 without an initrd */
	uint64_t initrd_size;
	uint64_t cmdline_addr;
	uint64_t params_addr;    /* boot_params or hvm_start_info */
};

/*
 * Load vm->cfg->kernel (required), ->initrd and ->cmdline (NULL: the
 * default above) into vm->mem per vm->layout, and fill vm->entry and
 * vm->entry_set. Uses vm->acpi_rsdp if ACPI ran first. `info` may be NULL.
 */
int boot_load(struct vm *vm, struct boot_info *info, struct error *err);

#endif
