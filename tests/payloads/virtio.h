/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal virtio 1.x PCI (modern) driver with split virtqueues, polled or MSI-X. */
#ifndef PAYLOAD_VIRTIO_H
#define PAYLOAD_VIRTIO_H

#include "pci.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_ID_BLK 2
#define VIRTIO_ID_RNG 4
#define VIRTIO_PCI_DEVICE(id) (0x1040 + (id))

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* virtio_pci_common_cfg offsets */
#define VCC_DFSELECT 0
#define VCC_DF 4
#define VCC_GFSELECT 8
#define VCC_GF 12
#define VCC_MSIX_CONFIG 16
#define VCC_NUM_QUEUES 18
#define VCC_STATUS 20
#define VCC_CFG_GEN 21
#define VCC_Q_SELECT 22
#define VCC_Q_SIZE 24
#define VCC_Q_MSIX 26
#define VCC_Q_ENABLE 28
#define VCC_Q_NOFF 30
#define VCC_Q_DESC 32
#define VCC_Q_AVAIL 40
#define VCC_Q_USED 48

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VQ_MAX 256

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
struct vring_avail {
	uint16_t flags, idx;
	uint16_t ring[VQ_MAX];
	uint16_t used_event;
};
struct vring_used_elem {
	uint32_t id, len;
};
struct vring_used {
	uint16_t flags, idx;
	struct vring_used_elem ring[VQ_MAX];
	uint16_t avail_event;
};

struct vq {
	unsigned index;
	uint16_t size;
	uint16_t avail_idx; /* next avail index to publish */
	uint16_t last_used; /* used index consumed so far */
	uintptr_t notify;   /* doorbell address */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

struct vdev {
	uint32_t bdf;
	uint16_t device_id;
	uintptr_t common, notify, isr, devcfg;
	uint32_t notify_mult;
	/* MSI-X (0 if the device has none) */
	unsigned msix_cap;
	unsigned msix_entries;
	uintptr_t msix_table, msix_pba;
};

/* Find the device, enable memory decode + bus mastering, walk the virtio
 * vendor capabilities. Fails the payload on anything malformed. */
void virtio_open(struct vdev *d, unsigned virtio_id, bool verbose);
/* Reset, ACK, DRIVER, negotiate VERSION_1 (plus `want_lo` of the low
 * 32 feature bits the device offers), FEATURES_OK. */
void virtio_negotiate(struct vdev *d, uint32_t want_lo);
/* Set up queue `index` with at most `size` entries; msix_vector may be
 * VIRTIO_MSI_NO_VECTOR. Uses one of two static ring sets (slot 0/1). */
void virtio_vq_setup(struct vdev *d, struct vq *q, unsigned index, unsigned size,
		     uint16_t msix_vector, unsigned slot);
void virtio_driver_ok(struct vdev *d);
uint8_t virtio_status(struct vdev *d);
void virtio_reset(struct vdev *d);

/* Publish one descriptor (buffer the device writes if `dev_writes`); returns its id. */
uint16_t vq_add(struct vq *q, uint32_t addr, uint32_t len, bool dev_writes);
/* Publish a two-descriptor chain: `out` for the device to read, then `in`
 * for it to write. Uses descriptors 2k, 2k+1: at most size/2 in flight, and
 * not mixed with vq_add on the same queue. Returns the head. */
uint16_t vq_add_chain(struct vq *q, uint32_t out, uint32_t out_len, uint32_t in, uint32_t in_len);
void vq_kick(struct vq *q);
/* True if the device has used a buffer since the last vq_get. */
bool vq_has_used(struct vq *q);
/* Consume one used element; returns false if none. */
bool vq_get(struct vq *q, uint32_t *id, uint32_t *len);

/* MSI-X: program table entry n (x86: addr 0xFEE00000 | dest << 12, data = vector). */
void msix_set_entry(struct vdev *d, unsigned n, uint8_t apic_dest, uint8_t vector, bool masked);
void msix_mask_entry(struct vdev *d, unsigned n, bool masked);
bool msix_pending(struct vdev *d, unsigned n);
void msix_enable(struct vdev *d, bool on);

#endif
