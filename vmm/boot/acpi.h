/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI tables for direct boot, written into the E820-reserved "BIOS" area
 * at LAYOUT_ACPI_START (at most LAYOUT_ACPI_MAX bytes). The RSDP comes first,
 * 16-byte aligned at 0xE0000, so a guest that only scans 0xE0000-0xFFFFF
 * finds it too; loaders pass vm->acpi_rsdp to the kernel.
 *
 *   RSDP (rev 2) -> XSDT -> FADT (rev 6, full ACPI: PM1a blocks, reset
 *                             register, SCI 9) -> DSDT, FACS
 *                        -> MADT (LAPIC per vCPU, IOAPIC, overrides, NMI)
 *                        -> MCFG (ECAM, segment 0, buses 0-255)
 *
 * Adding a table: write a `static int build_xxx(struct acpi_builder *b,
 * struct error *err)` that assembles it in a host buffer (header from
 * acpi_header_init()) and calls acpi_add_table(), then list it in
 * acpi_xsdt_tables[] in acpi.c. DSDT content lives in acpi_build_dsdt().
 *
 * A device "acpi" (order VMM_ORDER_LATE) builds the tables; the PCI host
 * bridge and devices exist by then.
 */
#ifndef PASSVM_BOOT_ACPI_H
#define PASSVM_BOOT_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/memory.h"

struct vm;

#define ACPI_OEM_ID        "PASSVM"   /* 6 characters */
#define ACPI_OEM_TABLE_ID  "PASSVM  " /* 8 characters */
#define ACPI_CREATOR_ID    "PSVM"
#define ACPI_MAX_TABLES    32

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* The tables are assembled in a host copy of the ACPI area, then written
 * to guest RAM in one go. */
struct acpi_builder {
	struct vm *vm;
	uint8_t *buf;       /* host copy of [base, base + cap) */
	uint64_t base;      /* guest address of buf[0] */
	size_t cap, used;
	unsigned nr_tables; /* tables the XSDT lists */
	uint64_t tables[ACPI_MAX_TABLES];
	uint64_t dsdt, facs;
};

/* Fill a table header: signature, length, revision and our OEM fields. */
void acpi_header_init(struct acpi_header *h, const char *sig, uint32_t length, uint8_t rev);
/* 8-bit sum of the bytes; a table is valid when its sum is 0. */
uint8_t acpi_sum(const void *p, size_t len);

/*
 * Copy `len` bytes of table into the area at `align`, set its checksum
 * (header->checksum; the header's length must already be right) and, if
 * `listed`, add it to the XSDT. *gpa (may be NULL) gets its guest address.
 */
int acpi_add_table(struct acpi_builder *b, const void *table, size_t len, size_t align,
		   bool listed, uint64_t *gpa, struct error *err);

/* The IOAPIC id in the MADT: 0, the id KVM's in-kernel IOAPIC reports. */
uint8_t acpi_ioapic_id(unsigned nr_vcpus);

/*
 * Build all tables into vm->mem and set vm->acpi_rsdp. Needs vm->layout,
 * vm->mem and vm->nr_vcpus (vm->cfg->cpus when nr_vcpus is 0).
 */
int acpi_build(struct vm *vm, struct error *err);

#endif
