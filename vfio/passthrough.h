/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host side of a passthrough run, around the VM's life (vfio/pci.c is
 * the device side, inside it):
 *   vfio_pt_prepare()  before the first vm_create(): the profile's and the
 *                      --vfio functions (a whole slot expanded), leftovers of
 *                      dead passvm runs given back, every IOMMU group checked
 *                      for viability (the error names the devices in the
 *                      way), then each function bound to vfio-pci with its
 *                      restore record (owner: this process) written first.
 *                      A failure undoes what it did: nothing is left bound.
 *   vfio_pt_release()  after the last vm_destroy() (power-off, guest fault,
 *                      SIGTERM/SIGINT): each function back to its driver.
 * A passvm that is killed leaves its records: `passvm restore`, or the next
 * start, replays those whose owner is dead (vfio/bind.h).
 */
#ifndef PASSVM_VFIO_PASSTHROUGH_H
#define PASSVM_VFIO_PASSTHROUGH_H

#include <stdio.h>

#include "vfio/options.h"
#include "vfio/pci_addr.h"

#define VFIO_PT_MAX 16

struct vfio_pt_function {
	struct vfio_host_addr addr;
	const char *romfile;      /* NULL: the device's own ROM */
};

/* Sorted by address, no duplicates: functions of a slot are adjacent. */
struct vfio_pt_list {
	unsigned n;
	struct vfio_pt_function f[VFIO_PT_MAX];
};

/* vfio_config(cfg)->devices[] as functions (a whole slot: those present in sysfs). */
int vfio_pt_expand(const struct vm_config *cfg, struct vfio_pt_list *l, struct error *err);

/* What a run bound, to give back. */
struct vfio_pt_session {
	const char *sysfs, *state_dir;
	unsigned n_bound;
	struct vfio_host_addr bound[VFIO_PT_MAX];
};

/* `log` (may be NULL) gets one line per device bound or restored. */
int vfio_pt_prepare(const struct vm_config *cfg, const char *state_dir,
		    struct vfio_pt_session *s, FILE *log, struct error *err);
void vfio_pt_release(struct vfio_pt_session *s, FILE *log);

#endif
