// SPDX-License-Identifier: GPL-2.0-only
#include "virtio.h"

#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR 3
#define VIRTIO_PCI_CAP_DEVICE 4
#define VIRTIO_PCI_CAP_PCI 5

static struct {
	struct vring_desc desc[VQ_MAX] __attribute__((aligned(4096)));
	struct vring_avail avail __attribute__((aligned(4096)));
	struct vring_used used __attribute__((aligned(4096)));
} rings[2];

static uintptr_t cap_addr(struct vdev *d, unsigned cap, uint32_t *len_out)
{
	uint8_t bar = pci_read8(d->bdf, cap + 4);
	uint32_t off = pci_read32(d->bdf, cap + 8);
	uint32_t len = pci_read32(d->bdf, cap + 12);
	CHECK(bar < 6, "virtio cap at 0x%x: bad BAR %u", cap, bar);
	struct pci_bar b;
	pci_bar_probe(d->bdf, bar, &b);
	CHECK(!b.io && b.size, "virtio cap at 0x%x: BAR %u is not a memory BAR", cap, bar);
	CHECK(b.addr && b.addr < 0x100000000ull,
	      "virtio cap at 0x%x: BAR %u at 0x%llx is unassigned or above 4 GiB "
	      "(payloads run with paging off)", cap, bar, (unsigned long long)b.addr);
	CHECK((uint64_t)off + len <= b.size,
	      "virtio cap at 0x%x: offset 0x%x + length 0x%x exceeds BAR %u size 0x%llx", cap,
	      off, len, bar, (unsigned long long)b.size);
	if (len_out)
		*len_out = len;
	return (uintptr_t)b.addr + off;
}

void virtio_open(struct vdev *d, unsigned virtio_id, bool verbose)
{
	memset(d, 0, sizeof(*d));
	d->device_id = (uint16_t)VIRTIO_PCI_DEVICE(virtio_id);
	int bdf = pci_find(VIRTIO_VENDOR, d->device_id);
	CHECK(bdf >= 0, "no virtio device %04x:%04x on bus 0", VIRTIO_VENDOR, d->device_id);
	d->bdf = (uint32_t)bdf;
	uint8_t rev = (uint8_t)pci_read32(d->bdf, PCI_CLASS_REV);
	CHECK(rev >= 1, "virtio %04x: modern device must have revision >= 1, got %u",
	      d->device_id, rev);

	for (unsigned c = pci_find_cap(d->bdf, PCI_CAP_ID_VNDR, 0); c;
	     c = pci_find_cap(d->bdf, PCI_CAP_ID_VNDR, c)) {
		uint8_t type = pci_read8(d->bdf, c + 3), clen = pci_read8(d->bdf, c + 2);
		uint32_t len;
		if (type < 1 || type > 4)
			continue; /* PCI cfg access cap, shared memory, ... */
		CHECK(clen >= 16, "virtio cap at 0x%x: cap_len %u < 16", c, clen);
		uintptr_t a = cap_addr(d, c, &len);
		if (verbose)
			pr("  virtio cap type %u at 0x%02x: bar %u + 0x%x len 0x%x -> 0x%08x\n",
			   type, c, pci_read8(d->bdf, c + 4), pci_read32(d->bdf, c + 8), len,
			   (uint32_t)a);
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON:
			if (!d->common) {
				CHECK(len >= 56, "common cfg too short: %u", len);
				d->common = a;
			}
			break;
		case VIRTIO_PCI_CAP_NOTIFY:
			if (!d->notify) {
				CHECK(clen >= 20, "notify cap too short: %u", clen);
				d->notify = a;
				d->notify_mult = pci_read32(d->bdf, c + 16);
			}
			break;
		case VIRTIO_PCI_CAP_ISR:
			if (!d->isr)
				d->isr = a;
			break;
		case VIRTIO_PCI_CAP_DEVICE:
			if (!d->devcfg)
				d->devcfg = a;
			break;
		}
	}
	CHECK(d->common && d->notify && d->isr,
	      "virtio %04x: missing capability (common %p notify %p isr %p)", d->device_id,
	      (void *)d->common, (void *)d->notify, (void *)d->isr);

	unsigned m = pci_find_cap(d->bdf, PCI_CAP_ID_MSIX, 0);
	if (m) {
		uint16_t ctl = pci_read16(d->bdf, m + 2);
		uint32_t tbl = pci_read32(d->bdf, m + 4), pba = pci_read32(d->bdf, m + 8);
		d->msix_cap = m;
		d->msix_entries = (ctl & 0x7ff) + 1u;
		struct pci_bar b;
		pci_bar_probe(d->bdf, tbl & 7, &b);
		CHECK(b.size && !b.io && b.addr && b.addr < 0x100000000ull,
		      "MSI-X table BAR %u unusable", tbl & 7);
		CHECK((tbl & ~7u) + 16ull * d->msix_entries <= b.size,
		      "MSI-X table (%u entries at 0x%x) overruns BAR %u (0x%llx bytes)",
		      d->msix_entries, tbl & ~7u, tbl & 7, (unsigned long long)b.size);
		d->msix_table = (uintptr_t)b.addr + (tbl & ~7u);
		pci_bar_probe(d->bdf, pba & 7, &b);
		d->msix_pba = (uintptr_t)b.addr + (pba & ~7u);
		if (verbose)
			pr("  MSI-X cap at 0x%02x: %u entries, table 0x%08x, PBA 0x%08x\n", m,
			   d->msix_entries, (uint32_t)d->msix_table, (uint32_t)d->msix_pba);
	}

	uint16_t cmd = pci_read16(d->bdf, PCI_COMMAND);
	pci_write16(d->bdf, PCI_COMMAND, cmd | PCI_CMD_MEM | PCI_CMD_MASTER);
	CHECK((pci_read16(d->bdf, PCI_COMMAND) & (PCI_CMD_MEM | PCI_CMD_MASTER)) ==
		      (PCI_CMD_MEM | PCI_CMD_MASTER),
	      "virtio %04x: command register does not keep MEM|MASTER (reads 0x%x)",
	      d->device_id, pci_read16(d->bdf, PCI_COMMAND));
}

uint8_t virtio_status(struct vdev *d)
{
	return mmio_read8(d->common + VCC_STATUS);
}

static void set_status(struct vdev *d, uint8_t bits)
{
	mmio_write8(d->common + VCC_STATUS, (uint8_t)(virtio_status(d) | bits));
}

void virtio_reset(struct vdev *d)
{
	mmio_write8(d->common + VCC_STATUS, 0);
	uint32_t i = 0;
	while (virtio_status(d) != 0) {
		CHECK(++i < 1000000, "virtio %04x: status stays 0x%x after reset", d->device_id,
		      virtio_status(d));
		cpu_relax();
	}
}

void virtio_negotiate(struct vdev *d, uint32_t want_lo)
{
	virtio_reset(d);
	set_status(d, VIRTIO_STATUS_ACK);
	set_status(d, VIRTIO_STATUS_DRIVER);
	CHECK(virtio_status(d) == (VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER),
	      "virtio %04x: status reads 0x%x after ACK|DRIVER", d->device_id, virtio_status(d));

	mmio_write32(d->common + VCC_DFSELECT, 0);
	uint32_t lo = mmio_read32(d->common + VCC_DF);
	mmio_write32(d->common + VCC_DFSELECT, 1);
	uint32_t hi = mmio_read32(d->common + VCC_DF);
	CHECK(hi & (1u << (VIRTIO_F_VERSION_1 - 32)),
	      "virtio %04x: device does not offer VIRTIO_F_VERSION_1 (features 0x%08x%08x)",
	      d->device_id, hi, lo);
	mmio_write32(d->common + VCC_GFSELECT, 0);
	mmio_write32(d->common + VCC_GF, lo & want_lo);
	mmio_write32(d->common + VCC_GFSELECT, 1);
	mmio_write32(d->common + VCC_GF, 1u << (VIRTIO_F_VERSION_1 - 32));
	set_status(d, VIRTIO_STATUS_FEATURES_OK);
	CHECK(virtio_status(d) & VIRTIO_STATUS_FEATURES_OK,
	      "virtio %04x: device refused features (status 0x%x)", d->device_id,
	      virtio_status(d));
}

void virtio_vq_setup(struct vdev *d, struct vq *q, unsigned index, unsigned size,
		     uint16_t msix_vector, unsigned slot)
{
	uint16_t nq = mmio_read16(d->common + VCC_NUM_QUEUES);
	CHECK(index < nq, "virtio %04x: queue %u >= num_queues %u", d->device_id, index, nq);
	mmio_write16(d->common + VCC_Q_SELECT, (uint16_t)index);
	uint16_t max = mmio_read16(d->common + VCC_Q_SIZE);
	CHECK(max, "virtio %04x: queue %u size 0 (not available)", d->device_id, index);
	CHECK(!mmio_read16(d->common + VCC_Q_ENABLE), "virtio %04x: queue %u enabled after reset",
	      d->device_id, index);
	unsigned n = size < max ? size : max;
	if (n > VQ_MAX)
		n = VQ_MAX;
	CHECK(n && !(n & (n - 1)), "queue size %u is not a power of two", n);

	memset(q, 0, sizeof(*q));
	q->index = index;
	q->size = (uint16_t)n;
	q->desc = rings[slot].desc;
	q->avail = &rings[slot].avail;
	q->used = &rings[slot].used;
	memset(&rings[slot], 0, sizeof(rings[slot]));

	mmio_write16(d->common + VCC_Q_SIZE, q->size);
	CHECK(mmio_read16(d->common + VCC_Q_SIZE) == q->size,
	      "virtio %04x: queue_size does not keep %u (reads %u)", d->device_id, q->size,
	      mmio_read16(d->common + VCC_Q_SIZE));
	mmio_write32(d->common + VCC_Q_DESC, (uint32_t)(uintptr_t)q->desc);
	mmio_write32(d->common + VCC_Q_DESC + 4, 0);
	mmio_write32(d->common + VCC_Q_AVAIL, (uint32_t)(uintptr_t)q->avail);
	mmio_write32(d->common + VCC_Q_AVAIL + 4, 0);
	mmio_write32(d->common + VCC_Q_USED, (uint32_t)(uintptr_t)q->used);
	mmio_write32(d->common + VCC_Q_USED + 4, 0);
	CHECK(mmio_read32(d->common + VCC_Q_DESC) == (uint32_t)(uintptr_t)q->desc,
	      "virtio %04x: queue_desc does not read back", d->device_id);
	mmio_write16(d->common + VCC_Q_MSIX, msix_vector);
	uint16_t got = mmio_read16(d->common + VCC_Q_MSIX);
	CHECK(got == msix_vector, "virtio %04x: queue %u msix vector %u reads back as %u",
	      d->device_id, index, msix_vector, got);
	uint16_t noff = mmio_read16(d->common + VCC_Q_NOFF);
	q->notify = d->notify + (uintptr_t)noff * d->notify_mult;
	mmio_write16(d->common + VCC_Q_ENABLE, 1);
	CHECK(mmio_read16(d->common + VCC_Q_ENABLE) == 1, "virtio %04x: queue %u does not enable",
	      d->device_id, index);
}

void virtio_driver_ok(struct vdev *d)
{
	set_status(d, VIRTIO_STATUS_DRIVER_OK);
	uint8_t s = virtio_status(d);
	CHECK((s & VIRTIO_STATUS_DRIVER_OK) && !(s & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)),
	      "virtio %04x: status 0x%x after DRIVER_OK", d->device_id, s);
}

/* Make the chain at `head` the next available one. */
static uint16_t vq_publish(struct vq *q, uint16_t head)
{
	q->avail->ring[q->avail_idx % q->size] = head;
	mb();
	q->avail_idx++;
	q->avail->idx = q->avail_idx;
	mb();
	return head;
}

uint16_t vq_add(struct vq *q, uint32_t addr, uint32_t len, bool dev_writes)
{
	uint16_t id = q->avail_idx % q->size;
	q->desc[id] = (struct vring_desc){ addr, len, dev_writes ? VRING_DESC_F_WRITE : 0, 0 };
	return vq_publish(q, id);
}

uint16_t vq_add_chain(struct vq *q, uint32_t out, uint32_t out_len, uint32_t in, uint32_t in_len)
{
	uint16_t id = (uint16_t)((2u * q->avail_idx) % q->size);
	q->desc[id] = (struct vring_desc){ out, out_len, VRING_DESC_F_NEXT, (uint16_t)(id + 1) };
	q->desc[id + 1] = (struct vring_desc){ in, in_len, VRING_DESC_F_WRITE, 0 };
	return vq_publish(q, id);
}

void vq_kick(struct vq *q)
{
	mmio_write16(q->notify, (uint16_t)q->index);
}

bool vq_has_used(struct vq *q)
{
	return *(volatile uint16_t *)&q->used->idx != q->last_used;
}

bool vq_get(struct vq *q, uint32_t *id, uint32_t *len)
{
	if (!vq_has_used(q))
		return false;
	mb();
	struct vring_used_elem e = ((volatile struct vring_used *)q->used)->ring[q->last_used % q->size];
	q->last_used++;
	*id = e.id;
	*len = e.len;
	return true;
}

void msix_set_entry(struct vdev *d, unsigned n, uint8_t apic_dest, uint8_t vector, bool masked)
{
	uintptr_t e = d->msix_table + 16 * n;
	mmio_write32(e + 12, 1); /* mask while changing */
	mmio_write32(e + 0, LAPIC_BASE | ((uint32_t)apic_dest << 12));
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vector); /* fixed, edge */
	mmio_write32(e + 12, masked ? 1 : 0);
	CHECK(mmio_read32(e + 0) == (LAPIC_BASE | ((uint32_t)apic_dest << 12)) &&
		      mmio_read32(e + 8) == vector && (mmio_read32(e + 12) & 1) == masked,
	      "MSI-X entry %u does not read back (addr 0x%x data 0x%x ctrl 0x%x)", n,
	      mmio_read32(e + 0), mmio_read32(e + 8), mmio_read32(e + 12));
}

void msix_mask_entry(struct vdev *d, unsigned n, bool masked)
{
	mmio_write32(d->msix_table + 16 * n + 12, masked ? 1 : 0);
}

bool msix_pending(struct vdev *d, unsigned n)
{
	return mmio_read32(d->msix_pba + 4 * (n / 32)) & (1u << (n % 32));
}

void msix_enable(struct vdev *d, bool on)
{
	uint16_t ctl = pci_read16(d->bdf, d->msix_cap + 2);
	ctl = on ? (uint16_t)((ctl | 0x8000) & ~0x4000) : (uint16_t)(ctl & ~0x8000);
	pci_write16(d->bdf, d->msix_cap + 2, ctl);
	CHECK(!!(pci_read16(d->bdf, d->msix_cap + 2) & 0x8000) == on,
	      "MSI-X enable bit does not stick (control 0x%x)", pci_read16(d->bdf, d->msix_cap + 2));
}
