/* SPDX-License-Identifier: GPL-2.0-only */
/* PCI config access for payloads: legacy CF8/CFC and ECAM (MMCONFIG). */
#ifndef PAYLOAD_PCI_H
#define PAYLOAD_PCI_H

#include "rt.h"

#define PCI_BDF(b, d, f) ((uint32_t)(((b) << 8) | ((d) << 3) | (f)))
#define PCI_BUS(bdf) (((bdf) >> 8) & 0xff)
#define PCI_DEV(bdf) (((bdf) >> 3) & 0x1f)
#define PCI_FN(bdf) ((bdf) & 7)

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_CMD_IO 0x1
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_CMD_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

/* Legacy mechanism #1 (ports 0xCF8/0xCFC); any width, any offset < 256. */
uint32_t cf8_read(uint32_t bdf, unsigned off, unsigned len);
void cf8_write(uint32_t bdf, unsigned off, unsigned len, uint32_t v);

/* ECAM at ECAM_BASE; any width, any offset < 4096. */
static inline uintptr_t ecam_addr(uint32_t bdf, unsigned off)
{
	return ECAM_BASE + ((uintptr_t)bdf << 12) + off;
}
uint32_t ecam_read(uint32_t bdf, unsigned off, unsigned len);
void ecam_write(uint32_t bdf, unsigned off, unsigned len, uint32_t v);

#define pci_read32(bdf, off) ecam_read(bdf, off, 4)
#define pci_read16(bdf, off) ((uint16_t)ecam_read(bdf, off, 2))
#define pci_read8(bdf, off) ((uint8_t)ecam_read(bdf, off, 1))
#define pci_write32(bdf, off, v) ecam_write(bdf, off, 4, v)
#define pci_write16(bdf, off, v) ecam_write(bdf, off, 2, v)
#define pci_write8(bdf, off, v) ecam_write(bdf, off, 1, v)

/* First function on bus 0 with this vendor:device; -1 if none. */
int pci_find(uint16_t vendor, uint16_t device);
/* Offset of the next capability with `id` after `start` (0: from the head);
 * 0 if none. Fails the payload on a malformed (looping, misaligned) list. */
unsigned pci_find_cap(uint32_t bdf, uint8_t id, unsigned start);

struct pci_bar {
	uint64_t addr;
	uint64_t size;
	bool io, is64, prefetch;
};
/* Decode and size BAR `i` (decode is turned off while sizing, then
 * restored). Returns the number of BAR slots used (1 or 2); size 0: absent. */
int pci_bar_probe(uint32_t bdf, unsigned i, struct pci_bar *bar);
/* A 64-bit memory BAR i (probed into *b) moved below 4 GiB if it is not
 * there (payloads run without paging), at the top of the 32-bit window;
 * returns its address. */
uintptr_t pci_bar_place_low(uint32_t bdf, unsigned i, const struct pci_bar *b);
/* Guest-physical address of BAR i (memory BARs), 0 if unassigned. */
uint64_t pci_bar_addr(uint32_t bdf, unsigned i);

#endif
