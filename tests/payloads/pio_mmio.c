// SPDX-License-Identifier: GPL-2.0-only
/*
 * pio_mmio: port and memory-mapped round trips through passvm's buses,
 * using devices that exist anyway (no test device needed):
 *   PIO : 16550 scratch register (0x3FF), divisor latch (DLAB), 0xCF8
 *         address latch read-back, 0xCFC data port at every width,
 *         unclaimed port reads all ones;
 *   MMIO: ECAM config reads at every width agree with CF8/CFC, a config
 *         write through ECAM is seen through CF8 and back, virtio-rng
 *         MSI-X table and common-config registers, unclaimed MMIO reads
 *         all ones and drops writes.
 */
#include "virtio.h"

const char payload_name[] = "pio_mmio";

#define UNCLAIMED_PORT 0x0EF0       /* nothing in passvm's PIO map */
#define UNCLAIMED_MMIO 0xFEBF0000u  /* top of the 32-bit window, above any BAR */

static uint32_t lcg = 12345;
static uint32_t rnd(void)
{
	lcg = lcg * 1103515245u + 12345u;
	return lcg >> 8 | lcg << 24;
}

static void test_pio(unsigned iters)
{
	/* Scratch register: every byte value, then random ones. */
	for (unsigned v = 0; v < 256; v++) {
		outb(PORT_COM1 + 7, (uint8_t)v);
		uint8_t r = inb(PORT_COM1 + 7);
		CHECK(r == v, "PIO: 16550 SCR wrote 0x%02x read 0x%02x", v, r);
	}
	for (unsigned i = 0; i < iters; i++) {
		uint8_t v = (uint8_t)rnd();
		outb(PORT_COM1 + 7, v);
		CHECK(inb(PORT_COM1 + 7) == v, "PIO: SCR round trip %u failed", i);
	}
	pr("  PIO 16550 SCR: %u round trips ok\n", 256 + iters);

	/* Divisor latch behind DLAB (Linux's 8250 probe does exactly this). */
	uint8_t lcr = inb(PORT_COM1 + 3);
	outb(PORT_COM1 + 3, (uint8_t)(lcr | 0x80));
	outb(PORT_COM1 + 0, 0x0c);
	outb(PORT_COM1 + 1, 0x5a);
	uint8_t dll = inb(PORT_COM1 + 0), dlm = inb(PORT_COM1 + 1);
	outb(PORT_COM1 + 0, 0x01);
	outb(PORT_COM1 + 1, 0x00);
	outb(PORT_COM1 + 3, lcr & 0x7f);
	CHECK(dll == 0x0c && dlm == 0x5a, "PIO: 16550 divisor latch wrote 0x0c/0x5a read 0x%02x/0x%02x",
	      dll, dlm);
	CHECK(inb(PORT_COM1 + 1) == 0, "PIO: IER reads 0x%02x after DLAB cleared (IER/DLM confused?)",
	      inb(PORT_COM1 + 1));
	pr("  PIO 16550 divisor latch ok\n");

	/* Unclaimed ports read all ones at every width. */
	uint8_t b = inb(UNCLAIMED_PORT);
	uint16_t w = inw(UNCLAIMED_PORT);
	uint32_t l = inl(UNCLAIMED_PORT);
	CHECK(b == 0xff && w == 0xffff && l == 0xffffffffu,
	      "PIO: unclaimed port 0x%x reads 0x%x/0x%x/0x%x, want all ones", UNCLAIMED_PORT, b,
	      w, l);
	outl(UNCLAIMED_PORT, 0x12345678);
	CHECK(inl(UNCLAIMED_PORT) == 0xffffffffu, "PIO: write to unclaimed port stuck");
	pr("  PIO unclaimed port reads all ones\n");

	/* 0xCF8 is a read/write latch (Linux's pci_check_type1 relies on it). */
	for (unsigned i = 0; i < 64; i++) {
		uint32_t a = 0x80000000u | (rnd() & 0x00fffffc);
		outl(0xCF8, a);
		uint32_t r = inl(0xCF8);
		CHECK(r == a, "PIO: 0xCF8 wrote 0x%08x read 0x%08x", a, r);
	}
	outl(0xCF8, 0);
	pr("  PIO 0xCF8 latch reads back\n");

	/* Data port at each width agrees with the dword. */
	outl(0xCF8, 0x80000000u);
	uint32_t id = inl(0xCFC);
	CHECK(id != 0xffffffffu, "PIO: no device at 00:00.0 via CF8 (reads all ones)");
	uint32_t bytes = inb(0xCFC) | (uint32_t)inb(0xCFD) << 8 | (uint32_t)inb(0xCFE) << 16 |
			 (uint32_t)inb(0xCFF) << 24;
	uint32_t words = inw(0xCFC) | (uint32_t)inw(0xCFE) << 16;
	CHECK(bytes == id && words == id, "PIO: 00:00.0 id dword 0x%08x, bytes 0x%08x, words 0x%08x",
	      id, bytes, words);
	/* Enable bit clear: config data reads all ones (no cycle). */
	outl(0xCF8, 0x00000000u);
	uint32_t dis = inl(0xCFC);
	if (dis != 0xffffffffu)
		warn("0xCFC with 0xCF8 enable bit clear reads 0x%08x, real chipsets give all ones", dis);
	pr("  PIO CF8/CFC widths ok (00:00.0 = %04x:%04x)\n", id & 0xffff, id >> 16);
}

static void test_mmio(unsigned iters)
{
	uint32_t bdf0 = PCI_BDF(0, 0, 0);
	uint32_t id = cf8_read(bdf0, 0, 4);
	uint32_t e4 = ecam_read(bdf0, 0, 4);
	uint32_t e2 = ecam_read(bdf0, 0, 2) | ecam_read(bdf0, 2, 2) << 16;
	uint32_t e1 = ecam_read(bdf0, 0, 1) | ecam_read(bdf0, 1, 1) << 8 |
		      ecam_read(bdf0, 2, 1) << 16 | ecam_read(bdf0, 3, 1) << 24;
	CHECK(e4 == id && e2 == id && e1 == id,
	      "MMIO: ECAM 00:00.0 id 0x%08x/0x%08x/0x%08x (4/2/1 bytes), CF8 says 0x%08x", e4, e2,
	      e1, id);
	pr("  MMIO ECAM widths agree with CF8 (0x%08x)\n", id);

	/* Interrupt Line (0x3C) is a plain r/w byte: write one way, read the other. */
	struct vdev d;
	virtio_open(&d, VIRTIO_ID_RNG, false);
	uint8_t save = (uint8_t)cf8_read(d.bdf, PCI_INTERRUPT_LINE, 1);
	for (unsigned i = 0; i < iters; i++) {
		uint8_t v = (uint8_t)rnd();
		if (i & 1) {
			ecam_write(d.bdf, PCI_INTERRUPT_LINE, 1, v);
			uint8_t r = (uint8_t)cf8_read(d.bdf, PCI_INTERRUPT_LINE, 1);
			CHECK(r == v, "config 0x3C: ECAM wrote 0x%02x, CF8 read 0x%02x", v, r);
		} else {
			cf8_write(d.bdf, PCI_INTERRUPT_LINE, 1, v);
			uint8_t r = (uint8_t)ecam_read(d.bdf, PCI_INTERRUPT_LINE, 1);
			CHECK(r == v, "config 0x3C: CF8 wrote 0x%02x, ECAM read 0x%02x", v, r);
		}
	}
	cf8_write(d.bdf, PCI_INTERRUPT_LINE, 1, save);
	pr("  MMIO/PIO config 0x3C cross round trips: %u ok\n", iters);

	/* virtio common config: 32- and 16-bit registers that read back. */
	for (unsigned i = 0; i < 2; i++) {
		mmio_write32(d.common + VCC_GFSELECT, i);
		CHECK(mmio_read32(d.common + VCC_GFSELECT) == i, "MMIO: driver_feature_select != %u", i);
	}
	mmio_write16(d.common + VCC_MSIX_CONFIG, VIRTIO_MSI_NO_VECTOR);
	CHECK(mmio_read16(d.common + VCC_MSIX_CONFIG) == VIRTIO_MSI_NO_VECTOR,
	      "MMIO: msix_config does not keep NO_VECTOR");
	pr("  MMIO virtio common config registers ok\n");

	/* MSI-X table message data: a plain 32-bit r/w register. */
	if (d.msix_cap) {
		uintptr_t e = d.msix_table;
		uint32_t sa = mmio_read32(e), sd = mmio_read32(e + 8), sc = mmio_read32(e + 12);
		CHECK(sc & 1, "MSI-X entry 0 not masked at reset (ctrl 0x%x)", sc);
		for (unsigned i = 0; i < iters; i++) {
			uint32_t v = rnd();
			mmio_write32(e + 8, v);
			uint32_t r = mmio_read32(e + 8);
			CHECK(r == v, "MMIO: MSI-X data wrote 0x%08x read 0x%08x (iteration %u)", v, r, i);
		}
		mmio_write32(e, sa);
		mmio_write32(e + 8, sd);
		pr("  MMIO MSI-X table round trips: %u ok\n", iters);
	} else {
		warn("virtio-rng has no MSI-X capability");
	}

	/* Unclaimed MMIO: all ones, writes dropped. */
	uint32_t l = mmio_read32(UNCLAIMED_MMIO);
	uint16_t w = mmio_read16(UNCLAIMED_MMIO + 2);
	uint8_t b = mmio_read8(UNCLAIMED_MMIO + 1);
	CHECK(l == 0xffffffffu && w == 0xffff && b == 0xff,
	      "MMIO: unclaimed 0x%08x reads 0x%x/0x%x/0x%x, want all ones", UNCLAIMED_MMIO, l, w, b);
	mmio_write32(UNCLAIMED_MMIO, 0);
	CHECK(mmio_read32(UNCLAIMED_MMIO) == 0xffffffffu, "MMIO: write to unclaimed 0x%08x stuck",
	      UNCLAIMED_MMIO);
	/* Nonexistent bus through ECAM: all ones. */
	CHECK(ecam_read(PCI_BDF(200, 0, 0), 0, 4) == 0xffffffffu, "MMIO: ECAM bus 200 not all ones");
	pr("  MMIO unclaimed reads all ones\n");
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	unsigned iters = parse_u32(cmdline_get("iters"), 1000);
	test_pio(iters);
	test_mmio(iters);
	return 0;
}
