// SPDX-License-Identifier: GPL-2.0-only
#include "apic.h"

uint8_t apic_setup(bool verbose)
{
	outb(0x21, 0xff); /* mask both 8259s: nothing via ExtINT */
	outb(0xA1, 0xff);
	uint64_t base = rdmsr(0x1B);
	if (verbose)
		pr("  IA32_APIC_BASE 0x%llx\n", base);
	CHECK((base & ~0xfffull) == LAPIC_BASE, "IA32_APIC_BASE 0x%llx: LAPIC not at 0x%08x", base,
	      LAPIC_BASE);
	CHECK(base & (1u << 8), "IA32_APIC_BASE 0x%llx: BSP flag clear on vCPU 0", base);
	if (!(base & (1u << 11))) {
		warn("LAPIC globally disabled at entry (IA32_APIC_BASE 0x%llx); enabling", base);
		wrmsr(0x1B, base | (1u << 11));
	}
	CHECK(!(base & (1u << 10)), "LAPIC in x2APIC mode at entry");
	uint32_t ver = lapic_read(LAPIC_VER);
	uint8_t id = (uint8_t)(lapic_read(LAPIC_ID) >> 24);
	if (verbose)
		pr("  LAPIC id %u version 0x%x (%u LVTs)\n", id, ver & 0xff, ((ver >> 16) & 0xff) + 1);
	CHECK((ver & 0xff) >= 0x10, "LAPIC version 0x%x: not an integrated APIC", ver);
	lapic_write(LAPIC_SVR, 0x100 | 0xff); /* enable, spurious vector 0xff */
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	return id;
}

void lapic_timer_oneshot(uint8_t vector, uint32_t count)
{
	lapic_write(LAPIC_TDCR, 0xB); /* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, count ? vector : LVT_MASKED);
	lapic_write(LAPIC_TMICT, count);
}

void lapic_self_ipi(uint8_t vector)
{
	lapic_write(LAPIC_ICR_HI, 0);
	lapic_write(LAPIC_ICR_LO, (1u << 18) | (1u << 14) | vector); /* self, assert, fixed */
}

void ioapic_route(unsigned pin, uint8_t vector, uint8_t dest, bool level, bool masked)
{
	uint32_t lo = vector | (level ? (1u << 15) : 0) | (masked ? (1u << 16) : 0);
	ioapic_write(0x10 + 2 * pin + 1, (uint32_t)dest << 24);
	ioapic_write(0x10 + 2 * pin, lo);
}
