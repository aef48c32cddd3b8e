// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACPI tables (ACPI 6.5): RSDP, XSDT, FADT, FACS, DSDT, MADT, MCFG.
 *
 * Full (not hardware-reduced) ACPI, because the platform has the fixed
 * hardware: PM1a event/control blocks for S5 power-off, the reset register
 * at 0xCF9, SCI on IRQ 9; ACPI is always enabled (SMI_CMD = 0).
 */
#include "vmm/boot/acpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/acpi_aml.h"
#include "vmm/boot/acpi_wire.h"
#include "vmm/pci.h"
#include "vmm/topology.h"
#include "vmm/vm.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ACPI tables are built in host order");

#define ACPI_OEM_REVISION     1
#define ACPI_CREATOR_REVISION 1
#define ACPI_TABLE_ALIGN      16

/* FADT flags */
#define FADT_WBINVD         (1u << 0)
#define FADT_PROC_C1        (1u << 2)
#define FADT_SLP_BUTTON     (1u << 5)  /* no fixed-feature sleep button */
#define FADT_FIX_RTC        (1u << 6)  /* no RTC wake status in PM1 */
#define FADT_RESET_REG_SUP  (1u << 10)
/* IA-PC boot architecture flags */
#define IAPC_LEGACY_DEVICES (1u << 0)  /* LPC/ISA devices: COM1, RTC */
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_PCIE_ASPM_CONTROLS (1u << 4) /* OS must not manage ASPM */
#define FADT_PM_PROFILE_DESKTOP 1
#define FADT_RESET_VALUE    0x06       /* 0xCF9: full reset | CPU reset */
#define FADT_LVL2_NOT_SUPPORTED 101
#define FADT_LVL3_NOT_SUPPORTED 1001
#define CMOS_CENTURY_INDEX  0x32       /* platform.c keeps the century there */

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

#define MADT_PCAT_COMPAT 1

enum madt_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_ISO = 2,
	MADT_LAPIC_NMI = 4,
	MADT_X2APIC = 9,
	MADT_X2APIC_NMI = 10,
};

struct madt_lapic {
	uint8_t type, length, uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_x2apic {
	uint8_t type, length;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t uid;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

struct madt_x2apic_nmi {
	uint8_t type, length;
	uint16_t flags;
	uint32_t uid;
	uint8_t lint;
	uint8_t reserved[3];
} __attribute__((packed));

#define MADT_ENABLED          1
#define MADT_ALL_PROCESSORS   0xff
#define MADT_X2APIC_ALL       0xffffffffu
#define MADT_FLAGS_LEVEL_HIGH 0x000d /* active high (01), level (11 << 2) */
#define MADT_XAPIC_MAX_ID     254    /* 0xff is broadcast */

struct acpi_mcfg {
	struct acpi_header h;
	uint64_t reserved;
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved2;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_mcfg) == 60, "MCFG with one allocation");

_Static_assert(sizeof(struct madt_lapic) == 8 && sizeof(struct madt_x2apic) == 16 &&
	       sizeof(struct madt_ioapic) == 12 && sizeof(struct madt_iso) == 10 &&
	       sizeof(struct madt_lapic_nmi) == 6 && sizeof(struct madt_x2apic_nmi) == 12,
	       "MADT entries");

/* ---- builder ----------------------------------------------------------------- */

uint8_t acpi_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + b[i]);
	return s;
}

void acpi_header_init(struct acpi_header *h, const char *sig, uint32_t length, uint8_t rev)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = ACPI_CREATOR_REVISION;
}

static int acpi_place(struct acpi_builder *b, size_t len, size_t align, size_t *off,
		      struct error *err)
{
	size_t at = ALIGN_UP(b->used, align);
	if (at > b->cap || len > b->cap - at)
		return err_setf(err, "the ACPI tables need more than the %zu KiB reserved for them "
				"at 0x%llx", b->cap / 1024, (unsigned long long)b->base);
	*off = at;
	b->used = at + len;
	return 0;
}

int acpi_add_table(struct acpi_builder *b, const void *table, size_t len, size_t align,
		   bool listed, uint64_t *gpa, struct error *err)
{
	size_t off = 0;
	if (len < sizeof(struct acpi_header) || len > UINT32_MAX)
		return err_setf(err, "internal error: ACPI table of %zu bytes", len);
	if (listed && b->nr_tables >= ACPI_MAX_TABLES)
		return err_setf(err, "internal error: more than %d ACPI tables", ACPI_MAX_TABLES);
	if (acpi_place(b, len, align, &off, err))
		return -1;
	memcpy(b->buf + off, table, len);
	struct acpi_header *h = (struct acpi_header *)(b->buf + off);
	if (memcmp(h->signature, "FACS", 4)) { /* the FACS has no checksum */
		h->checksum = 0;
		h->checksum = (uint8_t)-acpi_sum(h, len);
	}
	uint64_t at = b->base + off;
	if (listed)
		b->tables[b->nr_tables++] = at;
	if (gpa)
		*gpa = at;
	return 0;
}

static unsigned acpi_nr_vcpus(const struct vm *vm)
{
	return vm->nr_vcpus ? vm->nr_vcpus : vm->cfg->cpus;
}

uint8_t acpi_ioapic_id(unsigned nr_vcpus)
{
	/* KVM's in-kernel IOAPIC resets its id register to 0 and nothing sets
	 * it: the MADT must say the same (QEMU does too). IOAPIC and LAPIC ids
	 * are separate namespaces, so this does not clash with vCPU 0. */
	(void)nr_vcpus;
	return 0;
}

/* ---- FACS, DSDT, FADT ------------------------------------------------------ */

static int acpi_build_facs(struct acpi_builder *b, struct error *err)
{
	struct acpi_facs f = { .length = sizeof(f), .version = 2 };
	memcpy(f.signature, "FACS", 4);
	return acpi_add_table(b, &f, sizeof(f), 64, false, &b->facs, err);
}

/*
 * _PRT: every slot's INTA-INTD straight to its IOAPIC GSI, as pci_intx_gsi()
 * routes them (no link devices: there is nothing to reprogram). A guest
 * programs such a GSI level-triggered, active low; KVM's IOAPIC ignores the
 * polarity.
 */
static void dsdt_prt(struct aml *a)
{
	aml_name(a, "_PRT");
	size_t prt = aml_package_open(a, PCI_MAX_SLOTS * PCI_INTX_PINS);
	for (unsigned slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		for (unsigned pin = 1; pin <= PCI_INTX_PINS; pin++) {
			size_t e = aml_package_open(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xFFFF); /* any function */
			aml_integer(a, pin - 1);                       /* 0: INTA */
			aml_integer(a, 0);                             /* source: a GSI */
			aml_integer(a, pci_intx_gsi(slot, pin));
			aml_close(a, e);
		}
	}
	aml_close(a, prt);
}

static void dsdt_pci0(struct aml *a, const struct layout *l)
{
	size_t dev = aml_device_open(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08"); /* PCI Express root bridge */
	aml_name_eisaid(a, "_CID", "PNP0A03"); /* PCI root bridge */
	aml_name_integer(a, "_SEG", 0);
	aml_name_integer(a, "_BBN", 0);
	aml_name_integer(a, "_UID", 0);
	struct aml r;
	aml_init(&r);
	aml_res_word_bus(&r, 0x00, 0xff);
	aml_res_io(&r, 0x0cf8, 0x0cf8, 1, 8); /* config address/data ports */
	aml_res_word_io(&r, 0x0000, 0x0cf7);
	aml_res_word_io(&r, LAYOUT_PORT_PCI_IO_BASE, LAYOUT_PORT_PCI_IO_END - 1);
	aml_res_dword_mem(&r, false, LAYOUT_MMIO32_BASE, LAYOUT_MMIO32_END - 1);
	if (l->mmio64_size)
		aml_res_qword_mem(&r, true, l->mmio64_base, l->mmio64_base + l->mmio64_size - 1);
	aml_name_resources(a, "_CRS", &r);
	aml_free(&r);
	dsdt_prt(a);
	aml_close(a, dev);
}

/*
 * Motherboard resources: ECAM. Linux checks that MCFG's area is reserved by
 * E820 early on and by a PNP0C01/PNP0C02 device later; Windows expects the
 * latter as well.
 */
static void dsdt_mres(struct aml *a)
{
	size_t dev = aml_device_open(a, "MRES");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_integer(a, "_UID", 0);
	struct aml r;
	aml_init(&r);
	aml_res_mem32_fixed(&r, true, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE);
	aml_name_resources(a, "_CRS", &r);
	aml_free(&r);
	aml_close(a, dev);
}

static void dsdt_isa_device(struct aml *a, const char *name, const char *hid, unsigned uid,
			    uint16_t port, uint8_t len, unsigned irq)
{
	size_t dev = aml_device_open(a, name);
	aml_name_eisaid(a, "_HID", hid);
	aml_name_integer(a, "_UID", uid);
	struct aml r;
	aml_init(&r);
	aml_res_io(&r, port, port, 1, len);
	aml_res_irq(&r, (uint16_t)(1u << irq));
	aml_name_resources(a, "_CRS", &r);
	aml_free(&r);
	aml_close(a, dev);
}

/* One processor device per vCPU; _UID matches the MADT's processor UID. */
static void dsdt_cpus(struct aml *a, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++) {
		char name[8];
		snprintf(name, sizeof(name), "C%03X", i & 0xfff);
		size_t dev = aml_device_open(a, name);
		aml_name_string(a, "_HID", "ACPI0007");
		aml_name_integer(a, "_UID", i);
		aml_close(a, dev);
	}
}

static int acpi_build_dsdt(struct acpi_builder *b, struct error *err)
{
	struct vm *vm = b->vm;
	struct aml a;
	aml_init(&a);
	struct acpi_header h;
	acpi_header_init(&h, "DSDT", 0, 2); /* rev 2: 64-bit integers */
	aml_bytes(&a, &h, sizeof(h));

	/* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved. platform.c powers off on
	 * SLP_TYP 5 with SLP_EN in PM1a_CNT. */
	aml_name(&a, "\\_S5");
	size_t pkg = aml_package_open(&a, 4);
	aml_integer(&a, 5);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_close(&a, pkg);

	size_t sb = aml_scope_open(&a, "\\_SB");
	dsdt_pci0(&a, &vm->layout);
	dsdt_mres(&a);
	dsdt_isa_device(&a, "COM1", "PNP0501", 1, LAYOUT_PORT_COM1, 8, LAYOUT_IRQ_COM1);
	dsdt_isa_device(&a, "RTC", "PNP0B00", 0, 0x70, 2, 8);
	dsdt_cpus(&a, acpi_nr_vcpus(vm));
	aml_close(&a, sb);

	int ret;
	if (aml_failed(&a)) {
		ret = err_setf(err, "internal error building the DSDT: %s", aml_failed(&a));
	} else {
		((struct acpi_header *)a.buf)->length = (uint32_t)a.len;
		ret = acpi_add_table(b, a.buf, a.len, ACPI_TABLE_ALIGN, false, &b->dsdt, err);
	}
	aml_free(&a);
	return ret;
}

static struct acpi_gas acpi_io_gas(uint16_t port, uint8_t bits, uint8_t access)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_SYSTEM_IO, .bit_width = bits,
				  .access_size = access, .address = port };
}

static int acpi_build_fadt(struct acpi_builder *b, struct error *err)
{
	struct acpi_fadt f;
	memset(&f, 0, sizeof(f));
	acpi_header_init(&f.h, "FACP", sizeof(f), 6);
	f.minor_version = 5;
	/* Tables live below 1 MiB, so the 32-bit and 64-bit pointers agree. */
	f.firmware_ctrl = (uint32_t)b->facs;
	f.dsdt = (uint32_t)b->dsdt;
	f.x_dsdt = b->dsdt;
	f.preferred_pm_profile = FADT_PM_PROFILE_DESKTOP;
	f.sci_int = LAYOUT_IRQ_SCI;
	f.smi_cmd = 0; /* no SMI: always in ACPI mode (SCI_EN reads 1) */
	f.pm1a_evt_blk = LAYOUT_PORT_PM1A_EVT;
	f.pm1a_cnt_blk = LAYOUT_PORT_PM1A_CNT;
	f.pm1_evt_len = 4;
	f.pm1_cnt_len = 2;
	f.x_pm1a_evt_blk = acpi_io_gas(LAYOUT_PORT_PM1A_EVT, 32, ACPI_GAS_ACCESS_WORD);
	f.x_pm1a_cnt_blk = acpi_io_gas(LAYOUT_PORT_PM1A_CNT, 16, ACPI_GAS_ACCESS_WORD);
	/* The LPC bridge's ACPI PM timer (24 bits: no TMR_VAL_EXT); no GPE
	 * blocks, no C2/C3. */
	f.pm_tmr_blk = LAYOUT_PORT_PM_TMR;
	f.pm_tmr_len = 4;
	f.x_pm_tmr_blk = acpi_io_gas(LAYOUT_PORT_PM_TMR, 32, ACPI_GAS_ACCESS_DWORD);
	f.p_lvl2_lat = FADT_LVL2_NOT_SUPPORTED;
	f.p_lvl3_lat = FADT_LVL3_NOT_SUPPORTED;
	f.century = CMOS_CENTURY_INDEX;
	f.iapc_boot_arch = IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT | IAPC_PCIE_ASPM_CONTROLS;
	f.flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC | FADT_RESET_REG_SUP;
	f.reset_reg = acpi_io_gas(LAYOUT_PORT_RESET, 8, ACPI_GAS_ACCESS_BYTE);
	f.reset_value = FADT_RESET_VALUE;
	return acpi_add_table(b, &f, sizeof(f), ACPI_TABLE_ALIGN, true, NULL, err);
}

/* ---- MADT, MCFG --------------------------------------------------------------- */

static int acpi_build_madt(struct acpi_builder *b, struct error *err)
{
	unsigned nr = acpi_nr_vcpus(b->vm);
	struct aml t; /* used as a plain byte buffer */
	aml_init(&t);
	struct acpi_madt m = { .lapic_address = (uint32_t)LAYOUT_LAPIC_BASE,
			       .flags = MADT_PCAT_COMPAT };
	aml_bytes(&t, &m, sizeof(m));
	bool x2apic = false;
	/* The same APIC ids as the vCPUs' (vcpu.c): both come from topology.c. */
	struct cpu_topology topo = topology_effective(&b->vm->cfg->topology, nr);
	for (unsigned i = 0; i < nr; i++) {
		uint32_t id = topology_apic_id(&topo, i);
		if (i <= MADT_XAPIC_MAX_ID && id <= MADT_XAPIC_MAX_ID) {
			struct madt_lapic e = { .type = MADT_LAPIC, .length = sizeof(e),
						.uid = (uint8_t)i, .apic_id = (uint8_t)id,
						.flags = MADT_ENABLED };
			aml_bytes(&t, &e, sizeof(e));
		} else {
			struct madt_x2apic e = { .type = MADT_X2APIC, .length = sizeof(e),
						 .x2apic_id = id, .flags = MADT_ENABLED, .uid = i };
			aml_bytes(&t, &e, sizeof(e));
			x2apic = true;
		}
	}
	struct madt_ioapic io = { .type = MADT_IOAPIC, .length = sizeof(io),
				  .id = acpi_ioapic_id(nr), .address = (uint32_t)LAYOUT_IOAPIC_BASE,
				  .gsi_base = 0 };
	aml_bytes(&t, &io, sizeof(io));
	/* The PIT's IRQ 0 arrives on IOAPIC pin 2 (like a PC and QEMU). */
	struct madt_iso irq0 = { .type = MADT_ISO, .length = sizeof(irq0), .bus = 0,
				 .source = 0, .gsi = 2, .flags = 0 };
	aml_bytes(&t, &irq0, sizeof(irq0));
	/* The SCI is level-triggered, active high. */
	struct madt_iso sci = { .type = MADT_ISO, .length = sizeof(sci), .bus = 0,
				.source = LAYOUT_IRQ_SCI, .gsi = LAYOUT_IRQ_SCI,
				.flags = MADT_FLAGS_LEVEL_HIGH };
	aml_bytes(&t, &sci, sizeof(sci));
	struct madt_lapic_nmi nmi = { .type = MADT_LAPIC_NMI, .length = sizeof(nmi),
				      .uid = MADT_ALL_PROCESSORS, .flags = 0, .lint = 1 };
	aml_bytes(&t, &nmi, sizeof(nmi));
	if (x2apic) {
		struct madt_x2apic_nmi xn = { .type = MADT_X2APIC_NMI, .length = sizeof(xn),
					      .flags = 0, .uid = MADT_X2APIC_ALL, .lint = 1 };
		aml_bytes(&t, &xn, sizeof(xn));
	}
	int ret;
	if (aml_failed(&t)) {
		ret = err_setf(err, "cannot build the MADT: %s", aml_failed(&t));
	} else {
		acpi_header_init((struct acpi_header *)t.buf, "APIC", (uint32_t)t.len, 5);
		ret = acpi_add_table(b, t.buf, t.len, ACPI_TABLE_ALIGN, true, NULL, err);
	}
	aml_free(&t);
	return ret;
}

static int acpi_build_mcfg(struct acpi_builder *b, struct error *err)
{
	struct acpi_mcfg m = { .base = LAYOUT_ECAM_BASE, .segment = 0, .start_bus = 0,
			       .end_bus = (uint8_t)(LAYOUT_ECAM_SIZE / MiB - 1) };
	acpi_header_init(&m.h, "MCFG", sizeof(m), 1);
	return acpi_add_table(b, &m, sizeof(m), ACPI_TABLE_ALIGN, true, NULL, err);
}

/* The tables the XSDT lists, in this order. Add new ones here. */
static int (*const acpi_xsdt_tables[])(struct acpi_builder *, struct error *) = {
	acpi_build_fadt,
	acpi_build_madt,
	acpi_build_mcfg,
};

/* ---- XSDT, RSDP, the whole set ----------------------------------------------- */

static int acpi_build_xsdt(struct acpi_builder *b, uint64_t *gpa, struct error *err)
{
	size_t len = sizeof(struct acpi_header) + 8 * (size_t)b->nr_tables;
	uint8_t *t = calloc(1, len);
	if (!t)
		return err_setf(err, "out of memory");
	acpi_header_init((struct acpi_header *)t, "XSDT", (uint32_t)len, 1);
	memcpy(t + sizeof(struct acpi_header), b->tables, 8 * (size_t)b->nr_tables);
	int ret = acpi_add_table(b, t, len, ACPI_TABLE_ALIGN, false, gpa, err);
	free(t);
	return ret;
}

int acpi_build(struct vm *vm, struct error *err)
{
	struct acpi_builder b = { .vm = vm, .base = LAYOUT_ACPI_START, .cap = LAYOUT_ACPI_MAX };
	_Static_assert(LAYOUT_ACPI_START + LAYOUT_ACPI_MAX <= LAYOUT_BIOS_END &&
		       LAYOUT_ACPI_START >= LAYOUT_BIOS_START && LAYOUT_ACPI_START % 16 == 0,
		       "the RSDP must be in the BIOS area 0xE0000-0xFFFFF, 16-byte aligned");
	b.buf = calloc(1, b.cap);
	if (!b.buf)
		return err_setf(err, "out of memory");
	int ret = -1;
	size_t rsdp_off = 0;
	uint64_t xsdt = 0;
	/* The RSDP goes first, at the start of the BIOS area. */
	if (acpi_place(&b, sizeof(struct acpi_rsdp), 16, &rsdp_off, err) ||
	    acpi_build_facs(&b, err) || acpi_build_dsdt(&b, err))
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(acpi_xsdt_tables); i++)
		if (acpi_xsdt_tables[i](&b, err))
			goto out;
	if (acpi_build_xsdt(&b, &xsdt, err))
		goto out;

	struct acpi_rsdp r = { .revision = 2, .length = sizeof(r), .xsdt_address = xsdt };
	memcpy(r.signature, "RSD PTR ", 8);
	memcpy(r.oem_id, ACPI_OEM_ID, 6);
	r.checksum = (uint8_t)-acpi_sum(&r, 20);
	r.extended_checksum = (uint8_t)-acpi_sum(&r, sizeof(r));
	memcpy(b.buf + rsdp_off, &r, sizeof(r));

	/* Write the whole area so nothing stale is left for a scanning guest. */
	if (gmem_write(&vm->mem, b.base, b.buf, b.cap)) {
		err_setf(err, "cannot write the ACPI tables at 0x%llx: not guest RAM",
			 (unsigned long long)b.base);
		goto out;
	}
	vm->acpi_rsdp = b.base + rsdp_off;
	ret = 0;
out:
	free(b.buf);
	return ret;
}

/* ---- the device ------------------------------------------------------------------ */

static int acpi_device_init(struct vm *vm, struct error *err)
{
	return acpi_build(vm, err);
}

VMM_DEVICE(acpi_device) = {
	.name = "acpi",
	.order = VMM_ORDER_LATE,
	.init = acpi_device_init,
};
