// SPDX-License-Identifier: GPL-2.0-only
/*
 * Modern virtio-pci transport (virtio 1.2, 4.1). See virtio_pci.h.
 */
#include "vmm/virtio/virtio_pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/vm.h"

/* Common configuration fields (virtio 1.2, 4.1.4.3). */
enum {
	CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0C,
	CC_MSIX = 0x10, CC_NUMQ = 0x12, CC_STATUS = 0x14, CC_CFGGEN = 0x15,
	CC_Q_SELECT = 0x16, CC_Q_SIZE = 0x18, CC_Q_MSIX = 0x1A, CC_Q_ENABLE = 0x1C,
	CC_Q_NOFF = 0x1E, CC_Q_DESC = 0x20, CC_Q_AVAIL = 0x28, CC_Q_USED = 0x30,
	CC_Q_NDATA = 0x38, CC_Q_RESET = 0x3A,
};

enum {
	VCAP_COMMON = 1, VCAP_NOTIFY = 2, VCAP_ISR = 3, VCAP_DEVICE = 4, VCAP_PCI = 5,
};

#define VCAP_BAR    4
#define VCAP_OFFSET 8
#define VCAP_LENGTH 12
#define VCAP_DATA   16 /* pci_cfg_data in the PCI_CFG capability */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static uint64_t get_le(const void *data, uint32_t len)
{
	const uint8_t *d = data;
	uint64_t v = 0;
	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

static bool vm_has_kvm(const struct virtio_dev *vdev)
{
	return vdev->vm && vdev->vm->vm_fd >= 0;
}

bool virtio_live(struct virtio_dev *vdev)
{
	uint8_t s = atomic_load(&vdev->status);
	return (s & VIRTIO_STATUS_DRIVER_OK) && !(s & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

bool virtio_has_feature(struct virtio_dev *vdev, unsigned bit)
{
	return bit < 64 && (vdev->guest_features & (1ULL << bit));
}

static void config_interrupt(struct virtio_dev *vdev)
{
	atomic_fetch_or(&vdev->isr, 2);
	uint16_t v = atomic_load(&vdev->msix_config);
	if (v != VQ_NO_VECTOR)
		pci_msix_notify(&vdev->pci, v);
}

void virtio_set_needs_reset(struct virtio_dev *vdev, const char *why)
{
	uint8_t old = atomic_fetch_or(&vdev->status, VIRTIO_STATUS_NEEDS_RESET);
	if (old & VIRTIO_STATUS_NEEDS_RESET)
		return;
	log_warn("%s: %s; device needs reset", vdev->name, why ? why : "device error");
	config_interrupt(vdev);
}

void virtio_config_changed(struct virtio_dev *vdev)
{
	__atomic_fetch_add(&vdev->config_generation, 1, __ATOMIC_SEQ_CST);
	config_interrupt(vdev);
}

void virtio_queue_interrupt(struct virtio_dev *vdev, struct virtqueue *vq)
{
	if (!vq_should_notify(vq))
		return;
	atomic_fetch_or(&vdev->isr, 1);
	if (vq->msix_vector != VQ_NO_VECTOR)
		pci_msix_notify(&vdev->pci, vq->msix_vector);
}

static void kick(struct virtqueue *vq)
{
	uint64_t one = 1;
	if (write(vq->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("virtqueue %u kick: %s", vq->index, strerror(errno));
}

int virtio_vq_next(struct virtio_dev *vdev, struct virtqueue *vq, struct vq_elem *e)
{
	for (;;) {
		int r = vq_pop(vq, e);
		if (r < 0) {
			virtio_set_needs_reset(vdev, vq->why);
			return -1;
		}
		if (r > 0)
			return 1;
		if (!vq_enable_notify(vq))
			return 0; /* else buffers came while re-arming */
	}
}

void virtio_vq_process(struct virtio_dev *vdev, struct virtqueue *vq, virtio_elem_fn fn)
{
	unsigned budget = 4u * vq->size, done = 0;
	int r = 0;
	for (;;) {
		struct vq_elem e;
		while (done < budget && (r = vq_pop(vq, &e)) > 0) {
			uint32_t len = fn(vdev, vq, &e);
			vq_push(vq, e.head, len);
			done++;
		}
		if (r < 0) {
			virtio_set_needs_reset(vdev, vq->why);
			break;
		}
		if (done >= budget) {
			if (vq_has_work(vq))
				kick(vq); /* come back after the other fds had a turn */
			break;
		}
		if (!vq_enable_notify(vq))
			break;
	}
	if (done)
		virtio_queue_interrupt(vdev, vq);
}

/* ---- reset / status (pci.lock held) ------------------------------------------- */

static void reset_locked(struct virtio_dev *vdev)
{
	for (unsigned i = 0; i < vdev->nr_queues; i++)
		pthread_mutex_lock(&vdev->vqs[i].lock);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	for (unsigned i = 0; i < vdev->nr_queues; i++)
		vq_reset(&vdev->vqs[i]);
	vdev->guest_features = 0;
	vdev->dfselect = vdev->gfselect = 0;
	vdev->queue_select = 0;
	atomic_store(&vdev->msix_config, VQ_NO_VECTOR);
	atomic_store(&vdev->isr, 0);
	atomic_store(&vdev->status, 0);
	for (unsigned i = vdev->nr_queues; i-- > 0;)
		pthread_mutex_unlock(&vdev->vqs[i].lock);
}

static bool features_acceptable(struct virtio_dev *vdev)
{
	uint64_t f = vdev->guest_features;
	if (f & ~vdev->host_features) {
		log_debug("%s: driver accepted unoffered features 0x%llx", vdev->name,
			  (unsigned long long)(f & ~vdev->host_features));
		return false;
	}
	if (!(f & VIRTIO_FEAT(VIRTIO_BIT_VERSION_1))) {
		log_debug("%s: legacy driver (no VIRTIO_F_VERSION_1) refused", vdev->name);
		return false;
	}
	return !vdev->ops->features_ok || vdev->ops->features_ok(vdev, f);
}

static void set_status_locked(struct virtio_dev *vdev, uint8_t v)
{
	if (v == 0) {
		reset_locked(vdev);
		return;
	}
	uint8_t old = atomic_load(&vdev->status);
	uint8_t nv = (uint8_t)((old | v) & ~VIRTIO_STATUS_NEEDS_RESET); /* device-owned bit */
	if ((nv & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_acceptable(vdev))
		nv &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	if ((nv & VIRTIO_STATUS_DRIVER_OK) && !(nv & VIRTIO_STATUS_FEATURES_OK))
		nv &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
	atomic_fetch_or(&vdev->status, nv);
	if ((nv & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		/* Buffers made available before DRIVER_OK are processed now. */
		for (unsigned i = 0; i < vdev->nr_queues; i++)
			if (vdev->vqs[i].ready)
				kick(&vdev->vqs[i]);
	}
}

static void queue_enable_locked(struct virtio_dev *vdev, struct virtqueue *vq)
{
	const char *why = NULL;
	pthread_mutex_lock(&vq->lock);
	int rc = vq_enable(vq, &vdev->vm->mem, virtio_has_feature(vdev, VIRTIO_BIT_EVENT_IDX),
			   virtio_has_feature(vdev, VIRTIO_BIT_INDIRECT_DESC), &why);
	pthread_mutex_unlock(&vq->lock);
	if (rc < 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "queue %u: %s", vq->index, why);
		virtio_set_needs_reset(vdev, msg);
	}
}

/* ---- common configuration (pci.lock held) -------------------------------------- */

static struct virtqueue *selected_vq(struct virtio_dev *vdev)
{
	return vdev->queue_select < vdev->nr_queues ? &vdev->vqs[vdev->queue_select] : NULL;
}

static void common_read(struct virtio_dev *vdev, uint32_t off, void *data, uint32_t len)
{
	uint8_t img[0x40] = { 0 };
	put32(img + CC_DFSELECT, vdev->dfselect);
	put32(img + CC_DF, vdev->dfselect < 2 ? (uint32_t)(vdev->host_features >> (32 * vdev->dfselect)) : 0);
	put32(img + CC_GFSELECT, vdev->gfselect);
	put32(img + CC_GF, vdev->gfselect < 2 ? (uint32_t)(vdev->guest_features >> (32 * vdev->gfselect)) : 0);
	put16(img + CC_MSIX, atomic_load(&vdev->msix_config));
	put16(img + CC_NUMQ, (uint16_t)vdev->nr_queues);
	img[CC_STATUS] = atomic_load(&vdev->status);
	img[CC_CFGGEN] = __atomic_load_n(&vdev->config_generation, __ATOMIC_SEQ_CST);
	put16(img + CC_Q_SELECT, vdev->queue_select);
	/* Queue fields are only written under pci.lock, which we hold. */
	struct virtqueue *vq = selected_vq(vdev);
	if (vq) {
		put16(img + CC_Q_SIZE, vq->size);
		put16(img + CC_Q_MSIX, vq->msix_vector);
		put16(img + CC_Q_ENABLE, vq->ready);
		put16(img + CC_Q_NOFF, vq->index);
		put64(img + CC_Q_DESC, vq->desc_gpa);
		put64(img + CC_Q_AVAIL, vq->avail_gpa);
		put64(img + CC_Q_USED, vq->used_gpa);
		put16(img + CC_Q_NDATA, vq->index);
	}
	if (off + len > VIRTIO_COMMON_LEN || (off & (len - 1))) {
		memset(data, 0xff, len);
		return;
	}
	memcpy(data, img + off, len);
}

static void set_addr_half(uint64_t *a, bool hi, uint32_t v)
{
	*a = hi ? ((*a & 0xFFFFFFFFULL) | ((uint64_t)v << 32)) : ((*a & ~0xFFFFFFFFULL) | v);
}

static void common_write(struct virtio_dev *vdev, uint32_t off, const void *data, uint32_t len)
{
	uint64_t v = get_le(data, len);
	struct virtqueue *vq = selected_vq(vdev);
	bool drv_ok = atomic_load(&vdev->status) & VIRTIO_STATUS_DRIVER_OK;
	uint16_t nvec = (uint16_t)vdev->msix.nr;

	switch (off) {
	case CC_DFSELECT:
		if (len == 4)
			vdev->dfselect = (uint32_t)v;
		return;
	case CC_GFSELECT:
		if (len == 4)
			vdev->gfselect = (uint32_t)v;
		return;
	case CC_GF:
		if (len == 4 && vdev->gfselect < 2 &&
		    !(atomic_load(&vdev->status) & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned sh = 32 * vdev->gfselect;
			vdev->guest_features = (vdev->guest_features & ~(0xFFFFFFFFULL << sh)) | (v << sh);
		}
		return;
	case CC_MSIX:
		if (len == 2)
			atomic_store(&vdev->msix_config, v < nvec ? (uint16_t)v : VQ_NO_VECTOR);
		return;
	case CC_STATUS:
		if (len == 1)
			set_status_locked(vdev, (uint8_t)v);
		return;
	case CC_Q_SELECT:
		if (len == 2)
			vdev->queue_select = (uint16_t)v;
		return;
	default:
		break;
	}
	if (!vq)
		return;
	pthread_mutex_lock(&vq->lock);
	bool ready = vq->ready;
	switch (off) {
	case CC_Q_SIZE:
		if (len == 2 && !ready)
			vq->size = (uint16_t)v; /* validated at enable */
		break;
	case CC_Q_MSIX:
		if (len == 2)
			vq->msix_vector = v < nvec ? (uint16_t)v : VQ_NO_VECTOR;
		break;
	case CC_Q_DESC: case CC_Q_DESC + 4:
	case CC_Q_AVAIL: case CC_Q_AVAIL + 4:
	case CC_Q_USED: case CC_Q_USED + 4: {
		if (ready || drv_ok)
			break;
		uint32_t base = off & ~7u;
		uint64_t *a = base == CC_Q_DESC ? &vq->desc_gpa :
			      base == CC_Q_AVAIL ? &vq->avail_gpa : &vq->used_gpa;
		if (len == 8 && !(off & 7))
			*a = v;
		else if (len == 4)
			set_addr_half(a, off & 4, (uint32_t)v);
		break;
	}
	default:
		break;
	}
	pthread_mutex_unlock(&vq->lock);
	if (off == CC_Q_ENABLE && len == 2 && v == 1 && !ready)
		queue_enable_locked(vdev, vq);
}

/* ---- the BAR ---------------------------------------------------------------- */

static void bar_access(struct virtio_dev *vdev, uint64_t off, void *data, uint32_t len,
		       bool is_write, bool locked)
{
	if (off < VIRTIO_ISR_OFF) {
		if (!locked)
			pthread_mutex_lock(&vdev->pci.lock);
		if (is_write)
			common_write(vdev, (uint32_t)off, data, len);
		else
			common_read(vdev, (uint32_t)off, data, len);
		if (!locked)
			pthread_mutex_unlock(&vdev->pci.lock);
		return;
	}
	if (off < VIRTIO_DEVCFG_OFF) {
		if (!is_write) {
			memset(data, 0, len);
			/* Reading the ISR clears it (and with it the INTx level). */
			if (off == VIRTIO_ISR_OFF)
				((uint8_t *)data)[0] = atomic_exchange(&vdev->isr, 0);
		}
		return;
	}
	if (off < VIRTIO_NOTIFY_OFF) {
		uint64_t rel = off - VIRTIO_DEVCFG_OFF;
		if (rel >= vdev->config_len || len > vdev->config_len - rel) {
			if (!is_write)
				memset(data, 0xff, len);
			return;
		}
		if (!locked)
			pthread_mutex_lock(&vdev->pci.lock);
		if (is_write) {
			if (vdev->ops->config_write)
				vdev->ops->config_write(vdev, (uint32_t)rel, data, len);
		} else if (vdev->ops->config_read) {
			vdev->ops->config_read(vdev, (uint32_t)rel, data, len);
		} else {
			memset(data, 0, len);
		}
		if (!locked)
			pthread_mutex_unlock(&vdev->pci.lock);
		return;
	}
	if (off < VIRTIO_NOTIFY_OFF + 0x1000) {
		uint64_t rel = off - VIRTIO_NOTIFY_OFF;
		if (!is_write) {
			memset(data, 0, len);
			return;
		}
		uint64_t q = rel / VIRTIO_NOTIFY_MULT;
		if (rel % VIRTIO_NOTIFY_MULT == 0 && q < vdev->nr_queues) {
			/* KVM did not catch it with the ioeventfd: same effect, slower. */
			__atomic_fetch_add(&vdev->kicks_mmio, 1, __ATOMIC_RELAXED);
			kick(&vdev->vqs[q]);
		}
		return;
	}
	if (!is_write)
		memset(data, 0xff, len);
}

static void vbar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	bar_access(opaque, off, data, len, false, false);
}

static void vbar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	bar_access(opaque, off, (void *)data, len, true, false);
}

static const struct bus_ops vbar_ops = { .read = vbar_read, .write = vbar_write };

/* ---- PCI hooks: ioeventfd placement and the PCI_CFG access window ---------------- */

static int vpci_bar_map(struct pci_device *pd, unsigned bar, uint64_t addr, struct error *err)
{
	struct virtio_dev *vdev = pd->opaque;
	if (bar != 0 || !vm_has_kvm(vdev))
		return 0;
	for (unsigned i = 0; i < vdev->nr_queues; i++) {
		struct error e;
		uint64_t a = addr + VIRTIO_NOTIFY_OFF + (uint64_t)i * VIRTIO_NOTIFY_MULT;
		if (vm_ioeventfd(vdev->vm, a, 2, false, vdev->vqs[i].kick_fd, true, &e) == 0)
			vdev->ioeventfd[i] = true;
		else
			log_debug("%s: queue %u kicks will exit to the VMM: %s", vdev->name, i, e.msg);
	}
	vdev->notify_base = addr;
	return 0;
}

static void vpci_bar_unmap(struct pci_device *pd, unsigned bar, uint64_t addr)
{
	struct virtio_dev *vdev = pd->opaque;
	if (bar != 0)
		return;
	for (unsigned i = 0; i < vdev->nr_queues; i++) {
		if (!vdev->ioeventfd[i])
			continue;
		uint64_t a = addr + VIRTIO_NOTIFY_OFF + (uint64_t)i * VIRTIO_NOTIFY_MULT;
		vm_ioeventfd(vdev->vm, a, 2, false, vdev->vqs[i].kick_fd, false, NULL);
		vdev->ioeventfd[i] = false;
	}
	vdev->notify_base = 0;
}

/* The window's target, or false when the driver programmed nonsense. */
static bool pcicfg_target(struct virtio_dev *vdev, uint32_t *off, uint32_t *len)
{
	uint32_t c = vdev->pci_cfg_cap;
	uint8_t bar = pci_cfg_get8(&vdev->pci, c + VCAP_BAR);
	*off = pci_cfg_get32(&vdev->pci, c + VCAP_OFFSET);
	*len = pci_cfg_get32(&vdev->pci, c + VCAP_LENGTH);
	return bar == 0 && (*len == 1 || *len == 2 || *len == 4) && !(*off & (*len - 1)) &&
	       *off < VIRTIO_MSIX_TABLE_OFF && *off + *len <= VIRTIO_MSIX_TABLE_OFF;
}

static void vpci_cfg_read(struct pci_device *pd, uint32_t off, uint32_t len, uint32_t *val)
{
	struct virtio_dev *vdev = pd->opaque;
	uint32_t d = vdev->pci_cfg_cap + VCAP_DATA;
	if (!vdev->pci_cfg_cap || off + len <= d || off >= d + 4)
		return;
	uint32_t boff, blen;
	uint8_t buf[4] = { 0 };
	if (pcicfg_target(vdev, &boff, &blen))
		bar_access(vdev, boff, buf, blen, false, true);
	pci_cfg_set32(pd, d, (uint32_t)get_le(buf, 4));
	uint32_t v = 0;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)pci_cfg_get8(pd, off + i) << (8 * i);
	*val = v;
}

static bool vpci_cfg_write(struct pci_device *pd, uint32_t off, uint32_t len, uint32_t val)
{
	struct virtio_dev *vdev = pd->opaque;
	uint32_t d = vdev->pci_cfg_cap + VCAP_DATA;
	if (!vdev->pci_cfg_cap || off + len <= d || off >= d + 4)
		return false;
	/* The data field is one aligned dword, so the access lies inside it. */
	for (uint32_t i = 0; i < len; i++)
		pci_cfg_set8(pd, off + i, (uint8_t)(val >> (8 * i)));
	uint32_t boff, blen;
	if (pcicfg_target(vdev, &boff, &blen)) {
		uint8_t buf[4];
		put32(buf, pci_cfg_get32(pd, d));
		bar_access(vdev, boff, buf, blen, true, true);
	}
	return true;
}

static void vpci_reset(struct pci_device *pd)
{
	reset_locked(pd->opaque);
}

static const struct pci_device_ops virtio_pci_dev_ops = {
	.cfg_read = vpci_cfg_read,
	.cfg_write = vpci_cfg_write,
	.bar_map = vpci_bar_map,
	.bar_unmap = vpci_bar_unmap,
	.reset = vpci_reset,
};

/* ---- creation ----------------------------------------------------------------- */

static void kick_cb(void *opaque, int fd, uint32_t events)
{
	struct virtqueue *vq = opaque;
	struct virtio_dev *vdev = vq->owner;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&vq->lock);
	if (vq->ready && !vq->broken && virtio_live(vdev) && vdev->ops->queue_notify)
		vdev->ops->queue_notify(vdev, vq);
	pthread_mutex_unlock(&vq->lock);
}

static int add_vcap(struct virtio_dev *vdev, uint8_t type, uint8_t len, uint32_t off,
		    uint32_t length, struct error *err)
{
	int c = pci_add_capability(&vdev->pci, PCI_CAP_ID_VNDR, len, err);
	if (c < 0)
		return -1;
	uint32_t o = (uint32_t)c;
	pci_cfg_set8(&vdev->pci, o + 2, len);
	pci_cfg_set8(&vdev->pci, o + 3, type);
	pci_cfg_set8(&vdev->pci, o + VCAP_BAR, 0);
	pci_cfg_set32(&vdev->pci, o + VCAP_OFFSET, off);
	pci_cfg_set32(&vdev->pci, o + VCAP_LENGTH, length);
	return c;
}

struct virtio_dev *virtio_pci_create(struct vm *vm, const struct virtio_pci_params *p,
				     const struct virtio_device_ops *ops, void *backend,
				     struct error *err)
{
	if (!vm->pci) {
		err_setf(err, "%s: no PCI bus (the PCI host bridge must be created first)", p->name);
		return NULL;
	}
	if (!p->nr_queues || p->nr_queues > VIRTIO_PCI_MAX_QUEUES || p->config_len > VIRTIO_DEVCFG_MAX ||
	    !p->queue_size || p->queue_size > VQ_MAX_SIZE || (p->queue_size & (p->queue_size - 1))) {
		err_setf(err, "%s: bad virtio device parameters", p->name);
		return NULL;
	}
	struct virtio_dev *vdev = calloc(1, sizeof(*vdev));
	if (!vdev) {
		err_setf(err, "out of memory");
		return NULL;
	}
	vdev->vm = vm;
	vdev->ops = ops;
	vdev->backend = backend;
	snprintf(vdev->name, sizeof(vdev->name), "%s", p->name);
	vdev->device_id = p->device_id;
	vdev->config_len = p->config_len;
	vdev->host_features = p->features | VIRTIO_FEAT(VIRTIO_BIT_VERSION_1) |
			      VIRTIO_FEAT(VIRTIO_BIT_INDIRECT_DESC) | VIRTIO_FEAT(VIRTIO_BIT_EVENT_IDX);
	vdev->host_features &= ~VIRTIO_FEAT(VIRTIO_BIT_ACCESS_PLATFORM);
	atomic_store(&vdev->msix_config, VQ_NO_VECTOR);

	/* Non-transitional: device 0x1040 + id, revision 1, subsystem id >= 0x40. */
	pci_device_init(&vdev->pci, vdev->name, &virtio_pci_dev_ops, vdev, VIRTIO_PCI_VENDOR,
			(uint16_t)(VIRTIO_PCI_DEVICE_BASE + p->device_id), p->class_code, 1,
			VIRTIO_PCI_VENDOR, 0x1100);

	vdev->vqs = calloc(p->nr_queues, sizeof(*vdev->vqs));
	vdev->ioeventfd = calloc(p->nr_queues, sizeof(*vdev->ioeventfd));
	if (!vdev->vqs || !vdev->ioeventfd) {
		err_setf(err, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < p->nr_queues; i++) {
		struct virtqueue *vq = &vdev->vqs[i];
		if (vq_init(vq, (uint16_t)i, p->queue_size) < 0) {
			err_setf(err, "out of memory");
			goto fail;
		}
		vdev->nr_queues = i + 1;
		vq->owner = vdev;
		vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vq->kick_fd < 0) {
			err_setf(err, "%s: eventfd: %s", vdev->name, strerror(errno));
			goto fail;
		}
		if (evloop_add(&vm->loop, vq->kick_fd, EPOLLIN, kick_cb, vq, err) < 0) {
			close(vq->kick_fd);
			vq->kick_fd = -1;
			goto fail;
		}
	}

	if (pci_device_set_bar(&vdev->pci, 0, VIRTIO_BAR_SIZE, PCI_BAR_MEM64, &vbar_ops, vdev, err) < 0 ||
	    add_vcap(vdev, VCAP_COMMON, 16, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN, err) < 0 ||
	    add_vcap(vdev, VCAP_ISR, 16, VIRTIO_ISR_OFF, 4, err) < 0 ||
	    (p->config_len && add_vcap(vdev, VCAP_DEVICE, 16, VIRTIO_DEVCFG_OFF, p->config_len, err) < 0))
		goto fail;
	int nc = add_vcap(vdev, VCAP_NOTIFY, 20, VIRTIO_NOTIFY_OFF,
			  vdev->nr_queues * VIRTIO_NOTIFY_MULT, err);
	if (nc < 0)
		goto fail;
	pci_cfg_set32(&vdev->pci, (uint32_t)nc + 16, VIRTIO_NOTIFY_MULT);
	int pc = add_vcap(vdev, VCAP_PCI, 20, 0, 0, err);
	if (pc < 0)
		goto fail;
	vdev->pci_cfg_cap = (uint8_t)pc;
	pci_cfg_set_wmask8(&vdev->pci, (uint32_t)pc + VCAP_BAR, 0xFF);
	pci_cfg_set_wmask32(&vdev->pci, (uint32_t)pc + VCAP_OFFSET, 0xFFFFFFFF);
	pci_cfg_set_wmask32(&vdev->pci, (uint32_t)pc + VCAP_LENGTH, 0xFFFFFFFF);
	if (pci_msix_init(&vdev->msix, &vdev->pci, vdev->nr_queues + 1, 0, VIRTIO_MSIX_TABLE_OFF,
			  VIRTIO_MSIX_PBA_OFF, err) < 0)
		goto fail;
	if (pci_device_register(vm->pci, &vdev->pci, p->slot, 0, err) < 0)
		goto fail;
	return vdev;
fail:
	vdev->ops = NULL; /* the back end still belongs to the caller */
	virtio_pci_destroy(vdev);
	return NULL;
}

void virtio_pci_destroy(struct virtio_dev *vdev)
{
	if (!vdev)
		return;
	pci_device_unregister(&vdev->pci);
	for (unsigned i = 0; i < vdev->nr_queues; i++) {
		struct virtqueue *vq = &vdev->vqs[i];
		if (vq->kick_fd >= 0) {
			evloop_del(&vdev->vm->loop, vq->kick_fd);
			close(vq->kick_fd);
		}
		vq_destroy(vq);
	}
	pci_msix_destroy(&vdev->msix);
	if (vdev->ops && vdev->ops->destroy)
		vdev->ops->destroy(vdev);
	pthread_mutex_destroy(&vdev->pci.lock);
	free(vdev->vqs);
	free(vdev->ioeventfd);
	free(vdev);
}

void virtio_pci_vm_destroy(struct vm *vm, void *vdev)
{
	virtio_pci_destroy(vdev);
}
