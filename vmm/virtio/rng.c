// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-rng (virtio 1.2, 5.4): one request queue; every device-writable
 * buffer is filled from getrandom(). On unless [machine] rng = no (--no-rng).
 */
#include <errno.h>
#include <linux/virtio_ids.h>
#include <string.h>
#include <sys/random.h>

#include "vmm/virtio/rng.h"
#include "vmm/virtio/virtio_pci.h"
#include "vmm/vm.h"

/* Per request; a driver asking for more gets a short (legal) answer. */
#define RNG_MAX_PER_REQUEST (64 * 1024)

static uint32_t rng_request(struct virtio_dev *vdev, struct virtqueue *vq, struct vq_elem *e)
{
	const struct iovec *in = e->iov + e->nr_out;
	size_t total = 0;
	for (unsigned i = 0; i < e->nr_in && total < RNG_MAX_PER_REQUEST; i++) {
		size_t want = MIN(in[i].iov_len, RNG_MAX_PER_REQUEST - total);
		size_t got = 0;
		while (got < want) {
			ssize_t n = getrandom((uint8_t *)in[i].iov_base + got, want - got, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				log_debug("%s: getrandom: %s", vdev->name, strerror(errno));
				return (uint32_t)(total + got);
			}
			got += (size_t)n;
		}
		total += got;
	}
	return (uint32_t)total;
}

static void rng_queue_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	virtio_vq_process(vdev, vq, rng_request);
}

static const struct virtio_device_ops rng_ops = {
	.queue_notify = rng_queue_notify,
};

struct virtio_dev *virtio_rng_create(struct vm *vm, struct error *err)
{
	struct virtio_pci_params p = {
		.name = "virtio-rng",
		.device_id = VIRTIO_ID_RNG,
		.class_code = 0xFF0000, /* unassigned class, like other VMMs */
		.nr_queues = 1,
		.queue_size = 64,
		.config_len = 0,
		.slot = -1,
	};
	return virtio_pci_create(vm, &p, &rng_ops, NULL, err);
}

static int virtio_rng_init(struct vm *vm, struct error *err)
{
	if (!virtio_rng_config(vm->cfg)->enabled)
		return 0;
	struct virtio_dev *vdev = virtio_rng_create(vm, err);
	if (!vdev)
		return -1;
	if (vm_device_add(vm, vdev->name, vdev, virtio_pci_vm_destroy, err) < 0) {
		virtio_pci_destroy(vdev);
		return -1;
	}
	return 0;
}

VMM_DEVICE(virtio_rng_device) = {
	.name = "virtio-rng",
	.order = VMM_ORDER_DEVICE,
	.init = virtio_rng_init,
};

static int virtio_rng_set(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return vmm_option_bool(v, &((struct virtio_rng_config *)ctx->part)->enabled, err);
}

static void virtio_rng_defaults(void *part)
{
	((struct virtio_rng_config *)part)->enabled = true;
}

static const struct vmm_option virtio_rng_option_list[] = {
	{ .key = "rng", .set = virtio_rng_set },
	{ .flag = "no-rng", .value = "no", .set = virtio_rng_set, .help = "no virtio-rng device" },
};

VMM_OPTIONS(virtio_rng_options) = {
	.section = "machine", .order = 12,
	.size = sizeof(struct virtio_rng_config), .defaults = virtio_rng_defaults,
	.options = virtio_rng_option_list, .nr_options = ARRAY_SIZE(virtio_rng_option_list),
};
