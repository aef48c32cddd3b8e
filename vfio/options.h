/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Passthrough's settings (options.c): [passthrough.NAME] sections and
 * --vfio, the back end ([machine] vfio, --vfio-backend), and the `passvm
 * check` lines for them (check.c).
 */
#ifndef PASSVM_VFIO_OPTIONS_H
#define PASSVM_VFIO_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/options.h"

#define VFIO_MAX_PASSTHROUGH 8

/* How passthrough devices reach the IOMMU (vfio/core.h says more). */
enum vfio_backend {
	VFIO_BACKEND_AUTO,       /* iommufd where the kernel offers it, else the container */
	VFIO_BACKEND_CONTAINER,  /* /dev/vfio/vfio + groups */
	VFIO_BACKEND_IOMMUFD,    /* /dev/iommu + device cdevs */
};

/* A host PCI function (or a whole slot) given to the guest through VFIO. */
struct passthrough_config {
	uint16_t domain;
	uint8_t bus, slot, func;
	bool whole_slot;          /* "0000:01:00": every function of the slot */
	const char *romfile;      /* option ROM to expose instead of the device's */
};

struct vfio_config {
	enum vfio_backend backend;
	unsigned n;
	struct passthrough_config devices[VFIO_MAX_PASSTHROUGH];
	unsigned line[VFIO_MAX_PASSTHROUGH];          /* the header's line; 0: --vfio */
	unsigned address_line[VFIO_MAX_PASSTHROUGH];  /* 0: no address yet */
};

extern const struct vmm_options vfio_passthrough_options;
static inline struct vfio_config *vfio_config(const struct vm_config *cfg)
{
	return vmm_options_part(cfg, &vfio_passthrough_options);
}

/* "auto", "iommufd" or "container" ("group", "type1" too). */
int vfio_backend_parse(const char *s, enum vfio_backend *out, struct error *err);

/* check.c: each passthrough device, and the back end's kernel support. */
void vfio_check(struct report *r, const struct check_env *env, const struct vm_config *cfg);

#endif
