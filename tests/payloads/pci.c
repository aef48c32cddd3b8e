// SPDX-License-Identifier: GPL-2.0-only
#include "pci.h"

static uint32_t cf8_addr(uint32_t bdf, unsigned off)
{
	return 0x80000000u | (bdf << 8) | (off & 0xfc);
}

uint32_t cf8_read(uint32_t bdf, unsigned off, unsigned len)
{
	outl(0xCF8, cf8_addr(bdf, off));
	switch (len) {
	case 1:
		return inb((uint16_t)(0xCFC + (off & 3)));
	case 2:
		return inw((uint16_t)(0xCFC + (off & 2)));
	default:
		return inl(0xCFC);
	}
}

void cf8_write(uint32_t bdf, unsigned off, unsigned len, uint32_t v)
{
	outl(0xCF8, cf8_addr(bdf, off));
	switch (len) {
	case 1:
		outb((uint16_t)(0xCFC + (off & 3)), (uint8_t)v);
		break;
	case 2:
		outw((uint16_t)(0xCFC + (off & 2)), (uint16_t)v);
		break;
	default:
		outl(0xCFC, v);
	}
}

uint32_t ecam_read(uint32_t bdf, unsigned off, unsigned len)
{
	uintptr_t a = ecam_addr(bdf, off);
	switch (len) {
	case 1:
		return mmio_read8(a);
	case 2:
		return mmio_read16(a);
	default:
		return mmio_read32(a);
	}
}

void ecam_write(uint32_t bdf, unsigned off, unsigned len, uint32_t v)
{
	uintptr_t a = ecam_addr(bdf, off);
	switch (len) {
	case 1:
		mmio_write8(a, (uint8_t)v);
		break;
	case 2:
		mmio_write16(a, (uint16_t)v);
		break;
	default:
		mmio_write32(a, v);
	}
}

int pci_find(uint16_t vendor, uint16_t device)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			uint32_t bdf = PCI_BDF(0, dev, fn);
			uint32_t id = pci_read32(bdf, 0);
			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			if ((id & 0xffff) == vendor && (id >> 16) == device)
				return (int)bdf;
			if (fn == 0 && !(pci_read8(bdf, PCI_HEADER_TYPE) & 0x80))
				break;
		}
	}
	return -1;
}

unsigned pci_find_cap(uint32_t bdf, uint8_t id, unsigned start)
{
	if (!(pci_read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	unsigned p = start ? pci_read8(bdf, start + 1) : pci_read8(bdf, PCI_CAP_PTR);
	for (unsigned n = 0; p; n++) {
		CHECK(n < 48, "%02x:%02x.%u: capability list loops", PCI_BUS(bdf), PCI_DEV(bdf),
		      PCI_FN(bdf));
		CHECK(p >= 0x40 && p < 0x100 && !(p & 3),
		      "%02x:%02x.%u: bad capability pointer 0x%x", PCI_BUS(bdf), PCI_DEV(bdf),
		      PCI_FN(bdf), p);
		if (pci_read8(bdf, p) == id)
			return p;
		p = pci_read8(bdf, p + 1);
	}
	return 0;
}

uint64_t pci_bar_addr(uint32_t bdf, unsigned i)
{
	uint32_t lo = pci_read32(bdf, PCI_BAR0 + 4 * i);
	if (lo & 1)
		return lo & ~3u;
	uint64_t a = lo & ~0xfu;
	if ((lo & 6) == 4 && i < 5)
		a |= (uint64_t)pci_read32(bdf, PCI_BAR0 + 4 * (i + 1)) << 32;
	return a;
}

int pci_bar_probe(uint32_t bdf, unsigned i, struct pci_bar *bar)
{
	unsigned off = PCI_BAR0 + 4 * i;
	uint16_t cmd = pci_read16(bdf, PCI_COMMAND);
	memset(bar, 0, sizeof(*bar));
	pci_write16(bdf, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));

	uint32_t lo = pci_read32(bdf, off);
	pci_write32(bdf, off, 0xffffffffu);
	uint32_t mlo = pci_read32(bdf, off);
	pci_write32(bdf, off, lo);
	int used = 1;
	if (lo & 1) {
		bar->io = true;
		bar->addr = lo & ~3u;
		uint32_t m = mlo & ~3u;
		bar->size = m ? (uint32_t)(~m + 1) & 0xffff : 0;
	} else {
		bar->prefetch = lo & 8;
		bar->is64 = (lo & 6) == 4;
		uint64_t m = mlo & ~0xfu;
		bar->addr = lo & ~0xfu;
		if (bar->is64 && i < 5) {
			uint32_t hi = pci_read32(bdf, off + 4);
			pci_write32(bdf, off + 4, 0xffffffffu);
			uint32_t mhi = pci_read32(bdf, off + 4);
			pci_write32(bdf, off + 4, hi);
			m |= (uint64_t)mhi << 32;
			bar->addr |= (uint64_t)hi << 32;
			used = 2;
		} else if (m) {
			m |= 0xffffffff00000000ull;
		}
		bar->size = m ? ~m + 1 : 0;
	}
	pci_write16(bdf, PCI_COMMAND, cmd);
	return used;
}

uintptr_t pci_bar_place_low(uint32_t bdf, unsigned i, const struct pci_bar *b)
{
	if (b->addr && b->addr + b->size <= 0x100000000ull)
		return (uintptr_t)b->addr;
	/* The top of the 32-bit window, naturally aligned. */
	uint32_t target = (uint32_t)((MMIO32_END - b->size) & ~(b->size - 1));
	uint16_t cmd = pci_read16(bdf, PCI_COMMAND);
	pci_write16(bdf, PCI_COMMAND, cmd & ~PCI_CMD_MEM);
	pci_write32(bdf, PCI_BAR0 + 4 * i, target | 0xc); /* 64-bit, prefetchable */
	pci_write32(bdf, PCI_BAR0 + 4 * i + 4, 0);
	pci_write16(bdf, PCI_COMMAND, cmd | PCI_CMD_MEM);
	CHECK(pci_bar_addr(bdf, i) == target, "BAR%u did not move to 0x%x", i, target);
	pr("BAR%u moved from 0x%llx to 0x%x\n", i, b->addr, target);
	return target;
}
