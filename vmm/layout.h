/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest-physical memory map (x86-64). One place, so the E820 table, the
 * ACPI tables, the PCI BAR allocator and the loaders agree.
 *
 *   0x0000_0000 .. 0x0009_FC00   RAM (real-mode area, zero page, cmdline, PVH info)
 *   0x0009_FC00 .. 0x000A_0000   reserved (EBDA)
 *   0x000A_0000 .. 0x000E_0000   VGA/ROM hole (not RAM)
 *   0x000E_0000 .. 0x0010_0000   "BIOS" area: ACPI tables + RSDP (reserved in E820)
 *   0x0010_0000 .. low_ram_end   RAM, low_ram_end = min(RAM, MEM_32BIT_HOLE_START)
 *   0xB000_0000 .. 0xC000_0000   PCIe ECAM (256 buses), reserved in E820, in MCFG
 *   0xC000_0000 .. 0xFEC0_0000   32-bit PCI MMIO window (BARs < 4 GiB)
 *   0xFEC0_0000                  IOAPIC
 *   0xFEE0_0000                  LAPIC
 *   0xFEFF_C000 .. 0xFF00_0000   KVM identity map page + TSS (Intel needs them)
 *   0xFFC0_0000 .. 4 GiB         firmware flash (OVMF, later)
 *   4 GiB .. 4 GiB + rest        RAM above the hole
 *   mmio64_base ..               64-bit PCI MMIO window (huge GPU BARs),
 *                                1 GiB-aligned above RAM, size from the CPU's
 *                                physical address width (see layout_mmio64()).
 */
#ifndef PASSVM_LAYOUT_H
#define PASSVM_LAYOUT_H

#include <stdint.h>

#define LAYOUT_EBDA_START        0x0009FC00ULL
#define LAYOUT_BIOS_START        0x000E0000ULL /* ACPI tables live here */
#define LAYOUT_BIOS_END          0x00100000ULL
#define LAYOUT_HIGH_MEM_START    0x00100000ULL

/* Boot-time structures in low RAM (all below the EBDA). */
#define LAYOUT_GDT_ADDR          0x00000500ULL
#define LAYOUT_PVH_START_INFO    0x00006000ULL
#define LAYOUT_PVH_MEMMAP        0x00006800ULL /* hvm_memmap_table entries */
#define LAYOUT_PVH_MODLIST       0x00007800ULL
#define LAYOUT_BOOT_PARAMS       0x00007000ULL /* bzImage zero page */
#define LAYOUT_BOOT_STACK        0x00008FF0ULL
#define LAYOUT_CMDLINE           0x00020000ULL
#define LAYOUT_CMDLINE_MAX       0x00010000ULL
#define LAYOUT_ACPI_START        LAYOUT_BIOS_START
#define LAYOUT_ACPI_MAX          0x00020000ULL

#define LAYOUT_32BIT_HOLE_START  0xB0000000ULL /* RAM stops here */
#define LAYOUT_ECAM_BASE         0xB0000000ULL
#define LAYOUT_ECAM_SIZE         0x10000000ULL /* 256 buses x 1 MiB */
#define LAYOUT_MMIO32_BASE       0xC0000000ULL
#define LAYOUT_MMIO32_END        0xFEC00000ULL
#define LAYOUT_IOAPIC_BASE       0xFEC00000ULL
#define LAYOUT_LAPIC_BASE        0xFEE00000ULL
#define LAYOUT_KVM_IDENTITY_MAP  0xFEFFC000ULL
#define LAYOUT_KVM_TSS           0xFEFFD000ULL
#define LAYOUT_FLASH_BASE        0xFFC00000ULL
#define LAYOUT_4GIB              0x100000000ULL

/* Legacy I/O ports the platform uses. */
#define LAYOUT_PORT_COM1         0x3F8
#define LAYOUT_IRQ_COM1          4
#define LAYOUT_PORT_PMBASE       0x600 /* the LPC bridge's ACPI PM block (ICH9) */
#define LAYOUT_PORT_PM1A_EVT     0x600 /* 4 bytes: PM1 status + enable */
#define LAYOUT_PORT_PM1A_CNT     0x604 /* 2 bytes */
#define LAYOUT_PORT_PM_TMR       0x608 /* 4 bytes: the ACPI PM timer */
#define LAYOUT_IRQ_SCI           9
#define LAYOUT_PORT_RESET        0xCF9 /* FADT reset register, like q35 */
#define LAYOUT_PORT_PCI_IO_BASE  0x1000 /* PCI I/O BAR window */
#define LAYOUT_PORT_PCI_IO_END   0x10000

struct layout {
	uint64_t ram_size;      /* total guest RAM */
	uint64_t low_ram_end;   /* end of RAM below the 32-bit hole */
	uint64_t high_ram_size; /* RAM at 4 GiB and above */
	uint64_t mmio64_base;
	uint64_t mmio64_size;
};

/*
 * Compute the map for `ram_size` bytes of RAM on a CPU with `phys_bits`
 * physical address bits. Returns -1 when RAM + a 64-bit window do not fit.
 */
int layout_compute(struct layout *l, uint64_t ram_size, unsigned phys_bits);

#endif
