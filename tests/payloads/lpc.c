// SPDX-License-Identifier: GPL-2.0-only
/* lpc: the ICH9 LPC bridge as OVMF's PlatformPei finds it: 00:1f.0 is
 * 8086:2918 class 0x0601, PMBASE 0x600 with ACPI decode on; the ACPI PM
 * timer at PMBASE+8 counts (24 bits, about 3.58 MHz against the TSC when
 * the TSC's rate is known: tsc_khz=N); PMBASE moved as firmware may move
 * it takes the whole block along (the old ports read all ones), and the
 * power-off OVMF writes on q35 (SLP_TYP 0 with SLP_EN) ends the VM. */
#include "pci.h"
#include "rt.h"

const char payload_name[] = "lpc";

#define LPC_DEVFN (0x1f << 3)
#define NEW_BASE 0x700

static uint32_t timer(uint16_t base)
{
	return inl(base + 8);
}

static void check_counts(uint16_t base)
{
	uint32_t a = timer(base);
	CHECK(a < (1u << 24), "PM timer 0x%x is more than 24 bits", a);
	uint64_t t0 = rdtsc();
	uint32_t b = a;
	while (b == a && rdtsc() - t0 < 2000000000ull)
		b = timer(base);
	CHECK(b != a, "PM timer at 0x%x does not count", base + 8);
	unsigned khz = parse_u32(cmdline_get("tsc_khz"), 0);
	if (!khz)
		return;
	/* About 10 ms of TSC: 35795 ticks, give or take a quarter (a nested host). */
	uint32_t start = timer(base);
	uint64_t t1 = rdtsc();
	while (rdtsc() - t1 < (uint64_t)khz * 10)
		cpu_relax();
	uint32_t ticks = (timer(base) - start) & 0xFFFFFF;
	pr("PM timer: %u ticks in 10 ms of TSC\n", ticks);
	CHECK(ticks > 26000 && ticks < 45000, "PM timer ran %u ticks in 10 ms (want ~35795)", ticks);
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	uint32_t id = pci_read32(LPC_DEVFN, 0), class = pci_read32(LPC_DEVFN, 8) >> 8;
	CHECK(id == 0x29188086, "00:1f.0 is %08x, want the ICH9 LPC 8086:2918", id);
	CHECK(class == 0x060100, "00:1f.0 class %06x, want 0x060100 (ISA bridge)", class);
	uint32_t pmbase = pci_read32(LPC_DEVFN, 0x40);
	CHECK(pmbase == 0x601, "PMBASE 0x%x, want 0x601", pmbase);
	CHECK(pci_read8(LPC_DEVFN, 0x44) & 0x80, "ACPI decode is off");
	check_counts(0x600);

	/* PlatformPei's sequence: PMBASE, then ACPI_CNTL's enable. */
	pci_write8(LPC_DEVFN, 0x44, 0);
	CHECK(inl(0x608) == 0xffffffffu, "the PM block still decodes with ACPI_CNTL off");
	pci_write32(LPC_DEVFN, 0x40, NEW_BASE);
	pci_write8(LPC_DEVFN, 0x44, 0x80);
	CHECK(pci_read32(LPC_DEVFN, 0x40) == (NEW_BASE | 1), "PMBASE reads 0x%x",
	      pci_read32(LPC_DEVFN, 0x40));
	CHECK(inl(0x608) == 0xffffffffu, "the old PM timer port still answers");
	check_counts(NEW_BASE);
	pr("PAYLOAD-OK lpc\n");
	/* OVMF's q35 power-off: SLP_TYP 0 | SLP_EN at the moved PM1_CNT. */
	outw(NEW_BASE + 4, 1u << 13);
	pr("PAYLOAD-FAIL the power-off at PMBASE+4 did not stop the VM\n");
	for (;;)
		__asm__ volatile("hlt");
}
