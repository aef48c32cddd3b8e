/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-blk back end. The VMM_DEVICE type creates one per [disk.NAME] (or
 * --disk); virtio_blk_create() is exposed for tests.
 */
#ifndef PASSVM_VIRTIO_BLK_H
#define PASSVM_VIRTIO_BLK_H

#include "vmm/options.h"
#include "vmm/virtio/virtio_pci.h"

struct vm;

#define BLK_MAX_DISKS 8

struct disk_config {
	const char *path;
	bool readonly;
};

/* [disk.NAME] sections and --disk flags, in order. */
struct blk_config {
	unsigned n;
	struct disk_config disks[BLK_MAX_DISKS];
	unsigned line[BLK_MAX_DISKS];   /* the [disk.NAME] header's line; 0: a flag */
};

extern const struct vmm_options blk_options;
static inline struct blk_config *blk_config(const struct vm_config *cfg)
{
	return vmm_options_part(cfg, &blk_options);
}

/* Open the image (error names the file and the fix) and create the device. */
struct virtio_dev *virtio_blk_create(struct vm *vm, const struct disk_config *dc, unsigned index,
				     struct error *err);

#endif
