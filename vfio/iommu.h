/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two IOMMU back ends of vfio/core.c behind one table of operations: for
 * vfio/core.c and its back ends only (callers use vfio/core.h).
 *
 * The container/group interface (iommu_container.c) and iommufd with device
 * cdevs (iommu_iommufd.c) differ in how the IOMMU context is opened, how
 * groups and devices join it, how DMA is mapped and what a bus reset needs
 * to prove ownership. Everything after a device fd exists (regions, IRQs,
 * device info and reset) is the same and stays in core.c, which picks a
 * table once, in vfio_container_open(), and never asks which back end it has.
 */
#ifndef PASSVM_VFIO_IOMMU_H
#define PASSVM_VFIO_IOMMU_H

#include <stdint.h>

#include "vfio/core.h"

struct vfio_pci_hot_reset_info;

/*
 * Every operation follows core.h's rule: a failure leaves its object closed
 * (fd -1) and says why in err. core.c does what both share around them (the
 * fields' initial values, argument checks, closing fds).
 */
struct vfio_iommu_ops {
	enum vfio_backend backend;   /* what vfio_container.backend then says */
	/* Open the IOMMU context: c->fd, and what else the back end needs. */
	int (*open)(struct vfio_container *c, struct error *err);
	/* Join the container with group g (g->id, g->container set, g->fd -1). */
	int (*group_attach)(struct vfio_group *g, struct error *err);
	/* Leave it again; only called for a group whose fd is open. */
	void (*group_detach)(struct vfio_group *g);
	/* d->fd for device d->name of group d->group, ready for its ioctls. */
	int (*device_open)(struct vfio_device *d, struct error *err);
	/* A bus reset of d hitting the devices of `info`, if we own them all. */
	int (*hot_reset)(struct vfio_device *d, const struct vfio_pci_hot_reset_info *info,
			 const struct vfio_group *owned, unsigned nr_owned, struct error *err);
	/* Map or unmap DMA (arguments already checked: page-aligned, no wrap). */
	int (*dma_map)(struct vfio_container *c, void *vaddr, uint64_t iova, uint64_t size,
		       struct error *err);
	int (*dma_unmap)(struct vfio_container *c, uint64_t iova, uint64_t size,
			 struct error *err);
};

extern const struct vfio_iommu_ops vfio_iommu_container_ops;
extern const struct vfio_iommu_ops vfio_iommu_iommufd_ops;

/* Does this host offer iommufd with device cdevs (what "auto" picks)? */
bool vfio_iommufd_offered(void);

/* ---- shared by the back ends (core.c) ---------------------------------- */

void vfio_close_fd(int *fd);
/* Is info's count plausible and inside its argsz? Else err names dev_name. */
int vfio_hot_reset_info_check(const struct vfio_pci_hot_reset_info *info,
			      const char *dev_name, struct error *err);
/* VFIO_DEVICE_PCI_HOT_RESET on d with these group fds (none with iommufd). */
int vfio_hot_reset(struct vfio_device *d, const int *fds, unsigned n, struct error *err);
/* A map ioctl's outcome (r, errno), with what to do about the usual failures. */
int vfio_map_result(const char *what, int r, uint64_t iova, uint64_t size, struct error *err);
/* An unmap ioctl's outcome (r, errno) and how much it unmapped (done). */
int vfio_unmap_result(const char *what, int r, uint64_t iova, uint64_t size, uint64_t done,
		      struct error *err);

#endif
