// SPDX-License-Identifier: GPL-2.0-only
/*
 * ivshmem: the display-shm device as a guest driver sees it. Finds
 * 1af4:1110, checks QEMU ivshmem-plain's identity (class 0x0500, rev 1,
 * subsystem 1af4:1100), BAR0 = 256-byte registers (IVPosition 0), BAR2 = a
 * 64-bit prefetchable BAR of `shm_size=` bytes; moves BAR2 below 4 GiB
 * (this payload runs without paging), reads the marker the host test put
 * into the file (`host_marker=1`: "HOSTDATA" at 64 KiB) and writes a
 * pattern that tests/kvm/ivshmem.sh then finds in the host file.
 */
#include "pci.h"

const char payload_name[] = "ivshmem";

#define PATTERN_OFF 0x100u
#define PATTERN_WORDS 1024u

static uint32_t pattern(uint32_t i)
{
	return i * 0x9e3779b9u + 1;
}

static void check_identity(uint32_t bdf)
{
	uint32_t cr = pci_read32(bdf, PCI_CLASS_REV), ss = pci_read32(bdf, 0x2c);
	CHECK(cr == 0x05000001u, "class/revision 0x%08x, want 0x05000001", cr);
	CHECK(ss == 0x11001af4u, "subsystem 0x%08x, want 0x11001af4", ss);
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	uint32_t size = parse_u32(cmdline_get("shm_size"), 1u << 20);
	int f = pci_find(0x1af4, 0x1110);
	CHECK(f >= 0, "no ivshmem device 1af4:1110");
	uint32_t bdf = (uint32_t)f;
	check_identity(bdf);
	struct pci_bar regs, shm;
	pci_bar_probe(bdf, 0, &regs);
	pci_bar_probe(bdf, 2, &shm);
	CHECK(!regs.io && !regs.is64 && regs.size == 256, "BAR0: want 256 bytes of mem32");
	CHECK(shm.is64 && shm.prefetch && shm.size == size,
	      "BAR2: 64-bit %d prefetch %d size 0x%llx, want 64-bit prefetchable 0x%x", shm.is64,
	      shm.prefetch, shm.size, size);
	pci_write16(bdf, PCI_COMMAND, pci_read16(bdf, PCI_COMMAND) | PCI_CMD_MEM);
	CHECK(mmio_read32((uintptr_t)regs.addr + 8) == 0, "IVPosition not 0 without interrupts");

	uintptr_t base = pci_bar_place_low(bdf, 2, &shm);
	if (parse_u32(cmdline_get("host_marker"), 0)) {
		CHECK(mmio_read32(base + 0x10000) == 0x54534f48u &&     /* "HOST" */
		      mmio_read32(base + 0x10004) == 0x41544144u,       /* "DATA" */
		      "host's marker not at 64 KiB: 0x%08x", mmio_read32(base + 0x10000));
	}
	static const char magic[] = "PASSVM-IVSHMEM-OK";
	for (unsigned i = 0; i < sizeof(magic) - 1; i++)
		mmio_write8(base + i, (uint8_t)magic[i]);
	for (uint32_t i = 0; i < PATTERN_WORDS; i++)
		mmio_write32(base + PATTERN_OFF + 4 * i, pattern(i));
	mmio_write32(base + size - 4, 0xc0ffee11u);
	for (uint32_t i = 0; i < PATTERN_WORDS; i++)
		CHECK(mmio_read32(base + PATTERN_OFF + 4 * i) == pattern(i), "read back word %u", i);
	pr("ivshmem %02x:%02x.%u BAR2 0x%x bytes at 0x%x written\n", PCI_BUS(bdf),
	   PCI_DEV(bdf), PCI_FN(bdf), size, (unsigned)base);
	return 0;
}
