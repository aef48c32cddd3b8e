/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading the ACPI tables passvm built back out of guest RAM, as a guest's
 * parser would: for the unit tests of vmm/boot/acpi.c (the VMM itself only
 * writes tables).
 */
#ifndef PASSVM_TEST_ACPI_READER_H
#define PASSVM_TEST_ACPI_READER_H

#include <stdint.h>

#include "common/util.h"
#include "vmm/memory.h"

/*
 * Walk RSDP -> XSDT -> every table (and FADT -> DSDT, FACS) in guest RAM and
 * check signatures, lengths, revisions and checksums.
 */
int acpi_verify(const struct gmem *mem, uint64_t rsdp, struct error *err);

/* Guest address and length of the table with signature `sig` ("APIC",
 * "DSDT", "FACS", ...), following the XSDT and FADT. -1 if absent. */
int acpi_find_table(const struct gmem *mem, uint64_t rsdp, const char *sig, uint64_t *gpa,
		    uint32_t *len);

#endif
