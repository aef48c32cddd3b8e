/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Modern (virtio 1.x only) virtio-pci transport, shared by every virtio back
 * end. A back end (one file: blk.c, rng.c, later input.c, snd.c) fills a
 * `struct virtio_pci_params` + `struct virtio_device_ops`, calls
 * virtio_pci_create() from its VMM_DEVICE init and registers the result with
 * vm_device_add(..., virtio_pci_vm_destroy, ...).
 *
 * One 32 KiB memory BAR (BAR0, 64-bit, non-prefetchable) holds:
 *   0x0000 common cfg   0x1000 ISR   0x2000 device cfg   0x3000 notify
 *   0x4000 MSI-X table  0x5000 MSI-X PBA
 * Notify: queue i is kicked by a write at 0x3000 + 4*i (notify_off_multiplier
 * 4, queue_notify_off = i). Each queue's eventfd is bound there with
 * vm_ioeventfd() whenever the BAR is mapped, so a kick wakes the main event
 * loop without a VMM exit; an MMIO write that KVM did not match (other width,
 * or no KVM) is forwarded to the same eventfd. Queue work therefore always
 * runs on the event-loop thread, in ops->queue_notify().
 *
 * Interrupts: MSI-X only (config vector + one per queue, chosen by the
 * driver); the ISR byte is kept up to date for completeness.
 *
 * Device-initiated queues (virtio-input eventq, virtio-snd rx): from the
 * event loop, lock vq->lock, check virtio_live() and vq->ready, vq_pop() /
 * vq_push() as buffers are filled, then virtio_queue_interrupt(); a -1 from
 * vq_pop() means virtio_set_needs_reset(vdev, vq->why).
 *
 * Locking: vdev->pci.lock guards the transport state (common cfg, status,
 * features); each virtqueue's lock guards that queue and is held around
 * queue_notify. Order: pci.lock -> vq->lock -> msix lock. status and isr are
 * atomics so the event loop can read/flag them without pci.lock.
 */
#ifndef PASSVM_VIRTIO_PCI_H
#define PASSVM_VIRTIO_PCI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/pci.h"
#include "vmm/virtio/virtqueue.h"

struct vm;
struct virtio_dev;

#define VIRTIO_PCI_VENDOR       0x1af4
#define VIRTIO_PCI_DEVICE_BASE  0x1040
#define VIRTIO_PCI_MAX_QUEUES   64

#define VIRTIO_BAR_SIZE         0x8000u
#define VIRTIO_COMMON_OFF       0x0000u
#define VIRTIO_COMMON_LEN       0x003Cu
#define VIRTIO_ISR_OFF          0x1000u
#define VIRTIO_DEVCFG_OFF       0x2000u
#define VIRTIO_DEVCFG_MAX       0x1000u
#define VIRTIO_NOTIFY_OFF       0x3000u
#define VIRTIO_NOTIFY_MULT      4u
#define VIRTIO_MSIX_TABLE_OFF   0x4000u
#define VIRTIO_MSIX_PBA_OFF     0x5000u

/* Transport feature bits (virtio 1.2, 6). */
#define VIRTIO_FEAT(bit) (1ULL << (bit))
#define VIRTIO_BIT_INDIRECT_DESC 28
#define VIRTIO_BIT_EVENT_IDX     29
#define VIRTIO_BIT_VERSION_1     32
#define VIRTIO_BIT_ACCESS_PLATFORM 33

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

struct virtio_device_ops {
	/* The driver kicked vq (event-loop thread, vq->lock held, device live).
	 * Usually: virtio_vq_process(vdev, vq, handler). */
	void (*queue_notify)(struct virtio_dev *vdev, struct virtqueue *vq);
	/* Device config space, off+len <= config_len (pci.lock held). */
	void (*config_read)(struct virtio_dev *vdev, uint32_t off, void *data, uint32_t len);
	void (*config_write)(struct virtio_dev *vdev, uint32_t off, const void *data, uint32_t len);
	/* Optional veto of the negotiated features at FEATURES_OK. */
	bool (*features_ok)(struct virtio_dev *vdev, uint64_t features);
	/* Device reset by the driver (pci.lock and every vq->lock held). */
	void (*reset)(struct virtio_dev *vdev);
	/* Free back-end state at VM teardown (optional). */
	void (*destroy)(struct virtio_dev *vdev);
};

struct virtio_pci_params {
	const char *name;        /* "virtio-blk0": bus range name and log prefix */
	uint16_t device_id;      /* VIRTIO_ID_* */
	uint32_t class_code;     /* PCI class, e.g. 0x018000 */
	uint64_t features;       /* device-specific bits; transport bits are added */
	unsigned nr_queues;
	uint16_t queue_size;     /* max size of every queue, power of two */
	uint32_t config_len;     /* bytes of device config (<= VIRTIO_DEVCFG_MAX) */
	int slot;                /* PCI slot, -1: first free */
};

struct virtio_dev {
	struct pci_device pci;
	struct pci_msix msix;
	struct vm *vm;
	const struct virtio_device_ops *ops;
	void *backend;
	char name[32];
	uint16_t device_id;
	uint32_t config_len;

	/* Transport state (pci.lock). */
	uint64_t host_features;
	uint64_t guest_features;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	uint8_t config_generation;
	_Atomic uint8_t status;
	_Atomic uint8_t isr;
	_Atomic uint16_t msix_config;

	unsigned nr_queues;
	struct virtqueue *vqs;
	uint64_t notify_base;    /* BAR address with ioeventfds bound, 0: none */
	bool *ioeventfd;         /* per queue: bound at notify_base */
	uint8_t pci_cfg_cap;     /* offset of VIRTIO_PCI_CAP_PCI_CFG */
	uint64_t kicks_mmio;     /* kicks that took the MMIO exit path */
};

struct virtio_dev *virtio_pci_create(struct vm *vm, const struct virtio_pci_params *p,
				     const struct virtio_device_ops *ops, void *backend,
				     struct error *err);
/* Teardown (vCPUs joined): unbinds everything and frees vdev. */
void virtio_pci_destroy(struct virtio_dev *vdev);
/* Signature for vm_device_add(). */
void virtio_pci_vm_destroy(struct vm *vm, void *vdev);

/* DRIVER_OK set and NEEDS_RESET not set. */
bool virtio_live(struct virtio_dev *vdev);
bool virtio_has_feature(struct virtio_dev *vdev, unsigned bit);
/* Flag a device error: sets DEVICE_NEEDS_RESET and raises the config interrupt. */
void virtio_set_needs_reset(struct virtio_dev *vdev, const char *why);
/* Used buffers were pushed on vq (vq->lock held): interrupt unless suppressed. */
void virtio_queue_interrupt(struct virtio_dev *vdev, struct virtqueue *vq);
/* Device config changed: bump the generation, raise the config interrupt. */
void virtio_config_changed(struct virtio_dev *vdev);

/*
 * Drain vq (vq->lock held): pop each chain, call fn, push it with the
 * returned used length, re-arm notifications (EVENT_IDX), interrupt once.
 * A broken ring sets NEEDS_RESET. After a large batch the remaining work is
 * re-queued on the event loop so one busy queue cannot starve the others.
 */
/*
 * Next chain for a device that holds buffers or fills them when it has
 * work (vq->lock held): 1 with *e; 0 when the ring is empty (the driver's
 * next buffer kicks again); -1 when the ring is broken (NEEDS_RESET set).
 */
int virtio_vq_next(struct virtio_dev *vdev, struct virtqueue *vq, struct vq_elem *e);

typedef uint32_t (*virtio_elem_fn)(struct virtio_dev *vdev, struct virtqueue *vq,
				   struct vq_elem *elem);
void virtio_vq_process(struct virtio_dev *vdev, struct virtqueue *vq, virtio_elem_fn fn);

#endif
