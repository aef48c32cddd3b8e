// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI bus unit tests: config space through CF8/CFC and ECAM, BAR sizing and
 * decode, hostile BAR programming, capabilities, multifunction, MSI-X.
 */
#include "tests/unit/pci_fixture.h"

/* ---- a test device ----------------------------------------------------------- */

struct tdev {
	struct pci_device pci;
	struct pci_msix msix;
	unsigned reads[PCI_NUM_BARS], writes[PCI_NUM_BARS];
	uint64_t last_off, last_val;
	unsigned maps, unmaps, resets;
	uint64_t mapped_at[PCI_NUM_BARS];
};

struct tbar {
	struct tdev *d;
	unsigned idx;
};

static void tbar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct tbar *b = opaque;
	b->d->reads[b->idx]++;
	b->d->last_off = off;
	memset(data, 0x5A, len);
}

static void tbar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct tbar *b = opaque;
	b->d->writes[b->idx]++;
	b->d->last_off = off;
	b->d->last_val = 0;
	memcpy(&b->d->last_val, data, len);
}

static const struct bus_ops tbar_ops = { .read = tbar_read, .write = tbar_write };
static struct tbar tbars[4][PCI_NUM_BARS];

static int t_bar_map(struct pci_device *pd, unsigned bar, uint64_t addr, struct error *err)
{
	struct tdev *d = pd->opaque;
	d->maps++;
	d->mapped_at[bar] = addr;
	return 0;
}

static void t_bar_unmap(struct pci_device *pd, unsigned bar, uint64_t addr)
{
	struct tdev *d = pd->opaque;
	d->unmaps++;
	d->mapped_at[bar] = 0;
}

static void t_reset(struct pci_device *pd)
{
	struct tdev *d = pd->opaque;
	d->resets++;
}

static const struct pci_device_ops tdev_ops = {
	.bar_map = t_bar_map, .bar_unmap = t_bar_unmap, .reset = t_reset,
};

static struct tdev *tdev_new(unsigned which, const char *name, uint16_t devid)
{
	struct tdev *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	pci_device_init(&d->pci, name, &tdev_ops, d, 0x1234, devid, 0x028000, 7, 0x1234, 0x42);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		tbars[which][i] = (struct tbar){ d, i };
	return d;
}

static void tdev_bar(struct tdev *d, unsigned which, unsigned idx, uint64_t size, uint32_t flags)
{
	struct error err = { { 0 } };
	if (pci_device_set_bar(&d->pci, idx, size, flags, &tbar_ops, &tbars[which][idx], &err) < 0)
		fail_msg("set_bar: %s", err.msg);
}

static void tdev_register(struct pci_fixture *f, struct tdev *d, int slot, int fn)
{
	struct error err = { { 0 } };
	if (pci_device_register(f->vm.pci, &d->pci, slot, fn, &err) < 0)
		fail_msg("register: %s", err.msg);
}

static void tdev_free(struct tdev *d)
{
	pci_device_unregister(&d->pci);
	if (d->pci.msix)
		pci_msix_destroy(d->pci.msix);
	pthread_mutex_destroy(&d->pci.lock);
	free(d);
}

/* ---- host bridge and the access paths ------------------------------------------ */

static void test_host_bridge_cf8_ecam(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 0, 4), 0x29c08086);
	assert_int_equal(pf_ecam_read(f, 0, 0, 0, 4), 0x29c08086);
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 0, 2), 0x8086);
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 2, 2), 0x29c0);
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 3, 1), 0x29);
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 0x08, 4) >> 8, 0x060000);
	assert_int_equal(pf_ecam_read(f, 0, 0, 0x0B, 1), 0x06);
	/* Empty slot, other functions, other buses: all ones. */
	assert_int_equal(pf_cf8_read(f, 0, 5, 0, 0, 4), 0xFFFFFFFF);
	assert_int_equal(pf_cf8_read(f, 0, 0, 3, 0, 2), 0xFFFF);
	assert_int_equal(pf_cf8_read(f, 1, 0, 0, 0, 4), 0xFFFFFFFF);
	uint32_t v = 0;
	bus_access(&f->vm.mmio, pf_ecam_addr(1, 0, 0, 0), &v, 4, false);
	assert_int_equal(v, 0xFFFFFFFF);
	bus_access(&f->vm.mmio, pf_ecam_addr(255, 31, 7, 0xFFC), &v, 4, false);
	assert_int_equal(v, 0xFFFFFFFF);
	/* The host bridge is conventional PCI: no extended space, no alias of 0. */
	assert_int_equal(pf_ecam_read(f, 0, 0, 0x100, 4), 0xFFFFFFFF);
	/* Vendor/device ids are read-only. */
	pf_cf8_write(f, 0, 0, 0, 0, 4, 0x11112222);
	pf_ecam_write(f, 0, 0, 0, 4, 0x11112222);
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 0, 4), 0x29c08086);
	pf_free(f);
}

static void test_cf8_latch(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	uint32_t a = 0xFFFFFFFF, v = 0;
	/* Reserved bits 30:28 and 1:0 read back as zero. */
	bus_access(&f->vm.pio, 0xCF8, &a, 4, true);
	bus_access(&f->vm.pio, 0xCF8, &v, 4, false);
	assert_int_equal(v, 0x8FFFFFFC);
	/* Enable bit clear: data port reads ones, writes are dropped. */
	a = 0x00000000; /* 00:00.0 offset 0, disabled */
	bus_access(&f->vm.pio, 0xCF8, &a, 4, true);
	v = 0;
	bus_access(&f->vm.pio, 0xCFC, &v, 4, false);
	assert_int_equal(v, 0xFFFFFFFF);
	/* Extended register bits 27:24 reach offsets >= 0x100 (all ones here). */
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 0x100, 4), 0xFFFFFFFF);
	/* Partial-width accesses to 0xCF8 do not change the latch. */
	a = 0x80000000;
	bus_access(&f->vm.pio, 0xCF8, &a, 4, true);
	uint8_t b = 0x12;
	bus_access(&f->vm.pio, 0xCFA, &b, 1, true);
	bus_access(&f->vm.pio, 0xCF8, &v, 4, false);
	assert_int_equal(v, 0x80000000);
	pf_free(f);
}

/* A platform device at 0xCF9 (reset control) keeps working under the latch. */
static unsigned cf9_writes;
static uint8_t cf9_last;
static void cf9_write(void *o, uint64_t off, const void *data, uint32_t len)
{
	cf9_writes++;
	cf9_last = *(const uint8_t *)data;
	assert_int_equal(off, 0);
}
static void cf9_read(void *o, uint64_t off, void *data, uint32_t len)
{
	memset(data, 0x0E, len);
}
static const struct bus_ops cf9_ops = { .read = cf9_read, .write = cf9_write };

static void test_cf9_chained(void **state)
{
	struct pci_fixture *f = pf_new(64 * MiB);
	struct error err = { { 0 } };
	int token;
	assert_int_equal(bus_register(&f->vm.pio, 0xCF9, 1, &cf9_ops, &token, "reset", &err), 0);
	assert_non_null(pci_bus_create(&f->vm, &err));
	uint8_t b = 0x06;
	cf9_writes = 0;
	assert_true(bus_access(&f->vm.pio, 0xCF9, &b, 1, true));
	assert_int_equal(cf9_writes, 1);
	assert_int_equal(cf9_last, 0x06);
	b = 0;
	bus_access(&f->vm.pio, 0xCF9, &b, 1, false);
	assert_int_equal(b, 0x0E);
	/* Dword accesses at 0xCF8 still hit the latch. */
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 0, 4), 0x29c08086);
	assert_int_equal(cf9_writes, 1);
	/* After the bus goes, the reset register is registered again. */
	pci_bus_destroy(f->vm.pci);
	assert_null(f->vm.pci);
	assert_true(bus_access(&f->vm.pio, 0xCF9, &b, 1, true));
	assert_int_equal(cf9_writes, 2);
	pf_free(f);
}

static void test_unaligned_and_out_of_range(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	/* ECAM accesses crossing a dword or 8 bytes wide read ones. */
	assert_int_equal(pf_ecam_read(f, 0, 0, 2, 4), 0xFFFFFFFF);
	assert_int_equal(pf_ecam_read(f, 0, 0, 3, 2), 0xFFFF);
	uint64_t q = 0;
	bus_access(&f->vm.mmio, pf_ecam_addr(0, 0, 0, 0), &q, 8, false);
	assert_true(q == UINT64_MAX);
	/* Within a dword, unaligned is fine (x86 CFC semantics). */
	assert_int_equal(pf_ecam_read(f, 0, 0, 1, 2), 0xc080);
	assert_int_equal(pf_cf8_read(f, 0, 0, 0, 1, 2), 0xc080);
	/* Direct API: bad lengths/offsets. */
	assert_int_equal(pci_bus_cfg_read(f->vm.pci, 0, 0, 0, 3), 0xFFFFFF);
	assert_int_equal(pci_bus_cfg_read(f->vm.pci, 0, 0, 4096, 4), 0xFFFFFFFF);
	assert_int_equal(pci_bus_cfg_read(f->vm.pci, 0, 0, 0xFFFFFFFF, 4), 0xFFFFFFFF);
	pci_bus_cfg_write(f->vm.pci, 0, 0, 4094, 4, 0);
	pci_bus_cfg_write(f->vm.pci, 7, 0, 0, 4, 0);
	/* ECAM writes of 8 bytes are dropped. */
	q = 0;
	bus_access(&f->vm.mmio, pf_ecam_addr(0, 0, 0, 0x04), &q, 8, true);
	assert_int_equal(pf_ecam_read(f, 0, 0, 0, 4), 0x29c08086);
	pf_free(f);
}

/* ---- BARs -------------------------------------------------------------------- */

static void test_bar_allocation_and_sizing(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	struct tdev *d = tdev_new(0, "tdev", 0x0001);
	tdev_bar(d, 0, 0, 4 * KiB, PCI_BAR_MEM32);
	tdev_bar(d, 0, 1, 32, PCI_BAR_IO);
	tdev_bar(d, 0, 2, 16 * GiB, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	tdev_bar(d, 0, 4, 64 * KiB, PCI_BAR_MEM64);
	tdev_register(f, d, -1, 0);
	assert_int_equal(d->pci.slot, 1);

	uint64_t b0 = pci_bar_addr(&d->pci, 0), b1 = pci_bar_addr(&d->pci, 1);
	uint64_t b2 = pci_bar_addr(&d->pci, 2), b4 = pci_bar_addr(&d->pci, 4);
	assert_true(b0 >= LAYOUT_MMIO32_BASE && b0 + 4 * KiB <= LAYOUT_MMIO32_END && !(b0 & 0xFFF));
	assert_true(b1 >= LAYOUT_PORT_PCI_IO_BASE && b1 + 32 <= LAYOUT_PORT_PCI_IO_END && !(b1 & 31));
	assert_true(b2 >= f->vm.layout.mmio64_base && !(b2 & (16 * GiB - 1)));
	assert_true(b2 + 16 * GiB <= f->vm.layout.mmio64_base + f->vm.layout.mmio64_size);
	assert_true(b4 >= LAYOUT_MMIO32_BASE && b4 < LAYOUT_MMIO32_END && !(b4 & 0xFFFF));
	assert_int_equal(pci_bar_addr(&d->pci, 3), PCI_BAR_UNMAPPED);
	assert_int_equal(pci_bar_addr(&d->pci, 5), PCI_BAR_UNMAPPED);
	assert_int_equal(d->maps, 4);

	/* Firmware turned decode on; the registers hold the addresses. */
	unsigned s = d->pci.slot;
	uint16_t cmd = (uint16_t)pf_cf8_read(f, 0, s, 0, PCI_COMMAND, 2);
	assert_int_equal(cmd & 3, 3);
	assert_int_equal(pf_cf8_read(f, 0, s, 0, 0x10, 4), (uint32_t)b0);
	assert_int_equal(pf_cf8_read(f, 0, s, 0, 0x14, 4), (uint32_t)b1 | 1);
	assert_int_equal(pf_cf8_read(f, 0, s, 0, 0x18, 4), (uint32_t)b2 | 0xC);
	assert_int_equal(pf_cf8_read(f, 0, s, 0, 0x1C, 4), (uint32_t)(b2 >> 32));

	/* Sizing as Linux does it: decode off, write ones, read, restore. */
	pf_cf8_write(f, 0, s, 0, PCI_COMMAND, 2, cmd & ~3u);
	assert_int_equal(d->unmaps, 4);
	assert_int_equal(pci_bar_addr(&d->pci, 0), PCI_BAR_UNMAPPED);
	static const struct { unsigned reg; uint32_t expect; } sz[] = {
		{ 0x10, 0xFFFFF000 },           /* 4 KiB mem32 */
		{ 0x14, 0x0000FFE1 },           /* 32-byte I/O, 16-bit decode */
		{ 0x18, 0x0000000C },           /* 16 GiB: low dword has no size bits */
		{ 0x1C, 0xFFFFFFFC },
		{ 0x20, 0xFFFF0004 },           /* 64 KiB mem64 */
		{ 0x24, 0xFFFFFFFF },
		{ 0x30, 0x00000000 },           /* no expansion ROM */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(sz); i++) {
		uint32_t old = pf_cf8_read(f, 0, s, 0, sz[i].reg, 4);
		pf_cf8_write(f, 0, s, 0, sz[i].reg, 4, 0xFFFFFFFF);
		assert_int_equal(pf_cf8_read(f, 0, s, 0, sz[i].reg, 4), sz[i].expect);
		pf_ecam_write(f, s, 0, sz[i].reg, 4, old);
	}
	pf_cf8_write(f, 0, s, 0, PCI_COMMAND, 2, cmd);
	assert_int_equal(pci_bar_addr(&d->pci, 0), b0);
	assert_int_equal(pci_bar_addr(&d->pci, 2), b2);
	assert_int_equal(d->mapped_at[2], b2);

	tdev_free(d);
	pf_free(f);
}

static void test_bar_decode_moves_range(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	struct tdev *d = tdev_new(0, "tdev", 0x0002);
	tdev_bar(d, 0, 0, 4 * KiB, PCI_BAR_MEM32);
	tdev_bar(d, 0, 1, 16, PCI_BAR_IO);
	tdev_register(f, d, 4, 0);
	uint64_t b0 = pci_bar_addr(&d->pci, 0), b1 = pci_bar_addr(&d->pci, 1);

	/* The BAR is live at its firmware address. */
	assert_int_equal(pf_mmio_read(f, b0 + 0x10, 4), 0x5A5A5A5A);
	assert_int_equal(d->reads[0], 1);
	assert_int_equal(d->last_off, 0x10);
	uint16_t p = 0;
	assert_true(bus_access(&f->vm.pio, b1 + 2, &p, 2, false));
	assert_int_equal(d->reads[1], 1);

	/* Memory decode off: the range goes away; I/O stays. */
	pf_ecam_write(f, 4, 0, PCI_COMMAND, 2, PCI_COMMAND_IO);
	uint32_t v;
	assert_false(bus_access(&f->vm.mmio, b0, &v, 4, false));
	assert_true(bus_access(&f->vm.pio, b1, &p, 2, false));

	/* Move BAR0 while decode is off: nothing mapped yet. */
	uint64_t nb = LAYOUT_MMIO32_BASE + 0x100000;
	pf_ecam_write(f, 4, 0, 0x10, 4, (uint32_t)nb);
	assert_int_equal(pci_bar_addr(&d->pci, 0), PCI_BAR_UNMAPPED);
	/* Decode on: the new address answers, the old does not. */
	pf_ecam_write(f, 4, 0, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(pci_bar_addr(&d->pci, 0), nb);
	assert_true(bus_access(&f->vm.mmio, nb + 8, &v, 4, true));
	assert_int_equal(d->writes[0], 1);
	assert_int_equal(d->last_off, 8);
	assert_false(bus_access(&f->vm.mmio, b0, &v, 4, false));
	/* Moving with decode on remaps immediately (bar_map callbacks follow). */
	uint64_t nb2 = nb + 0x10000;
	pf_cf8_write(f, 0, 4, 0, 0x10, 4, (uint32_t)nb2);
	assert_int_equal(pci_bar_addr(&d->pci, 0), nb2);
	assert_int_equal(d->mapped_at[0], nb2);
	assert_false(bus_access(&f->vm.mmio, nb, &v, 4, false));
	/* Byte writes to the BAR register (legal, if odd) work too. */
	pf_cf8_write(f, 0, 4, 0, 0x12, 1, (uint32_t)(nb >> 16) & 0xFF);
	assert_int_equal(pci_bar_addr(&d->pci, 0), nb);
	/* An access straddling the end of the BAR is not the device's. */
	assert_false(bus_access(&f->vm.mmio, nb + 4 * KiB - 2, &v, 4, false));
	tdev_free(d);
	pf_free(f);
}

static void test_bar_hostile_programming(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	struct tdev *a = tdev_new(0, "tdev-a", 0x0003), *b = tdev_new(1, "tdev-b", 0x0004);
	tdev_bar(a, 0, 0, 64 * KiB, PCI_BAR_MEM32);
	tdev_bar(a, 0, 2, 1 * GiB, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	tdev_bar(b, 1, 0, 64 * KiB, PCI_BAR_MEM32);
	tdev_register(f, a, 2, 0);
	tdev_register(f, b, 3, 0);
	uint64_t a0 = pci_bar_addr(&a->pci, 0), b0 = pci_bar_addr(&b->pci, 0);
	assert_int_not_equal(a0, b0);

	/* b on top of a: refused (a keeps answering), no crash. */
	pf_ecam_write(f, 3, 0, 0x10, 4, (uint32_t)a0);
	assert_int_equal(pci_bar_addr(&b->pci, 0), PCI_BAR_UNMAPPED);
	pf_mmio_read(f, a0, 4);
	assert_int_equal(a->reads[0], 1);
	assert_int_equal(b->reads[0], 0);
	/* Once b moves elsewhere it maps again. */
	pf_ecam_write(f, 3, 0, 0x10, 4, (uint32_t)b0);
	assert_int_equal(pci_bar_addr(&b->pci, 0), b0);

	/* Over guest RAM, over the ECAM window, at 0: refused. */
	uint32_t bad32[] = { 0x00100000, (uint32_t)LAYOUT_ECAM_BASE, 0 };
	for (unsigned i = 0; i < ARRAY_SIZE(bad32); i++) {
		pf_ecam_write(f, 3, 0, 0x10, 4, bad32[i]);
		assert_int_equal(pci_bar_addr(&b->pci, 0), PCI_BAR_UNMAPPED);
	}
	/* Still configurable after all that. */
	pf_ecam_write(f, 3, 0, 0x10, 4, (uint32_t)b0);
	assert_int_equal(pci_bar_addr(&b->pci, 0), b0);
	/* The ECAM window still works (not shadowed by a BAR). */
	assert_int_equal(pf_ecam_read(f, 0, 0, 0, 4), 0x29c08086);

	/* All-ones sizing with decode on, LAPIC/MSI window, IOAPIC: not mapped. */
	uint32_t bad_hi[] = { 0xFFFFFFFF, 0xFEE00000, 0xFEC00000, 0xFEFF0000 };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_hi); i++) {
		pf_ecam_write(f, 3, 0, 0x10, 4, bad_hi[i]);
		assert_int_equal(pci_bar_addr(&b->pci, 0), PCI_BAR_UNMAPPED);
	}
	/* Just below the IOAPIC is fine. */
	pf_ecam_write(f, 3, 0, 0x10, 4, (uint32_t)(LAYOUT_IOAPIC_BASE - 64 * KiB));
	assert_int_equal(pci_bar_addr(&b->pci, 0), LAYOUT_IOAPIC_BASE - 64 * KiB);
	pf_ecam_write(f, 3, 0, 0x10, 4, (uint32_t)b0);

	/* 64-bit BAR: beyond the CPU's physical address space, wrapping. */
	uint64_t a2 = pci_bar_addr(&a->pci, 2);
	pf_ecam_write(f, 2, 0, 0x1C, 4, 0x00FFFFFF); /* 2^56-ish: beyond 40 bits */
	assert_int_equal(pci_bar_addr(&a->pci, 2), PCI_BAR_UNMAPPED);
	pf_ecam_write(f, 2, 0, 0x18, 4, 0xFFFFFFFF);
	pf_ecam_write(f, 2, 0, 0x1C, 4, 0xFFFFFFFF); /* sizing with decode on: wraps */
	assert_int_equal(pci_bar_addr(&a->pci, 2), PCI_BAR_UNMAPPED);
	/* Low half of a 64-bit BAR placed below 4 GiB over RAM. */
	pf_ecam_write(f, 2, 0, 0x1C, 4, 0);
	pf_ecam_write(f, 2, 0, 0x18, 4, 0x00000000);
	assert_int_equal(pci_bar_addr(&a->pci, 2), PCI_BAR_UNMAPPED);
	/* Back to the firmware address, via both dwords. */
	pf_ecam_write(f, 2, 0, 0x18, 4, (uint32_t)a2 | 0xC);
	pf_ecam_write(f, 2, 0, 0x1C, 4, (uint32_t)(a2 >> 32));
	assert_int_equal(pci_bar_addr(&a->pci, 2), a2);

	/* Reset restores the power-on (firmware) state. */
	pf_ecam_write(f, 2, 0, PCI_COMMAND, 2, 0);
	pci_device_reset(&a->pci);
	assert_int_equal(a->resets, 1);
	assert_int_equal(pci_bar_addr(&a->pci, 0), a0);
	assert_int_equal(pci_bar_addr(&a->pci, 2), a2);
	tdev_free(a);
	tdev_free(b);
	pf_free(f);
}

static void test_bar_window_exhausted(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	struct error err = { { 0 } };
	struct tdev *d = tdev_new(0, "huge-gpu", 0x0005);
	/* Larger than the whole 64-bit window. */
	tdev_bar(d, 0, 0, f->vm.layout.mmio64_size * 2, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	assert_int_equal(pci_device_register(f->vm.pci, &d->pci, -1, 0, &err), -1);
	assert_non_null(strstr(err.msg, "huge-gpu"));
	assert_non_null(strstr(err.msg, "BAR0"));
	assert_null(d->pci.bus);
	tdev_free(d);

	/* Bad BAR definitions are refused with a reason. */
	d = tdev_new(0, "bad", 0x0006);
	assert_int_equal(pci_device_set_bar(&d->pci, 0, 3000, PCI_BAR_MEM32, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "power of two"));
	assert_int_equal(pci_device_set_bar(&d->pci, 5, 4096, PCI_BAR_MEM64, NULL, NULL, &err), -1);
	assert_int_equal(pci_device_set_bar(&d->pci, 0, 1024, PCI_BAR_IO, NULL, NULL, &err), -1);
	assert_int_equal(pci_device_set_bar(&d->pci, 0, 4096, PCI_BAR_MEM64, NULL, NULL, &err), 0);
	assert_int_equal(pci_device_set_bar(&d->pci, 1, 4096, PCI_BAR_MEM32, NULL, NULL, &err), -1);
	tdev_free(d);

	/* Several huge BARs pack naturally aligned; freeing returns the space. */
	struct tdev *g[3];
	for (unsigned i = 0; i < 3; i++) {
		g[i] = tdev_new(i, "gpu", (uint16_t)(0x10 + i));
		tdev_bar(g[i], i, 0, 16 * MiB, PCI_BAR_MEM32);
		tdev_bar(g[i], i, 1, 8 * GiB, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
		tdev_register(f, g[i], -1, 0);
	}
	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = i + 1; j < 3; j++)
			assert_int_not_equal(pci_bar_addr(&g[i]->pci, 1), pci_bar_addr(&g[j]->pci, 1));
	uint64_t freed = pci_bar_addr(&g[1]->pci, 1);
	tdev_free(g[1]);
	g[1] = tdev_new(1, "gpu2", 0x20);
	tdev_bar(g[1], 1, 1, 8 * GiB, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	tdev_register(f, g[1], -1, 0);
	assert_int_equal(pci_bar_addr(&g[1]->pci, 1), freed);
	for (unsigned i = 0; i < 3; i++)
		tdev_free(g[i]);
	pf_free(f);
}

/* ---- capabilities, write masks, multifunction ------------------------------------- */

static void test_capability_list(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	struct error err = { { 0 } };
	struct tdev *d = tdev_new(0, "caps", 0x0007);
	tdev_bar(d, 0, 0, 16 * KiB, PCI_BAR_MEM32);
	int c1 = pci_add_capability(&d->pci, PCI_CAP_ID_VNDR, 7, &err);
	int c2 = pci_add_pcie_capability(&d->pci, PCI_EXP_TYPE_RC_END, &err);
	assert_int_equal(pci_msix_init(&d->msix, &d->pci, 8, 0, 0x2000, 0x3000, &err), 0);
	int e1 = pci_add_ext_capability(&d->pci, 0x000B, 1, 8, &err);
	int e2 = pci_add_ext_capability(&d->pci, 0x0023, 1, 12, &err);
	assert_int_equal(c1, 0x40);
	assert_true(c2 >= 0x48 && !(c2 & 3));
	assert_int_equal(e1, 0x100);
	assert_int_equal(e2, 0x108);
	pci_cfg_set8(&d->pci, (uint32_t)c1 + 2, 0xAB);
	tdev_register(f, d, 6, 0);

	assert_true(pf_ecam_read(f, 6, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	uint8_t ids[8];
	unsigned n = 0;
	for (uint32_t p = pf_ecam_read(f, 6, 0, PCI_CAPABILITY_LIST, 1); p; ) {
		assert_true(n < ARRAY_SIZE(ids));
		assert_true(p >= 0x40 && p < 0x100 && !(p & 3));
		ids[n++] = (uint8_t)pf_cf8_read(f, 0, 6, 0, p, 1);
		p = pf_cf8_read(f, 0, 6, 0, p + 1, 1);
	}
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], PCI_CAP_ID_VNDR);
	assert_int_equal(ids[1], PCI_CAP_ID_EXP);
	assert_int_equal(ids[2], PCI_CAP_ID_MSIX);
	assert_int_equal(pf_ecam_read(f, 6, 0, (uint32_t)c1 + 2, 1), 0xAB);
	/* PCIe capability: v2, RC integrated endpoint. */
	assert_int_equal(pf_ecam_read(f, 6, 0, (uint32_t)c2 + 2, 2), 0x92);
	/* Extended capabilities through ECAM and through CF8's extended bits. */
	uint32_t h = pf_ecam_read(f, 6, 0, 0x100, 4);
	assert_int_equal(h & 0xFFFF, 0x000B);
	assert_int_equal(h >> 20, 0x108);
	assert_int_equal(pf_cf8_read(f, 0, 6, 0, 0x108, 4) & 0xFFFF, 0x0023);
	assert_int_equal(pf_cf8_read(f, 0, 6, 0, 0x108, 4) >> 20, 0);
	/* Capability bodies are read-only unless made writable. */
	pf_ecam_write(f, 6, 0, (uint32_t)c1, 4, 0);
	assert_int_equal(pf_ecam_read(f, 6, 0, (uint32_t)c1, 1), PCI_CAP_ID_VNDR);
	assert_int_equal(pf_ecam_read(f, 6, 0, (uint32_t)c1 + 1, 1), (uint32_t)c2);
	/* No room: an error, not an overflow. */
	assert_int_equal(pci_add_capability(&d->pci, 0x09, 200, &err), -1);
	tdev_free(d);
	pf_free(f);
}

static void test_write_masks_and_w1c(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	struct tdev *d = tdev_new(0, "masks", 0x0008);
	pci_cfg_set16(&d->pci, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY);
	tdev_register(f, d, 7, 0);
	/* Command: only defined bits stick. */
	pf_ecam_write(f, 7, 0, PCI_COMMAND, 2, 0xFFFF);
	assert_int_equal(pf_ecam_read(f, 7, 0, PCI_COMMAND, 2), 0x0547);
	/* Status: write 0 keeps, write 1 clears just that bit. */
	pf_ecam_write(f, 7, 0, PCI_STATUS, 2, 0);
	assert_int_equal(pf_ecam_read(f, 7, 0, PCI_STATUS, 2), 0xA000);
	pf_ecam_write(f, 7, 0, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	assert_int_equal(pf_ecam_read(f, 7, 0, PCI_STATUS, 2), 0x8000);
	/* A dword write at 0x04 touches command and status together. */
	pf_ecam_write(f, 7, 0, PCI_COMMAND, 4, 0x80000000 | PCI_COMMAND_MASTER);
	assert_int_equal(pf_ecam_read(f, 7, 0, PCI_COMMAND, 4), PCI_COMMAND_MASTER);
	/* Interrupt line is scratch, pin is read-only 0. */
	pf_cf8_write(f, 0, 7, 0, PCI_INTERRUPT_LINE, 2, 0xFF0B);
	assert_int_equal(pf_cf8_read(f, 0, 7, 0, PCI_INTERRUPT_LINE, 2), 0x000B);
	/* Revision/class/subsystem as given. */
	assert_int_equal(pf_ecam_read(f, 7, 0, PCI_CLASS_REVISION, 4), 0x02800007);
	assert_int_equal(pf_ecam_read(f, 7, 0, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x00421234);
	tdev_free(d);
	pf_free(f);
}

static void test_multifunction(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	struct error err = { { 0 } };
	struct tdev *gpu = tdev_new(0, "gpu", 0x1111), *hda = tdev_new(1, "gpu-audio", 0x2222);
	tdev_bar(gpu, 0, 0, 16 * MiB, PCI_BAR_MEM32);
	tdev_bar(hda, 1, 0, 16 * KiB, PCI_BAR_MEM32);
	tdev_register(f, gpu, 9, 0);
	assert_int_equal(pf_ecam_read(f, 9, 0, PCI_HEADER_TYPE, 1), 0x00);
	tdev_register(f, hda, 9, 1);
	assert_int_equal(pf_ecam_read(f, 9, 0, PCI_HEADER_TYPE, 1), 0x80);
	assert_int_equal(pf_ecam_read(f, 9, 1, PCI_HEADER_TYPE, 1), 0x80);
	assert_int_equal(pf_cf8_read(f, 0, 9, 1, 0, 4), 0x22221234);
	/* Taken address, auto slot with a function number: refused. */
	struct tdev *x = tdev_new(2, "x", 0x3333);
	assert_int_equal(pci_device_register(f->vm.pci, &x->pci, 9, 1, &err), -1);
	assert_non_null(strstr(err.msg, "gpu-audio"));
	assert_int_equal(pci_device_register(f->vm.pci, &x->pci, -1, 2, &err), -1);
	assert_int_equal(pci_device_register(f->vm.pci, &x->pci, 3, 8, &err), -1);
	tdev_free(x);
	/* Reset keeps the multifunction bit. */
	pci_device_reset(&gpu->pci);
	assert_int_equal(pf_ecam_read(f, 9, 0, PCI_HEADER_TYPE, 1), 0x80);
	tdev_free(hda);
	assert_int_equal(pf_ecam_read(f, 9, 0, PCI_HEADER_TYPE, 1), 0x00);
	tdev_free(gpu);
	pf_free(f);
}

/* ---- MSI-X ------------------------------------------------------------------------ */

struct msix_env {
	struct pci_fixture *f;
	struct tdev *d;
	uint64_t table, pba;
	uint32_t cap;
};

static void msix_env_init(struct msix_env *e, unsigned nvec)
{
	struct error err = { { 0 } };
	e->f = pf_new_with_bus(64 * MiB);
	e->d = tdev_new(0, "msix", 0x0009);
	tdev_bar(e->d, 0, 0, 16 * KiB, PCI_BAR_MEM32);
	if (pci_msix_init(&e->d->msix, &e->d->pci, nvec, 0, 0x2000, 0x3000, &err) < 0)
		fail_msg("msix: %s", err.msg);
	e->cap = e->d->msix.cap;
	tdev_register(e->f, e->d, 10, 0);
	uint64_t bar = pci_bar_addr(&e->d->pci, 0);
	e->table = bar + 0x2000;
	e->pba = bar + 0x3000;
}

static void msix_env_free(struct msix_env *e)
{
	tdev_free(e->d);
	pf_free(e->f);
}

static void msix_ctl(struct msix_env *e, uint16_t v)
{
	pf_ecam_write(e->f, 10, 0, e->cap + PCI_MSIX_FLAGS, 2, v);
}

static void test_msix_capability(void **state)
{
	struct msix_env e;
	msix_env_init(&e, 5);
	assert_int_equal(pf_ecam_read(e.f, 10, 0, e.cap, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(pf_ecam_read(e.f, 10, 0, e.cap + 2, 2), 4); /* size-1, off */
	assert_int_equal(pf_ecam_read(e.f, 10, 0, e.cap + 4, 4), 0x2000);
	assert_int_equal(pf_ecam_read(e.f, 10, 0, e.cap + 8, 4), 0x3000);
	/* Only enable/mask-all are writable. */
	msix_ctl(&e, 0xFFFF);
	assert_int_equal(pf_ecam_read(e.f, 10, 0, e.cap + 2, 2), 0xC004);
	assert_true(pci_msix_enabled(&e.d->pci));
	pf_ecam_write(e.f, 10, 0, e.cap + 4, 4, 0xFFFFFFFF);
	assert_int_equal(pf_ecam_read(e.f, 10, 0, e.cap + 4, 4), 0x2000);
	/* Entries start masked. */
	assert_int_equal(pf_mmio_read(e.f, e.table + 12, 4), 1);
	/* Table read/write, qword access, other BAR offsets still go to the device. */
	pf_mmio_write(e.f, e.table + 16, 8, 0x00000000FEE01000ULL);
	pf_mmio_write(e.f, e.table + 24, 4, 0x4041);
	assert_int_equal(pf_mmio_read(e.f, e.table + 16, 4), 0xFEE01000);
	assert_int_equal(pf_mmio_read(e.f, e.table + 20, 4), 0);
	assert_true(pf_mmio_read(e.f, e.table + 24, 8) == 0x0000000100004041ULL);
	/* Reserved vector-control bits read as zero; address bits 1:0 too. */
	pf_mmio_write(e.f, e.table + 28, 4, 0xFFFFFFFE);
	assert_int_equal(pf_mmio_read(e.f, e.table + 28, 4), 0);
	pf_mmio_write(e.f, e.table + 16, 4, 0xFEE01003);
	assert_int_equal(pf_mmio_read(e.f, e.table + 16, 4), 0xFEE01000);
	/* Unaligned or odd-sized accesses are ignored / read ones. */
	assert_int_equal(pf_mmio_read(e.f, e.table + 2, 4), 0xFFFFFFFF);
	assert_int_equal(pf_mmio_read(e.f, e.table + 16, 2), 0xFFFF);
	pf_mmio_write(e.f, e.table + 17, 4, 0);
	assert_int_equal(pf_mmio_read(e.f, e.table + 16, 4), 0xFEE01000);
	/* Beyond the 5 entries is the device's own space. */
	unsigned before = e.d->reads[0];
	pf_mmio_read(e.f, e.table + 5 * 16, 4);
	assert_int_equal(e.d->reads[0], before + 1);
	/* PBA is read-only. */
	pf_mmio_write(e.f, e.pba, 8, ~0ULL);
	assert_true(pf_mmio_read(e.f, e.pba, 8) == 0);
	msix_env_free(&e);
}

static void test_msix_masking(void **state)
{
	struct msix_env e;
	msix_env_init(&e, 4);
	int fd0 = pci_msix_vector_fd(&e.d->pci, 0), fd2 = pci_msix_vector_fd(&e.d->pci, 2);
	assert_true(fd0 >= 0 && fd2 >= 0);
	assert_int_equal(pci_msix_vector_fd(&e.d->pci, 4), -1);

	/* Disabled: a notify only becomes pending. */
	pci_msix_notify(&e.d->pci, 2);
	assert_int_equal(pf_eventfd_take(fd2), 0);
	assert_int_equal(pf_mmio_read(e.f, e.pba, 4), 1u << 2);

	/* Enable with mask-all, program and unmask entry 2: still pending. */
	msix_ctl(&e, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pf_mmio_write(e.f, e.table + 2 * 16, 4, 0xFEE00000);
	pf_mmio_write(e.f, e.table + 2 * 16 + 8, 4, 0x31);
	pf_mmio_write(e.f, e.table + 2 * 16 + 12, 4, 0);
	assert_int_equal(pf_eventfd_take(fd2), 0);
	assert_int_equal(pf_mmio_read(e.f, e.pba, 4), 1u << 2);
	/* Clearing mask-all delivers the pending message and clears PBA. */
	msix_ctl(&e, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(pf_eventfd_take(fd2), 1);
	assert_int_equal(pf_mmio_read(e.f, e.pba, 4), 0);
	/* Unmasked: direct delivery. */
	pci_msix_notify(&e.d->pci, 2);
	pci_msix_notify(&e.d->pci, 2);
	assert_int_equal(pf_eventfd_take(fd2), 2);
	/* Vector 0 is still masked by its own bit. */
	pci_msix_notify(&e.d->pci, 0);
	assert_int_equal(pf_eventfd_take(fd0), 0);
	assert_int_equal(pf_mmio_read(e.f, e.pba, 8), 1);
	/* Per-vector mask then unmask: one delivery, however many notifies. */
	pf_mmio_write(e.f, e.table + 2 * 16 + 12, 4, 1);
	pci_msix_notify(&e.d->pci, 2);
	pci_msix_notify(&e.d->pci, 2);
	assert_int_equal(pf_eventfd_take(fd2), 0);
	assert_int_equal(pf_mmio_read(e.f, e.pba, 4), 0x5);
	pf_mmio_write(e.f, e.table + 2 * 16 + 12, 4, 0);
	assert_int_equal(pf_eventfd_take(fd2), 1);
	assert_int_equal(pf_mmio_read(e.f, e.pba, 4), 0x1);
	/* Disable MSI-X: pending again, delivered on re-enable. */
	msix_ctl(&e, 0);
	assert_false(pci_msix_enabled(&e.d->pci));
	pci_msix_notify(&e.d->pci, 2);
	assert_int_equal(pf_eventfd_take(fd2), 0);
	msix_ctl(&e, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(pf_eventfd_take(fd2), 1);
	/* Out-of-range vector: ignored. */
	pci_msix_notify(&e.d->pci, 4);
	pci_msix_notify(&e.d->pci, 100000);
	/* Function reset: disabled, entries masked, PBA clear. */
	pci_msix_notify(&e.d->pci, 0);
	pci_device_reset(&e.d->pci);
	assert_false(pci_msix_enabled(&e.d->pci));
	assert_int_equal(pf_mmio_read(e.f, e.pba, 4), 0);
	assert_int_equal(pf_mmio_read(e.f, e.table + 2 * 16 + 12, 4), 1);
	assert_int_equal(pf_mmio_read(e.f, e.table + 2 * 16 + 8, 4), 0);
	msix_env_free(&e);
}

static void test_msix_bad_layout(void **state)
{
	struct error err = { { 0 } };
	struct tdev *d = tdev_new(0, "msix-bad", 0x000A);
	struct pci_msix m;
	tdev_bar(d, 0, 0, 4 * KiB, PCI_BAR_MEM32);
	tdev_bar(d, 0, 1, 16, PCI_BAR_IO);
	assert_int_equal(pci_msix_init(&m, &d->pci, 0, 0, 0, 0x800, &err), -1);
	assert_int_equal(pci_msix_init(&m, &d->pci, 4, 1, 0, 0x800, &err), -1); /* I/O BAR */
	assert_int_equal(pci_msix_init(&m, &d->pci, 4, 3, 0, 0x800, &err), -1); /* no BAR */
	assert_int_equal(pci_msix_init(&m, &d->pci, 300, 0, 0, 0x800, &err), -1); /* too big */
	assert_int_equal(pci_msix_init(&m, &d->pci, 4, 0, 0, 0x20, &err), -1);   /* overlap */
	assert_int_equal(pci_msix_init(&m, &d->pci, 4, 0, 4, 0x800, &err), -1);  /* unaligned */
	assert_int_equal(pci_msix_init(&m, &d->pci, 4, 0, 0, 0x800, &err), 0);
	pci_msix_destroy(&m);
	tdev_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_bridge_cf8_ecam),
		cmocka_unit_test(test_cf8_latch),
		cmocka_unit_test(test_cf9_chained),
		cmocka_unit_test(test_unaligned_and_out_of_range),
		cmocka_unit_test(test_bar_allocation_and_sizing),
		cmocka_unit_test(test_bar_decode_moves_range),
		cmocka_unit_test(test_bar_hostile_programming),
		cmocka_unit_test(test_bar_window_exhausted),
		cmocka_unit_test(test_capability_list),
		cmocka_unit_test(test_write_masks_and_w1c),
		cmocka_unit_test(test_multifunction),
		cmocka_unit_test(test_msix_capability),
		cmocka_unit_test(test_msix_masking),
		cmocka_unit_test(test_msix_bad_layout),
	};
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
