// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_scan: enumerate bus 0 through CF8/CFC *and* ECAM, check both paths
 * show the same 256 bytes of every function, print vendor:device/class,
 * size every BAR (checking alignment and window placement), walk the
 * capability lists, and require a virtio-rng (1af4:1044).
 */
#include "virtio.h"

const char payload_name[] = "pci_scan";

static void check_function(uint32_t bdf, unsigned *found_rng, unsigned *found_hostbridge)
{
	unsigned b = PCI_BUS(bdf), dv = PCI_DEV(bdf), fn = PCI_FN(bdf);
	/* Both access paths must agree on the legacy 256 bytes. */
	for (unsigned off = 0; off < 256; off += 4) {
		uint32_t a = cf8_read(bdf, off, 4), e = ecam_read(bdf, off, 4);
		CHECK(a == e, "%02x:%02x.%u offset 0x%02x: CF8 0x%08x != ECAM 0x%08x", b, dv, fn,
		      off, a, e);
	}
	uint32_t id = pci_read32(bdf, 0), cr = pci_read32(bdf, PCI_CLASS_REV);
	uint8_t ht = pci_read8(bdf, PCI_HEADER_TYPE) & 0x7f;
	pr("%02x:%02x.%u %04x:%04x class %06x rev %02x hdr %u\n", b, dv, fn, id & 0xffff, id >> 16,
	   cr >> 8, cr & 0xff, ht);
	if ((id & 0xffff) == VIRTIO_VENDOR && (id >> 16) == VIRTIO_PCI_DEVICE(VIRTIO_ID_RNG))
		(*found_rng)++;
	if ((cr >> 8) == 0x060000)
		(*found_hostbridge)++;
	CHECK(ht == 0 || ht == 1, "%02x:%02x.%u: header type %u", b, dv, fn, ht);

	/* Extended config space exists through ECAM only; offset 0x100 must not
	 * read as a copy of offset 0 (a common decode bug). */
	uint32_t ext = ecam_read(bdf, 0x100, 4);
	CHECK(ext != id, "%02x:%02x.%u: ECAM offset 0x100 aliases offset 0 (0x%08x)", b, dv, fn, ext);

	unsigned nbars = ht == 0 ? 6 : 2;
	for (unsigned i = 0; i < nbars;) {
		struct pci_bar bar;
		int used = pci_bar_probe(bdf, i, &bar);
		if (bar.size) {
			pr("    BAR%u %s%s%s at 0x%llx size 0x%llx\n", i, bar.io ? "io" : "mem",
			   bar.is64 ? "64" : "32", bar.prefetch ? " pref" : "", bar.addr, bar.size);
			CHECK(!(bar.size & (bar.size - 1)), "BAR%u size 0x%llx not a power of two", i,
			      bar.size);
			CHECK(!(bar.addr & (bar.size - 1)), "BAR%u at 0x%llx not aligned to its size 0x%llx",
			      i, bar.addr, bar.size);
			if (bar.io) {
				CHECK(bar.addr >= 0x1000 && bar.addr + bar.size <= 0x10000,
				      "I/O BAR%u at 0x%llx outside the PCI I/O window", i, bar.addr);
			} else if (bar.addr < 0x100000000ull) {
				CHECK(bar.addr >= MMIO32_BASE && bar.addr + bar.size <= MMIO32_END,
				      "BAR%u 0x%llx+0x%llx outside the 32-bit MMIO window", i, bar.addr,
				      bar.size);
			}
			CHECK(pci_bar_addr(bdf, i) == bar.addr, "BAR%u moved after sizing", i);
		}
		i += (unsigned)used;
	}
	if (pci_read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST) {
		unsigned p = pci_read8(bdf, PCI_CAP_PTR), n = 0;
		pr("    caps:");
		for (; p; p = pci_read8(bdf, p + 1)) {
			CHECK(++n < 48, "capability list loops");
			CHECK(p >= 0x40 && !(p & 3), "bad capability pointer 0x%x", p);
			pr(" %02x@%02x", pci_read8(bdf, p), p);
		}
		pr("\n");
	}
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	unsigned nfuncs = 0, rng = 0, hb = 0;
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			uint32_t bdf = PCI_BDF(0, dev, fn);
			uint32_t a = cf8_read(bdf, 0, 4), e = ecam_read(bdf, 0, 4);
			CHECK(a == e, "00:%02x.%u id: CF8 0x%08x != ECAM 0x%08x", dev, fn, a, e);
			if ((a & 0xffff) == 0xffff) {
				CHECK(a == 0xffffffffu, "00:%02x.%u absent but reads 0x%08x", dev, fn, a);
				if (fn == 0)
					break;
				continue;
			}
			nfuncs++;
			check_function(bdf, &rng, &hb);
			if (fn == 0 && !(pci_read8(bdf, PCI_HEADER_TYPE) & 0x80))
				break;
		}
	}
	CHECK(cf8_read(PCI_BDF(1, 0, 0), 0, 4) == 0xffffffffu, "bus 1 via CF8 not empty");
	CHECK(ecam_read(PCI_BDF(1, 0, 0), 0, 4) == 0xffffffffu, "bus 1 via ECAM not empty");
	pr("%u functions on bus 0\n", nfuncs);
	CHECK(rng == 1, "expected one virtio-rng 1af4:1044 on bus 0, found %u", rng);
	if (!hb)
		warn("no host bridge (class 0x0600) on bus 0: Linux's pci_sanity_check for "
		     "type-1 config wants one (ECAM from MCFG still works)");

	/* The virtio capability walk (also sizes the BARs it points into). */
	struct vdev d;
	virtio_open(&d, VIRTIO_ID_RNG, true);
	return 0;
}
