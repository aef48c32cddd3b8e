/* SPDX-License-Identifier: GPL-2.0-only */
/* virtio-rng back end; the VMM_DEVICE type creates it unless [machine] rng = no. */
#ifndef PASSVM_VIRTIO_RNG_H
#define PASSVM_VIRTIO_RNG_H

#include "vmm/options.h"
#include "vmm/virtio/virtio_pci.h"

struct vm;

struct virtio_dev *virtio_rng_create(struct vm *vm, struct error *err);

/* [machine] rng, --no-rng. */
struct virtio_rng_config {
	bool enabled;             /* default on */
};

extern const struct vmm_options virtio_rng_options;
static inline struct virtio_rng_config *virtio_rng_config(const struct vm_config *cfg)
{
	return vmm_options_part(cfg, &virtio_rng_options);
}

#endif
