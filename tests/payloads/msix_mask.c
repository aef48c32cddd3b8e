// SPDX-License-Identifier: GPL-2.0-only
/*
 * msix_mask: MSI-X masking semantics (PCI spec 6.8.2) that Linux relies on
 * when it moves or disables vectors: a message raised while the entry (or
 * the whole function) is masked must not be delivered, must set the
 * pending bit, and must be delivered once unmasked. A VMM wiring the
 * device straight to an irqfd gets this wrong easily (lost or early IRQs).
 */
#include "apic.h"
#include "virtio.h"

const char payload_name[] = "msix_mask";

#define VEC 0x61
static uint8_t rbuf[64];

static void eoi_handler(struct rt_frame *f)
{
	(void)f;
	lapic_eoi();
}

static bool used(void *q)
{
	return vq_has_used(q);
}

static void settle(void)
{
	sti();
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < 50000000ull;)
		cpu_relax();
	cli();
}

static void one_round(struct vdev *d, struct vq *q, bool function_mask)
{
	const char *how = function_mask ? "function mask" : "entry mask";
	uint32_t before = irq_count[VEC];
	uint16_t ctl = pci_read16(d->bdf, d->msix_cap + 2);
	if (function_mask)
		pci_write16(d->bdf, d->msix_cap + 2, ctl | 0x4000);
	else
		msix_mask_entry(d, 0, true);

	vq_add(q, (uint32_t)(uintptr_t)rbuf, sizeof(rbuf), true);
	vq_kick(q);
	CHECK(wait_until(used, q, WAIT_LONG), "%s: device did not use the buffer", how);
	settle();
	CHECK(irq_count[VEC] == before, "%s: MSI-X delivered while masked", how);
	if (!msix_pending(d, 0))
		warn("%s: PBA pending bit 0 not set for a masked message", how);

	if (function_mask)
		pci_write16(d->bdf, d->msix_cap + 2, ctl & ~0x4000);
	else
		msix_mask_entry(d, 0, false);
	settle();
	CHECK(irq_count[VEC] == before + 1,
	      "%s: message raised while masked was lost on unmask (count %u, want %u)", how,
	      irq_count[VEC], before + 1);
	CHECK(!msix_pending(d, 0), "%s: PBA bit still set after delivery", how);
	uint32_t id, len;
	CHECK(vq_get(q, &id, &len), "%s: used ring empty", how);
	pr("  %s: held while masked, delivered on unmask\n", how);
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	uint8_t apic_id = apic_setup(false);
	irq_set_handler(VEC, eoi_handler);

	struct vdev d;
	struct vq q;
	virtio_open(&d, VIRTIO_ID_RNG, false);
	CHECK(d.msix_cap, "virtio-rng has no MSI-X capability");
	virtio_negotiate(&d, 0);
	msix_set_entry(&d, 0, apic_id, VEC, false);
	msix_enable(&d, true);
	virtio_vq_setup(&d, &q, 0, 8, 0, 0);
	virtio_driver_ok(&d);

	/* Sanity: unmasked delivery works at all. */
	vq_add(&q, (uint32_t)(uintptr_t)rbuf, sizeof(rbuf), true);
	vq_kick(&q);
	CHECK(wait_until(used, &q, WAIT_LONG), "device did not use the buffer");
	settle();
	CHECK(irq_count[VEC] == 1, "unmasked MSI-X count %u, want 1", irq_count[VEC]);
	uint32_t id, len;
	vq_get(&q, &id, &len);

	one_round(&d, &q, false);
	one_round(&d, &q, true);
	/* The vector must still work normally afterwards. */
	vq_add(&q, (uint32_t)(uintptr_t)rbuf, sizeof(rbuf), true);
	vq_kick(&q);
	CHECK(wait_until(used, &q, WAIT_LONG), "device did not use the buffer");
	settle();
	CHECK(irq_count[VEC] == 4, "final MSI-X count %u, want 4", irq_count[VEC]);
	virtio_reset(&d);
	return 0;
}
