// SPDX-License-Identifier: GPL-2.0-only
/*
 * irq: interrupts end to end, from the simplest path to the one the
 * virtio devices use:
 *   1. LAPIC self-IPI                       (in-kernel LAPIC only)
 *   2. LAPIC one-shot timer                 (in-kernel LAPIC only)
 *   3. COM1 THRE interrupt via IOAPIC pin 4 (passvm serial -> KVM_IRQ_LINE,
 *                                            needs the default GSI routes
 *                                            to survive KVM_SET_GSI_ROUTING)
 *   4. virtio-rng queue MSI-X vector        (passvm virtio -> eventfd ->
 *                                            KVM_IRQFD -> MSI route), first
 *                                            polled with IF=1, then waking HLT
 * Every count must be exact: no lost and no extra interrupts.
 */
#include "apic.h"
#include "virtio.h"

const char payload_name[] = "irq";

#define VEC_IPI 0x40
#define VEC_TIMER 0x50
#define VEC_COM1 0x44
#define VEC_MSIX_Q 0x61
#define VEC_MSIX_CFG 0x62
#define VEC_WATCHDOG 0x3F

static volatile uint8_t com1_iir;

static void eoi_handler(struct rt_frame *f)
{
	(void)f;
	lapic_eoi();
}

static void com1_handler(struct rt_frame *f)
{
	(void)f;
	com1_iir = inb(PORT_COM1 + 2);
	outb(PORT_COM1 + 1, 0); /* IER off: one interrupt is enough */
	lapic_eoi();
}

static bool count_reached(void *arg)
{
	uint32_t *want = arg; /* {vector, count} */
	return irq_count[want[0]] >= want[1];
}

static void wait_irq(uint8_t vec, uint32_t count, const char *what)
{
	uint32_t want[2] = { vec, count };
	sti();
	bool ok = wait_until(count_reached, want, WAIT_LONG);
	cli();
	CHECK(ok, "%s: vector 0x%x delivered %u times, want %u (~2 s timeout)", what, vec,
	      irq_count[vec], count);
}

static uint8_t rbuf[64];

static void test_msix(uint8_t apic_id, unsigned rounds)
{
	struct vdev d;
	struct vq q;
	virtio_open(&d, VIRTIO_ID_RNG, false);
	CHECK(d.msix_cap, "virtio-rng has no MSI-X capability");
	virtio_negotiate(&d, 0);
	msix_set_entry(&d, 0, apic_id, VEC_MSIX_Q, false);
	if (d.msix_entries > 1)
		msix_set_entry(&d, 1, apic_id, VEC_MSIX_CFG, false);
	msix_enable(&d, true);
	mmio_write16(d.common + VCC_MSIX_CONFIG, d.msix_entries > 1 ? 1 : VIRTIO_MSI_NO_VECTOR);
	virtio_vq_setup(&d, &q, 0, 8, 0, 0);
	virtio_driver_ok(&d);

	/* Polled with interrupts enabled. */
	vq_add(&q, (uint32_t)(uintptr_t)rbuf, sizeof(rbuf), true);
	vq_kick(&q);
	wait_irq(VEC_MSIX_Q, 1, "virtio-rng MSI-X (polled)");
	uint32_t id, len;
	CHECK(vq_get(&q, &id, &len), "MSI-X arrived but the used ring is empty");
	pr("  virtio-rng MSI-X vector 0x%x delivered (polled)\n", VEC_MSIX_Q);

	/* HLT woken by the MSI; a LAPIC timer watchdog catches a lost one. */
	for (unsigned r = 0; r < rounds; r++) {
		uint32_t before = irq_count[VEC_MSIX_Q];
		cli();
		vq_add(&q, (uint32_t)(uintptr_t)rbuf, sizeof(rbuf), true);
		vq_kick(&q);
		uint32_t wd = irq_count[VEC_WATCHDOG];
		lapic_timer_oneshot(VEC_WATCHDOG, 500000000u); /* ~0.5 s at KVM's 1 GHz APIC bus */
		while (irq_count[VEC_MSIX_Q] == before && irq_count[VEC_WATCHDOG] == wd) {
			sti_hlt();
			cli();
		}
		lapic_timer_oneshot(VEC_WATCHDOG, 0);
		CHECK(irq_count[VEC_MSIX_Q] == before + 1,
		      "round %u: HLT not woken by the virtio MSI-X (watchdog fired; used.idx %u)", r,
		      q.used->idx);
		CHECK(vq_get(&q, &id, &len), "round %u: MSI-X but used ring empty", r);
	}
	/* Let stragglers arrive, then the count must be exact. */
	sti();
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < 20000000ull;)
		cpu_relax();
	cli();
	CHECK(irq_count[VEC_MSIX_Q] == rounds + 1, "MSI-X count %u, want exactly %u",
	      irq_count[VEC_MSIX_Q], rounds + 1);
	CHECK(irq_count[VEC_MSIX_CFG] == 0, "unexpected config-change MSI-X (%u)",
	      irq_count[VEC_MSIX_CFG]);
	pr("  virtio-rng MSI-X woke HLT %u times, count exact\n", rounds);
	virtio_reset(&d);
	msix_enable(&d, false);
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	unsigned rounds = parse_u32(cmdline_get("rounds"), 20);
	uint8_t apic_id = apic_setup(true);
	irq_set_handler(VEC_IPI, eoi_handler);
	irq_set_handler(VEC_TIMER, eoi_handler);
	irq_set_handler(VEC_WATCHDOG, eoi_handler);
	irq_set_handler(VEC_COM1, com1_handler);
	irq_set_handler(VEC_MSIX_Q, eoi_handler);
	irq_set_handler(VEC_MSIX_CFG, eoi_handler);

	/* 1. self-IPI */
	lapic_self_ipi(VEC_IPI);
	wait_irq(VEC_IPI, 1, "LAPIC self-IPI");
	pr("  LAPIC self-IPI ok\n");

	/* 2. LAPIC timer */
	uint64_t t0 = rdtsc();
	lapic_timer_oneshot(VEC_TIMER, 1000000); /* 1 ms at 1 GHz */
	wait_irq(VEC_TIMER, 1, "LAPIC one-shot timer");
	pr("  LAPIC timer ok (%llu TSC cycles for 1e6 ticks)\n", rdtsc() - t0);

	/* 3. COM1 THRE via IOAPIC pin 4 */
	uint32_t iover = ioapic_read(1);
	pr("  IOAPIC version 0x%x, %u pins\n", iover & 0xff, ((iover >> 16) & 0xff) + 1);
	CHECK(((iover >> 16) & 0xff) >= 23, "IOAPIC has %u pins, want 24", ((iover >> 16) & 0xff) + 1);
	ioapic_route(4, VEC_COM1, apic_id, false, false);
	while (!(inb(PORT_COM1 + 5) & 0x20))
		cpu_relax();
	outb(PORT_COM1 + 4, 0x0b); /* MCR: DTR RTS OUT2 */
	outb(PORT_COM1 + 1, 0x02); /* IER: THR empty */
	wait_irq(VEC_COM1, 1, "COM1 THRE interrupt via IOAPIC pin 4");
	ioapic_route(4, VEC_COM1, apic_id, false, true);
	CHECK((com1_iir & 0x0f) == 0x02, "COM1 interrupt but IIR 0x%02x (want THRE 0x_2)", com1_iir);
	pr("  COM1 THRE interrupt via IOAPIC ok (IIR 0x%02x)\n", com1_iir);

	/* 4. virtio MSI-X through irqfd */
	test_msix(apic_id, rounds);

	uint32_t spurious = irq_count[0xff];
	if (spurious)
		warn("%u spurious LAPIC interrupts", spurious);
	return 0;
}
