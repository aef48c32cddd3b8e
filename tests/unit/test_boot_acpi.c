// SPDX-License-Identifier: GPL-2.0-only
/* ACPI tables (vmm/boot/acpi.c) and the AML builder (vmm/boot/acpi_aml.c). */
#include "tests/unit/boot_fixture.h"

#include "tests/unit/acpi_reader.h"
#include "vmm/boot/acpi.h"
#include "vmm/boot/acpi_aml.h"
#include "vmm/pci.h"

/* ---- AML builder ----------------------------------------------------------- */

/* Decode a PkgLength: returns the value and sets *n to its byte count. */
static size_t pkglength_decode(const uint8_t *p, unsigned *n)
{
	unsigned follow = p[0] >> 6;
	*n = follow + 1;
	if (!follow)
		return p[0] & 0x3f;
	size_t v = p[0] & 0x0f;
	for (unsigned i = 1; i <= follow; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	return v;
}

static void check_pkglength(size_t content, unsigned bytes)
{
	uint8_t out[4];
	unsigned n = aml_pkglength(content, out);
	assert_int_equal(n, bytes);
	unsigned dn;
	assert_int_equal(pkglength_decode(out, &dn), content + n);
	assert_int_equal(dn, n);
	if (n > 1) /* bits 4-5 of the lead byte are reserved */
		assert_int_equal(out[0] & 0x30, 0);
}

static void test_pkglength(void **state)
{
	check_pkglength(0, 1);
	check_pkglength(62, 1);       /* 63 = 0x3f, the largest 1-byte value */
	check_pkglength(63, 2);
	check_pkglength(0xffd, 2);    /* 0xfff total */
	check_pkglength(0xffe, 3);
	check_pkglength(0xffffc, 3);  /* 0xfffff total */
	check_pkglength(0xffffd, 4);
	check_pkglength(0x0ffffffb, 4);
	uint8_t out[4];
	assert_int_equal(aml_pkglength(0x0ffffffc, out), 0);

	/* Exact bytes for a few. */
	assert_int_equal(aml_pkglength(10, out), 1);
	assert_int_equal(out[0], 11);
	assert_int_equal(aml_pkglength(0x100, out), 2); /* 0x102 */
	assert_int_equal(out[0], 0x42);
	assert_int_equal(out[1], 0x10);
	assert_int_equal(aml_pkglength(0x12345, out), 3); /* 0x12348 */
	assert_int_equal(out[0], 0x88);
	assert_int_equal(out[1], 0x34);
	assert_int_equal(out[2], 0x12);
}

/* aml_close() must insert the right PkgLength whatever the body size. */
static void check_package(size_t body)
{
	struct aml a;
	aml_init(&a);
	size_t pkg = aml_package_open(&a, 1);
	uint8_t *junk = calloc(1, body);
	assert_non_null(junk);
	aml_buffer(&a, junk, body); /* the element: a nested Buffer */
	free(junk);
	aml_close(&a, pkg);
	assert_null(aml_failed(&a));
	assert_int_equal(a.buf[0], 0x12);
	unsigned n;
	size_t len = pkglength_decode(a.buf + 1, &n);
	assert_int_equal(len, a.len - 1); /* everything after PackageOp */
	assert_int_equal(a.buf[1 + n], 1); /* NumElements */
	assert_int_equal(a.buf[2 + n], 0x11); /* BufferOp */
	unsigned bn;
	size_t blen = pkglength_decode(a.buf + 3 + n, &bn);
	assert_int_equal(blen, a.len - (3 + n));
	aml_free(&a);
}

static void test_nested_lengths(void **state)
{
	check_package(10);      /* 1-byte PkgLengths */
	check_package(100);     /* 2-byte */
	check_package(5000);    /* 3-byte */
	check_package(0x100000); /* 4-byte */
}

static void test_namestring(void **state)
{
	struct aml a;
	aml_init(&a);
	aml_namestring(&a, "\\_SB.PCI0");
	assert_int_equal(a.len, 10);
	assert_memory_equal(a.buf, "\\\x2e_SB_PCI0", 10);
	aml_free(&a);

	aml_init(&a);
	aml_namestring(&a, "RTC");
	assert_memory_equal(a.buf, "RTC_", 4);
	assert_int_equal(a.len, 4);
	aml_free(&a);

	aml_init(&a);
	aml_namestring(&a, "\\_SB.PCI0.COM1");
	assert_memory_equal(a.buf, "\\\x2f\x03_SB_PCI0COM1", 15);
	aml_free(&a);

	aml_init(&a);
	aml_namestring(&a, "^^FOO");
	assert_memory_equal(a.buf, "^^FOO_", 6);
	aml_free(&a);

	const char *bad[] = { "pci0", "TOOLONG", "\\_SB.", "0ABC", "A..B" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		aml_init(&a);
		aml_namestring(&a, bad[i]);
		if (!aml_failed(&a))
			fail_msg("'%s' accepted", bad[i]);
		aml_free(&a);
	}
}

static void test_integers_and_ids(void **state)
{
	struct aml a;
	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 5);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0xfec00000);
	aml_integer(&a, 0x100000000ULL);
	static const uint8_t want[] = {
		0x00, 0x01, 0x0a, 0x05, 0x0b, 0x34, 0x12, 0x0c, 0x00, 0x00, 0xc0, 0xfe,
		0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	};
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(a.buf, want, sizeof(want));
	aml_free(&a);

	aml_init(&a);
	aml_eisaid(&a, "PNP0A08");
	aml_eisaid(&a, "PNP0501");
	aml_string(&a, "ACPI0007");
	static const uint8_t ids[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x08, 0x0c, 0x41, 0xd0, 0x05, 0x01,
				       0x0d, 'A', 'C', 'P', 'I', '0', '0', '0', '7', 0 };
	assert_memory_equal(a.buf, ids, sizeof(ids));
	aml_eisaid(&a, "pnp0a08");
	assert_non_null(aml_failed(&a));
	aml_free(&a);
}

static void test_resources(void **state)
{
	struct aml r;
	aml_init(&r);
	aml_res_qword_mem(&r, true, 0x4000000000ULL, 0x7fffffffffULL);
	assert_int_equal(r.len, 46);
	assert_int_equal(r.buf[0], 0x8a);
	assert_int_equal(r.buf[1] | r.buf[2] << 8, 43);
	assert_int_equal(r.buf[3], 0);    /* memory */
	assert_int_equal(r.buf[4], 0x0c); /* producer, min/max fixed */
	assert_int_equal(r.buf[5], 0x03); /* cacheable, read-write */
	assert_int_equal(bf_rd64(r.buf + 14), 0x4000000000ULL);
	assert_int_equal(bf_rd64(r.buf + 22), 0x7fffffffffULL);
	assert_int_equal(bf_rd64(r.buf + 38), 0x4000000000ULL);
	aml_free(&r);

	aml_init(&r);
	aml_res_io(&r, 0x3f8, 0x3f8, 1, 8);
	aml_res_irq(&r, 1 << 4);
	static const uint8_t want[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
					0x22, 0x10, 0x00 };
	assert_memory_equal(r.buf, want, sizeof(want));
	aml_free(&r);
}

/* ---- the tables ------------------------------------------------------------- */

static const uint8_t *table(struct boot_fixture *f, const char *sig, uint32_t *len)
{
	uint64_t gpa;
	if (acpi_find_table(&f->vm.mem, f->vm.acpi_rsdp, sig, &gpa, len))
		fail_msg("no %s table", sig);
	return bf_ptr(f, gpa, *len);
}

static struct boot_fixture *built(uint64_t ram, unsigned cpus)
{
	struct boot_fixture *f = bf_new_cpus(ram, cpus);
	/* Tables must not depend on what was in RAM before. */
	memset(bf_ptr(f, LAYOUT_ACPI_START, LAYOUT_ACPI_MAX), 0xee, LAYOUT_ACPI_MAX);
	struct error err = { "" };
	if (acpi_build(&f->vm, &err))
		fail_msg("acpi_build: %s", err.msg);
	if (acpi_verify(&f->vm.mem, f->vm.acpi_rsdp, &err))
		fail_msg("acpi_verify: %s", err.msg);
	return f;
}

static bool contains(const uint8_t *p, size_t len, const void *needle, size_t nlen)
{
	return memmem(p, len, needle, nlen) != NULL;
}

static void test_rsdp_and_xsdt(void **state)
{
	struct boot_fixture *f = built(512 * MiB, 4);
	uint64_t rsdp = f->vm.acpi_rsdp;
	/* Findable by the legacy scan: 16-byte aligned in 0xE0000-0xFFFFF. */
	assert_true(rsdp >= 0xe0000 && rsdp + 36 <= 0x100000);
	assert_int_equal(rsdp % 16, 0);
	const uint8_t *r = bf_ptr(f, rsdp, 36);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(acpi_sum(r, 20), 0);
	assert_int_equal(acpi_sum(r, 36), 0);
	assert_int_equal(r[15], 2);
	assert_int_equal(bf_rd32(r + 20), 36);

	uint64_t xsdt = bf_rd64(r + 24);
	const uint8_t *x = bf_ptr(f, xsdt, 36);
	assert_memory_equal(x, "XSDT", 4);
	uint32_t xlen = bf_rd32(x + 4);
	assert_int_equal(acpi_sum(bf_ptr(f, xsdt, xlen), xlen), 0);
	assert_int_equal((xlen - 36) % 8, 0);
	const char *want[] = { "FACP", "APIC", "MCFG" };
	assert_int_equal((xlen - 36) / 8, ARRAY_SIZE(want));
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		uint64_t t = bf_rd64(bf_ptr(f, xsdt + 36 + 8 * i, 8));
		/* Every table is inside the reserved BIOS area. */
		assert_true(t >= LAYOUT_ACPI_START && t < LAYOUT_ACPI_START + LAYOUT_ACPI_MAX);
		const uint8_t *h = bf_ptr(f, t, 36);
		assert_memory_equal(h, want[i], 4);
		uint32_t len = bf_rd32(h + 4);
		assert_int_equal(acpi_sum(bf_ptr(f, t, len), len), 0);
		assert_memory_equal(h + 10, ACPI_OEM_ID, 6);
	}
	bf_free(f);
}

static void test_fadt(void **state)
{
	struct boot_fixture *f = built(512 * MiB, 2);
	uint32_t len, dlen, flen;
	const uint8_t *t = table(f, "FACP", &len);
	assert_int_equal(len, 276);
	assert_int_equal(t[8], 6);                                   /* revision */
	uint64_t dsdt, facs;
	assert_int_equal(acpi_find_table(&f->vm.mem, f->vm.acpi_rsdp, "DSDT", &dsdt, &dlen), 0);
	assert_int_equal(acpi_find_table(&f->vm.mem, f->vm.acpi_rsdp, "FACS", &facs, &flen), 0);
	assert_int_equal(bf_rd32(t + 36), facs);                      /* FIRMWARE_CTRL */
	assert_int_equal(facs % 64, 0);
	assert_int_equal(flen, 64);
	assert_int_equal(bf_rd32(t + 40), dsdt);                      /* DSDT */
	assert_int_equal(bf_rd64(t + 140), dsdt);                     /* X_DSDT */
	assert_int_equal(t[46] | t[47] << 8, LAYOUT_IRQ_SCI);         /* SCI_INT */
	assert_int_equal(bf_rd32(t + 48), 0);                         /* SMI_CMD */
	assert_int_equal(bf_rd32(t + 56), LAYOUT_PORT_PM1A_EVT);      /* PM1a_EVT_BLK */
	assert_int_equal(bf_rd32(t + 64), LAYOUT_PORT_PM1A_CNT);      /* PM1a_CNT_BLK */
	assert_int_equal(bf_rd32(t + 76), LAYOUT_PORT_PM_TMR);        /* PM_TMR_BLK */
	assert_int_equal(t[88], 4);                                   /* PM1_EVT_LEN */
	assert_int_equal(t[89], 2);                                   /* PM1_CNT_LEN */
	assert_int_equal(t[91], 4);                                   /* PM_TMR_LEN */
	uint32_t flags = bf_rd32(t + 112);
	assert_true(flags & (1u << 0));                               /* WBINVD */
	assert_true(flags & (1u << 10));                              /* RESET_REG_SUP */
	assert_false(flags & (1u << 20));                             /* not HW_REDUCED */
	assert_int_equal(t[116], 1);                                  /* RESET_REG: I/O */
	assert_int_equal(t[117], 8);
	assert_int_equal(bf_rd64(t + 120), LAYOUT_PORT_RESET);
	assert_int_equal(t[128], 0x06);                               /* RESET_VALUE */
	assert_int_equal(t[148], 1);                                  /* X_PM1a_EVT_BLK */
	assert_int_equal(t[149], 32);
	assert_int_equal(bf_rd64(t + 152), LAYOUT_PORT_PM1A_EVT);
	assert_int_equal(t[173], 16);                                 /* X_PM1a_CNT_BLK */
	assert_int_equal(bf_rd64(t + 176), LAYOUT_PORT_PM1A_CNT);
	assert_int_equal(t[208], 1);                                  /* X_PM_TMR_BLK: I/O */
	assert_int_equal(t[209], 32);
	assert_int_equal(bf_rd64(t + 212), LAYOUT_PORT_PM_TMR);
	assert_false(flags & (1u << 8));                              /* 24-bit timer */
	bf_free(f);
}

static unsigned madt_count(const uint8_t *t, uint32_t len, uint8_t type, const uint8_t **first)
{
	unsigned n = 0;
	for (uint32_t off = 44; off + 2 <= len;) {
		uint8_t l = t[off + 1];
		assert_true(l >= 2 && off + l <= len);
		if (t[off] == type) {
			if (!n && first)
				*first = t + off;
			n++;
		}
		off += l;
	}
	return n;
}

static void check_madt(unsigned cpus)
{
	struct boot_fixture *f = built(512 * MiB, cpus);
	uint32_t len;
	const uint8_t *t = table(f, "APIC", &len);
	assert_int_equal(bf_rd32(t + 36), LAYOUT_LAPIC_BASE);
	assert_int_equal(bf_rd32(t + 40) & 1, 1);                     /* PCAT_COMPAT */
	const uint8_t *e = NULL;
	unsigned xapic = cpus > 255 ? 255 : cpus;
	assert_int_equal(madt_count(t, len, 0, &e), xapic);
	for (unsigned i = 0; i < xapic; i++, e += 8) {
		assert_int_equal(e[0], 0);
		assert_int_equal(e[2], i);                            /* processor UID */
		assert_int_equal(e[3], i);                            /* APIC id */
		assert_int_equal(bf_rd32(e + 4) & 1, 1);              /* enabled */
	}
	assert_int_equal(madt_count(t, len, 9, &e), cpus - xapic);
	if (cpus > xapic)
		assert_int_equal(bf_rd32(e + 4), 255);
	assert_int_equal(madt_count(t, len, 1, &e), 1);               /* IOAPIC */
	assert_int_equal(e[2], acpi_ioapic_id(cpus));
	assert_int_equal(e[2], 0);                    /* KVM's in-kernel IOAPIC id register */
	assert_int_equal(bf_rd32(e + 4), LAYOUT_IOAPIC_BASE);
	assert_int_equal(bf_rd32(e + 8), 0);
	assert_int_equal(madt_count(t, len, 2, &e), 2);               /* overrides */
	assert_int_equal(e[3], 0);                                    /* IRQ0 -> GSI 2 */
	assert_int_equal(bf_rd32(e + 4), 2);
	e += 10;
	assert_int_equal(e[3], LAYOUT_IRQ_SCI);                       /* SCI: level, high */
	assert_int_equal(bf_rd32(e + 4), LAYOUT_IRQ_SCI);
	assert_int_equal(e[8] | e[9] << 8, 0x000d);
	assert_int_equal(madt_count(t, len, 4, &e), 1);               /* LINT1 NMI */
	assert_int_equal(e[2], 0xff);
	assert_int_equal(e[5], 1);
	bf_free(f);
}

static void test_madt(void **state)
{
	check_madt(1);
	check_madt(4);
	check_madt(254);
	check_madt(256);
}

static void test_mcfg(void **state)
{
	struct boot_fixture *f = built(512 * MiB, 1);
	uint32_t len;
	const uint8_t *t = table(f, "MCFG", &len);
	assert_int_equal(len, 60);
	assert_int_equal(bf_rd64(t + 44), LAYOUT_ECAM_BASE);
	assert_int_equal(t[52] | t[53] << 8, 0);                      /* segment */
	assert_int_equal(t[54], 0);
	assert_int_equal(t[55], 255);
	bf_free(f);
}

static void test_dsdt(void **state)
{
	struct boot_fixture *f = built(8 * GiB, 3);
	uint32_t len;
	const uint8_t *t = table(f, "DSDT", &len);
	assert_int_equal(t[8], 2);
	/* Name(\_S5_, Package(4){5, 5, 0, 0}) */
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	assert_true(contains(t, len, s5, sizeof(s5)));
	assert_true(contains(t, len, "_SB_", 4));
	assert_true(contains(t, len, "PCI0", 4));
	assert_true(contains(t, len, "COM1", 4));
	static const uint8_t pnp0a08[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	static const uint8_t pnp0a03[] = { 0x08, '_', 'C', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	static const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	assert_true(contains(t, len, pnp0a08, sizeof(pnp0a08)));
	assert_true(contains(t, len, pnp0a03, sizeof(pnp0a03)));
	assert_true(contains(t, len, pnp0501, sizeof(pnp0501)));
	/* One processor device per vCPU. */
	assert_true(contains(t, len, "C000", 4));
	assert_true(contains(t, len, "C002", 4));
	assert_false(contains(t, len, "C003", 4));
	/* COM1's IO(0x3F8, 8) + IRQ 4 */
	static const uint8_t com1[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
					0x22, 0x10, 0x00, 0x79, 0x00 };
	assert_true(contains(t, len, com1, sizeof(com1)));
	/* The 32-bit window, and the 64-bit one from the layout. */
	uint8_t w32[8];
	uint32_t lo = LAYOUT_MMIO32_BASE, hi = LAYOUT_MMIO32_END - 1;
	memcpy(w32, &lo, 4);
	memcpy(w32 + 4, &hi, 4);
	assert_true(contains(t, len, w32, 8));
	uint8_t w64[16];
	uint64_t lo64 = f->vm.layout.mmio64_base;
	uint64_t hi64 = lo64 + f->vm.layout.mmio64_size - 1;
	memcpy(w64, &lo64, 8);
	memcpy(w64 + 8, &hi64, 8);
	assert_true(contains(t, len, w64, 16));
	/* Scope(\_SB) follows \_S5 and is the last object: its (multi-byte)
	 * PkgLength must cover everything to the end of the table. */
	size_t scope = 36 + sizeof(s5);
	assert_memory_equal(t + 36, s5, sizeof(s5));
	assert_int_equal(t[scope], 0x10);
	unsigned n;
	size_t plen = pkglength_decode(t + scope + 1, &n);
	assert_true(n >= 2);
	assert_int_equal(plen, len - scope - 1);
	assert_memory_equal(t + scope + 1 + n, "\\_SB_", 5);
	bf_free(f);
}

/* An AML integer (Zero, One, Byte/Word/DWord/QWord): its value; *n its size. */
static uint64_t aml_int_decode(const uint8_t *p, unsigned *n)
{
	static const unsigned sizes[] = { [0x0a] = 1, [0x0b] = 2, [0x0c] = 4, [0x0e] = 8 };
	if (p[0] <= 0x01) {
		*n = 1;
		return p[0];
	}
	assert_true(p[0] >= 0x0a && p[0] <= 0x0e && sizes[p[0]]);
	uint64_t v = 0;
	for (unsigned i = 0; i < sizes[p[0]]; i++)
		v |= (uint64_t)p[1 + i] << (8 * i);
	*n = 1 + sizes[p[0]];
	return v;
}

/*
 * PCI0._PRT: Package of 32 slots x 4 pins, each Package(4){0xSSSSFFFF, pin,
 * Zero, GSI}, with the GSI pci_intx_gsi() gives (what a passthrough device's
 * INTx raises), and inside Device(PCI0), i.e. before the next device.
 */
static void test_dsdt_prt(void **state)
{
	struct boot_fixture *f = built(512 * MiB, 1);
	uint32_t len;
	const uint8_t *t = table(f, "DSDT", &len);
	static const uint8_t name_prt[] = { 0x08, '_', 'P', 'R', 'T', 0x12 };
	const uint8_t *prt = memmem(t, len, name_prt, sizeof(name_prt));
	const uint8_t *pci0 = memmem(t, len, "PCI0", 4), *mres = memmem(t, len, "MRES", 4);
	assert_non_null(prt);
	assert_true(pci0 && mres && pci0 < prt && prt < mres);
	const uint8_t *p = prt + sizeof(name_prt);
	unsigned n;
	size_t plen = pkglength_decode(p, &n);
	const uint8_t *end = p + plen;
	assert_true(end <= mres);
	p += n;
	assert_int_equal(*p++, PCI_MAX_SLOTS * PCI_INTX_PINS);
	bool seen[PCI_MAX_SLOTS][PCI_INTX_PINS] = { { false } };
	unsigned gsi_used = 0;
	for (unsigned i = 0; i < PCI_MAX_SLOTS * PCI_INTX_PINS; i++) {
		assert_int_equal(*p++, 0x12);
		const uint8_t *e = p;
		size_t elen = pkglength_decode(p, &n);
		p += n;
		assert_int_equal(*p++, 4);
		uint64_t addr = aml_int_decode(p, &n);
		p += n;
		uint64_t pin = aml_int_decode(p, &n);
		p += n;
		assert_int_equal(*p++, 0x00); /* Source: Zero, a GSI follows */
		uint64_t gsi = aml_int_decode(p, &n);
		p += n;
		assert_ptr_equal(p, e + elen);
		assert_int_equal(addr & 0xFFFF, 0xFFFF);
		unsigned slot = (unsigned)(addr >> 16);
		assert_true(slot < PCI_MAX_SLOTS && pin < PCI_INTX_PINS);
		assert_false(seen[slot][pin]);
		seen[slot][pin] = true;
		assert_int_equal(gsi, pci_intx_gsi(slot, (unsigned)pin + 1));
		assert_true(gsi >= 16 && gsi < 24); /* IOAPIC pins above ISA */
		gsi_used |= 1u << (gsi - 16);
	}
	assert_ptr_equal(p, end);
	assert_int_equal(gsi_used, 0xFF); /* spread over all eight */
	/* Swizzled: neighbouring slots' INTA differ, a slot's INTA-INTD differ. */
	assert_int_not_equal(pci_intx_gsi(3, 1), pci_intx_gsi(4, 1));
	assert_int_not_equal(pci_intx_gsi(3, 1), pci_intx_gsi(3, 2));
	bf_free(f);
}

static void test_verify_catches_corruption(void **state)
{
	struct boot_fixture *f = built(512 * MiB, 2);
	uint64_t gpa;
	uint32_t len;
	struct error err = { "" };
	assert_int_equal(acpi_find_table(&f->vm.mem, f->vm.acpi_rsdp, "APIC", &gpa, &len), 0);
	bf_ptr(f, gpa, len)[len - 1] ^= 0x40;
	assert_int_equal(acpi_verify(&f->vm.mem, f->vm.acpi_rsdp, &err), -1);
	assert_contains(err.msg, "APIC");
	assert_contains(err.msg, "checksum");
	bf_ptr(f, gpa, len)[len - 1] ^= 0x40;

	assert_int_equal(acpi_find_table(&f->vm.mem, f->vm.acpi_rsdp, "DSDT", &gpa, &len), 0);
	bf_ptr(f, gpa, len)[40] ^= 1;
	assert_int_equal(acpi_verify(&f->vm.mem, f->vm.acpi_rsdp, &err), -1);
	assert_contains(err.msg, "DSDT");
	bf_ptr(f, gpa, len)[40] ^= 1;

	bf_ptr(f, f->vm.acpi_rsdp, 36)[9] ^= 1;
	assert_int_equal(acpi_verify(&f->vm.mem, f->vm.acpi_rsdp, &err), -1);
	assert_contains(err.msg, "RSDP");
	bf_free(f);
}

static void test_builder_overflow(void **state)
{
	struct boot_fixture *f = bf_new(64 * MiB);
	uint8_t *buf = calloc(1, 256);
	assert_non_null(buf);
	struct acpi_builder b = { .vm = &f->vm, .buf = buf, .base = 0xe0000, .cap = 256 };
	struct acpi_header h;
	acpi_header_init(&h, "TEST", 200, 1);
	uint8_t t[200] = { 0 };
	memcpy(t, &h, sizeof(h));
	struct error err = { "" };
	uint64_t gpa;
	assert_int_equal(acpi_add_table(&b, t, sizeof(t), 16, true, &gpa, &err), 0);
	assert_int_equal(gpa, 0xe0000);
	assert_int_equal(acpi_sum(buf, 200), 0);
	assert_int_equal(acpi_add_table(&b, t, sizeof(t), 16, true, &gpa, &err), -1);
	assert_contains(err.msg, "ACPI tables need more than");
	free(buf);
	bf_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength),
		cmocka_unit_test(test_nested_lengths),
		cmocka_unit_test(test_namestring),
		cmocka_unit_test(test_integers_and_ids),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_rsdp_and_xsdt),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_dsdt),
		cmocka_unit_test(test_dsdt_prt),
		cmocka_unit_test(test_verify_catches_corruption),
		cmocka_unit_test(test_builder_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
