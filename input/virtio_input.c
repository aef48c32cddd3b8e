// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-input device model (see virtio_input.h). Guest-controlled inputs:
 * the config select/subsel bytes (answered from caps, bounds-checked) and
 * the status queue's buffers (parsed in whole 8-byte events, bounded); the
 * event queue's buffers only receive bytes (at most one event each).
 */
#include "input/virtio_input.h"

#include <stdlib.h>
#include <string.h>

#include "vmm/virtio/virtio_pci.h"
#include "vmm/vm.h"

/* Events waiting for guest buffers: a few seconds of a gaming mouse. */
#define VI_PENDING 1024u
/* Status events read from one buffer chain (the driver sends one). */
#define VI_STATUS_MAX 64u

struct virtio_input {
	struct virtio_dev *vdev;
	struct input_caps caps;
	struct virtio_input_config cfg;   /* the current answer (vdev->pci.lock) */
	virtio_input_status_fn status;
	void *opaque;
	/* Pending events, a ring (the event queue's vq->lock). */
	struct virtio_input_event pending[VI_PENDING];
	unsigned head, count;
	uint64_t dropped;
};

/* ---- config space -------------------------------------------------------------- */

static void vi_config_read(struct virtio_dev *vdev, uint32_t off, void *data, uint32_t len)
{
	struct virtio_input *vi = vdev->backend;
	memcpy(data, (const uint8_t *)&vi->cfg + off, len);
}

/* Only select (byte 0) and subsel (byte 1) are the driver's to write. */
static void vi_config_write(struct virtio_dev *vdev, uint32_t off, const void *data, uint32_t len)
{
	struct virtio_input *vi = vdev->backend;
	uint8_t sel = vi->cfg.select, sub = vi->cfg.subsel;
	const uint8_t *b = data;
	for (uint32_t i = 0; i < len; i++) {
		if (off + i == 0)
			sel = b[i];
		else if (off + i == 1)
			sub = b[i];
	}
	virtio_input_config_answer(&vi->caps, sel, sub, &vi->cfg);
}

/* ---- event queue ----------------------------------------------------------------- */

static void vi_pending_add(struct virtio_input *vi, const struct virtio_input_event *ev)
{
	if (vi->count == VI_PENDING) {
		/* Full: the oldest goes. The guest sees a gap, as after SYN_DROPPED. */
		vi->head = (vi->head + 1) % VI_PENDING;
		vi->count--;
		vi->dropped++;
	}
	vi->pending[(vi->head + vi->count) % VI_PENDING] = *ev;
	vi->count++;
}

/* Move pending events into the driver's buffers, one event a buffer (vq->lock held). */
static void vi_flush_locked(struct virtio_input *vi, struct virtqueue *vq)
{
	struct virtio_dev *vdev = vi->vdev;
	if (!virtio_live(vdev) || !vq->ready)
		return;
	bool pushed = false;
	while (vi->count) {
		struct vq_elem e;
		if (virtio_vq_next(vdev, vq, &e) <= 0)
			break; /* (empty: the driver's next kick flushes the rest) */
		uint32_t used = 0;
		if (e.in_len >= sizeof(struct virtio_input_event)) {
			used = (uint32_t)iov_from_buf(e.iov + e.nr_out, e.nr_in, 0,
						      &vi->pending[vi->head], sizeof(vi->pending[0]));
			vi->head = (vi->head + 1) % VI_PENDING;
			vi->count--;
		}
		/* A buffer too small for an event goes back empty. */
		vq_push(vq, e.head, used);
		pushed = true;
	}
	if (pushed)
		virtio_queue_interrupt(vdev, vq);
}

void virtio_input_send(struct virtio_input *vi, uint16_t type, uint16_t code, int32_t value)
{
	struct virtio_input_event ev = { type, code, (uint32_t)value };
	struct virtqueue *vq = &vi->vdev->vqs[VIRTIO_INPUT_EVENTQ];
	pthread_mutex_lock(&vq->lock);
	vi_pending_add(vi, &ev);
	/* Whole reports at once: the guest wakes once per SYN_REPORT. */
	if (type == 0 /* EV_SYN */)
		vi_flush_locked(vi, vq);
	pthread_mutex_unlock(&vq->lock);
}

uint64_t virtio_input_dropped(const struct virtio_input *vi)
{
	return vi->dropped;
}

/* ---- status queue ---------------------------------------------------------------- */

static uint32_t vi_status_elem(struct virtio_dev *vdev, struct virtqueue *vq, struct vq_elem *e)
{
	struct virtio_input *vi = vdev->backend;
	uint8_t buf[VI_STATUS_MAX * sizeof(struct virtio_input_event)];
	(void)vq;
	size_t n = iov_to_buf(e->iov, e->nr_out, 0, buf, sizeof(buf));
	virtio_input_parse_status(buf, n, vi->status, vi->opaque);
	return 0;
}

static void vi_queue_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	struct virtio_input *vi = vdev->backend;
	if (vq->index == VIRTIO_INPUT_STATUSQ) {
		virtio_vq_process(vdev, vq, vi_status_elem);
		return;
	}
	vi_flush_locked(vi, vq); /* new event buffers */
}

static void vi_reset(struct virtio_dev *vdev)
{
	struct virtio_input *vi = vdev->backend;
	/* What was queued for the old driver means nothing to the next one. */
	vi->head = vi->count = 0;
	virtio_input_config_answer(&vi->caps, 0, 0, &vi->cfg);
}

static void vi_destroy(struct virtio_dev *vdev)
{
	free(vdev->backend);
}

static const struct virtio_device_ops vi_ops = {
	.queue_notify = vi_queue_notify,
	.config_read = vi_config_read,
	.config_write = vi_config_write,
	.reset = vi_reset,
	.destroy = vi_destroy,
};

struct virtio_input *virtio_input_create(struct vm *vm, const char *name,
					 const struct input_caps *caps,
					 virtio_input_status_fn status, void *opaque,
					 struct error *err)
{
	struct virtio_input *vi = calloc(1, sizeof(*vi));
	if (!vi) {
		err_setf(err, "out of memory");
		return NULL;
	}
	vi->caps = *caps;
	vi->caps.name[sizeof(vi->caps.name) - 1] = '\0';
	vi->caps.serial[sizeof(vi->caps.serial) - 1] = '\0';
	vi->status = status;
	vi->opaque = opaque;
	virtio_input_config_answer(&vi->caps, 0, 0, &vi->cfg);
	struct virtio_pci_params p = {
		.name = name,
		.device_id = VIRTIO_INPUT_DEVICE_ID,
		.class_code = 0x098000, /* input device controller, other */
		.nr_queues = 2,
		.queue_size = 64,
		.config_len = sizeof(struct virtio_input_config),
		.slot = -1,
	};
	vi->vdev = virtio_pci_create(vm, &p, &vi_ops, vi, err);
	if (!vi->vdev) {
		free(vi);
		return NULL;
	}
	if (vm_device_add(vm, vi->vdev->name, vi->vdev, virtio_pci_vm_destroy, err) < 0) {
		virtio_pci_destroy(vi->vdev); /* frees vi through ops->destroy */
		return NULL;
	}
	return vi;
}
