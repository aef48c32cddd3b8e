/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `passvm gpus`: the host's GPUs (PCI class 03) with their companion
 * functions in the same slot (HDMI audio, USB-C xHCI and UCSI), names from
 * libpci, IOMMU groups and whether they are viable, current drivers, and the
 * profile lines that pass the card through. Read-only, like `check`.
 */
#ifndef PASSVM_GPUS_H
#define PASSVM_GPUS_H

#include <stdio.h>

#include "common/util.h"

struct vfio_names;

/* Write the listing for the host under `sysfs`; fails only when sysfs cannot be listed. */
int gpus_list(FILE *out, const char *sysfs, struct vfio_names *names, struct error *err);

/* `passvm gpus`: 0, or 1 when the PCI devices cannot be listed. */
int gpus_command(int argc, char **argv);

#endif
