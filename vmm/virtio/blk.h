/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-blk back end. The VMM_DEVICE type creates one per cfg->disks[i];
 * virtio_blk_create() is exposed for tests.
 */
#ifndef PASSVM_VIRTIO_BLK_H
#define PASSVM_VIRTIO_BLK_H

#include "config.h"
#include "virtio_pci.h"

struct vm;

/* Open the image (error names the file and the fix) and create the device. */
struct virtio_dev *virtio_blk_create(struct vm *vm, const struct disk_config *dc, unsigned index,
				     struct error *err);

#endif
