/* SPDX-License-Identifier: GPL-2.0-only */
/* virtio-rng back end; the VMM_DEVICE type creates it when cfg->rng is set. */
#ifndef PASSVM_VIRTIO_RNG_H
#define PASSVM_VIRTIO_RNG_H

#include "virtio_pci.h"

struct vm;

struct virtio_dev *virtio_rng_create(struct vm *vm, struct error *err);

#endif
