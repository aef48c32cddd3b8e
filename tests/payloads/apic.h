/* SPDX-License-Identifier: GPL-2.0-only */
/* Local APIC (xAPIC MMIO), IOAPIC and 8259 helpers for payloads. */
#ifndef PAYLOAD_APIC_H
#define PAYLOAD_APIC_H

#include "rt.h"

#define LAPIC_ID 0x20
#define LAPIC_VER 0x30
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xB0
#define LAPIC_SVR 0xF0
#define LAPIC_ISR0 0x100
#define LAPIC_IRR0 0x200
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TMICT 0x380
#define LAPIC_TMCCT 0x390
#define LAPIC_TDCR 0x3E0
#define LVT_MASKED (1u << 16)

static inline uint32_t lapic_read(unsigned reg) { return mmio_read32(LAPIC_BASE + reg); }
static inline void lapic_write(unsigned reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

/* Mask the 8259s, check IA32_APIC_BASE, software-enable the LAPIC, mask
 * LINT0/LINT1/timer. Returns the BSP's APIC id. */
uint8_t apic_setup(bool verbose);
/* One-shot LAPIC timer: `count` ticks at divide-by-1 (0 stops it). */
void lapic_timer_oneshot(uint8_t vector, uint32_t count);
void lapic_self_ipi(uint8_t vector);

static inline uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(IOAPIC_BASE, reg);
	return mmio_read32(IOAPIC_BASE + 0x10);
}
static inline void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(IOAPIC_BASE, reg);
	mmio_write32(IOAPIC_BASE + 0x10, v);
}
/* Route IOAPIC `pin` to `vector` on `dest` (edge, active high, fixed). */
void ioapic_route(unsigned pin, uint8_t vector, uint8_t dest, bool level, bool masked);

#endif
