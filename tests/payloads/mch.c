// SPDX-License-Identifier: GPL-2.0-only
/* mch: the q35 host bridge's PCIEXBAR as firmware programs it (through
 * CF8/CFC, as OVMF's PlatformPei does before ECAM is on): ECAM answers at
 * the base written and not at the old one, a smaller length shrinks it, a
 * window over RAM or with decode off gives none (and the VMM goes on), and
 * 0xB0000000 | enable, what OVMF writes, puts it back. PAM and SMRAM keep
 * what is written. */
#include "pci.h"
#include "rt.h"

const char payload_name[] = "mch";

#define PCIEXBAR 0x60
#define OLD 0xB0000000u
#define NEW 0xE0000000u

static uint32_t ecam_id_at(uint32_t base, unsigned bus)
{
	return mmio_read32(base + (bus << 20));   /* 00:00.0 of that bus, register 0 */
}

static void pciexbar(uint32_t lo)
{
	cf8_write(0, PCIEXBAR + 4, 4, 0);
	cf8_write(0, PCIEXBAR, 4, lo);
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	uint32_t id = cf8_read(0, 0, 4);
	CHECK(id == 0x29c08086, "00:00.0 is %08x, want the q35 MCH 8086:29c0", id);
	CHECK(cf8_read(0, PCIEXBAR, 4) == (OLD | 1), "PCIEXBAR 0x%x at boot, want 0x%x",
	      cf8_read(0, PCIEXBAR, 4), OLD | 1);
	CHECK(ecam_id_at(OLD, 0) == id, "ECAM at 0x%x does not show 00:00.0", OLD);

	pciexbar(NEW | 1);
	CHECK(ecam_id_at(NEW, 0) == id, "ECAM did not move to 0x%x", NEW);
	CHECK(ecam_id_at(OLD, 0) == 0xffffffffu, "the old ECAM window still answers");
	pciexbar(NEW | 2 << 1 | 1);                   /* 64 buses: 64 MiB */
	CHECK(ecam_id_at(NEW, 0) == id, "the 64-bus window does not answer");
	CHECK(ecam_id_at(NEW, 64) == 0xffffffffu, "the 64-bus window reaches bus 64");

	pciexbar(0x10000000u | 1);                    /* over guest RAM: refused */
	CHECK(cf8_read(0, 0, 4) == id, "CF8 stopped after a PCIEXBAR over RAM");
	CHECK(ecam_id_at(NEW, 0) == 0xffffffffu, "a refused PCIEXBAR left a window");
	pciexbar(NEW);                                /* decode off */
	CHECK(ecam_id_at(NEW, 0) == 0xffffffffu, "ECAM answers with PCIEXBAR off");

	pciexbar(OLD | 1);                            /* what OVMF writes */
	CHECK(ecam_id_at(OLD, 0) == id, "ECAM did not come back at 0x%x", OLD);
	CHECK(ecam_read(0xf8, 0, 4) == cf8_read(0xf8, 0, 4), "ECAM and CF8 disagree on 00:1f.0");

	cf8_write(0, 0x90, 1, 0x30);
	cf8_write(0, 0x91, 1, 0x33);
	CHECK(cf8_read(0, 0x90, 2) == 0x3330, "PAM0/1 read 0x%x after 0x30/0x33",
	      cf8_read(0, 0x90, 2));
	return 0;
}
