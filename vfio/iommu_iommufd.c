// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iommufd back end (Linux 6.2+; Documentation/userspace-api/iommufd.rst):
 * /dev/iommu with one IO address space (IOAS); each device is opened as its
 * own cdev (/dev/vfio/devices/vfioN, Linux 6.6+), bound to the iommufd and
 * attached to the IOAS, and the kernel itself says whether a bus reset hits
 * only devices bound to us. Groups are bookkeeping only (fd -1). Kept apart
 * from the container back end (iommu_container.c) so that each interface
 * reads on its own; what both share is in core.c (vfio/iommu.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "vfio/iommu.h"
#include "vfio/iommufd_uapi.h"

#define IOMMUFD_DEV "/dev/iommu"
#define VFIO_CDEV_DIR VFIO_DEV_DIR "/devices"

/* ---- the iommufd and its IOAS --------------------------------------------- */

/* iommufd with device cdevs: /dev/iommu, and the cdevs of bound devices. */
bool vfio_iommufd_offered(void)
{
	return !access(IOMMUFD_DEV, F_OK) && !access(VFIO_CDEV_DIR, F_OK);
}

static int vfio_iommufd_open(struct vfio_container *c, struct error *err)
{
	c->fd = open(IOMMUFD_DEV, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		int e = errno;
		return err_setf(err, "cannot open %s: %s%s", IOMMUFD_DEV, strerror(e),
				e == ENOENT ? ": this kernel has no iommufd (CONFIG_IOMMUFD, Linux "
					      "6.2+): use the VFIO container (--vfio-backend container)"
				: e == EACCES || e == EPERM ? ": run passvm as root" : "");
	}
	struct iommufd_uapi_ioas_alloc a = { .size = sizeof(a) };
	if (ioctl(c->fd, IOMMUFD_UAPI_IOAS_ALLOC, &a) < 0) {
		int e = errno;
		vfio_close_fd(&c->fd);
		return err_setf(err, "%s: IOMMU_IOAS_ALLOC: %s", IOMMUFD_DEV, strerror(e));
	}
	c->ioas_id = a.out_ioas_id;
	return 0;
}

/* ---- groups: bookkeeping only ---------------------------------------------- */

/* The kernel checks the group when a device attaches, and an open group fd
 * would keep its devices' cdevs shut: nothing to open. */
static int vfio_iommufd_group_attach(struct vfio_group *g, struct error *err)
{
	(void)g;
	(void)err;
	return 0;
}

/* Never called: an iommufd group has no fd (core.c detaches open ones only). */
static void vfio_iommufd_group_detach(struct vfio_group *g)
{
	(void)g;
}

/* ---- device cdevs ---------------------------------------------------------- */

/* /dev/vfio/devices/vfioN of a bound device, from <sysfs>/.../NAME/vfio-dev/. */
static int vfio_cdev_path(const struct vfio_container *c, const char *name, char *out,
			  size_t len, struct error *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/%s/vfio-dev", c->sysfs, name);
	DIR *dp = opendir(dir);
	if (!dp)
		return err_setf(err, "%s: no %s: it is not bound to vfio-pci, or this kernel has "
				"no VFIO device cdev (CONFIG_VFIO_DEVICE_CDEV, Linux 6.6+): use the "
				"VFIO container (--vfio-backend container)", name, dir);
	const struct dirent *e;
	int rc = -1;
	while (rc && (e = readdir(dp)))
		if (!strncmp(e->d_name, "vfio", 4) && e->d_name[4] >= '0' && e->d_name[4] <= '9')
			rc = snprintf(out, len, VFIO_CDEV_DIR "/%s", e->d_name) >= (int)len ? -1 : 0;
	closedir(dp);
	if (rc)
		return err_setf(err, "%s: %s names no vfioN device", name, dir);
	return 0;
}

/* Open the device's cdev, bind it to our iommufd, attach it to the IOAS. */
static int vfio_device_open_cdev(struct vfio_device *d, struct vfio_container *c,
				 struct error *err)
{
	char path[PATH_MAX];
	if (vfio_cdev_path(c, d->name, path, sizeof(path), err))
		return -1;
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		int e = errno;
		return err_setf(err, "%s: cannot open %s: %s%s", d->name, path, strerror(e),
				e == EBUSY ? ": another process (a VM, QEMU?) uses it or its IOMMU "
					     "group" : e == EACCES || e == EPERM ? ": run passvm as root"
										 : "");
	}
	struct vfio_uapi_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = c->fd };
	if (ioctl(d->fd, VFIO_UAPI_DEVICE_BIND_IOMMUFD, &bind) < 0)
		return err_setf(err, "%s: VFIO_DEVICE_BIND_IOMMUFD (%s): %s", d->name, path,
				strerror(errno));
	struct vfio_uapi_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = c->ioas_id };
	if (ioctl(d->fd, VFIO_UAPI_DEVICE_ATTACH_IOMMUFD_PT, &at) < 0) {
		int e = errno;
		return err_setf(err, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s%s", d->name, strerror(e),
				e == EBUSY || e == EINVAL ? ": is another device of its IOMMU group "
							    "bound to a host driver? (see 'passvm "
							    "check')" : "");
	}
	return 0;
}

static int vfio_iommufd_device_open(struct vfio_device *d, struct error *err)
{
	if (vfio_device_open_cdev(d, d->group->container, err)) {
		vfio_close_fd(&d->fd);
		return -1;
	}
	return 0;
}

/* ---- bus (hot) reset ------------------------------------------------------ */

int vfio_hot_reset_owned(const struct vfio_pci_hot_reset_info *info, const char *dev_name,
			 struct error *err)
{
	if (vfio_hot_reset_info_check(info, dev_name, err))
		return -1;
	if (!(info->flags & VFIO_UAPI_HOT_RESET_FLAG_DEV_ID))
		return err_setf(err, "%s: hot reset info without device ids on a cdev (flags 0x%x)",
				dev_name, info->flags);
	if (info->flags & VFIO_UAPI_HOT_RESET_FLAG_DEV_ID_OWNED)
		return 0;
	for (uint32_t i = 0; i < info->count; i++) {
		const struct vfio_pci_dependent_device *dd = &info->devices[i];
		if (dd->group_id == UINT32_MAX) /* devid VFIO_PCI_DEVID_NOT_OWNED */
			return err_setf(err, "%s: a bus reset would also reset %04x:%02x:%02x.%u, "
					"which this VM does not own: pass it through as well",
					dev_name, dd->segment, dd->bus, dd->devfn >> 3,
					dd->devfn & 7u);
	}
	return err_setf(err, "%s: a bus reset would hit devices this VM does not own", dev_name);
}

/* The kernel checks ownership through the iommufd: no group fds. */
static int vfio_iommufd_hot_reset(struct vfio_device *d,
				  const struct vfio_pci_hot_reset_info *info,
				  const struct vfio_group *owned, unsigned nr_owned,
				  struct error *err)
{
	(void)owned;
	(void)nr_owned;
	if (vfio_hot_reset_owned(info, d->name, err))
		return -1;
	return vfio_hot_reset(d, NULL, 0, err);
}

/* ---- DMA into the IOAS ------------------------------------------------------ */

static int vfio_ioas_map(struct vfio_container *c, void *vaddr, uint64_t iova, uint64_t size,
			 struct error *err)
{
	struct iommufd_uapi_ioas_map m = {
		.size = sizeof(m), .ioas_id = c->ioas_id,
		.flags = IOMMUFD_UAPI_MAP_FIXED_IOVA | IOMMUFD_UAPI_MAP_READABLE |
			 IOMMUFD_UAPI_MAP_WRITEABLE,
		.user_va = (uintptr_t)vaddr, .length = size, .iova = iova,
	};
	int r = ioctl(c->fd, IOMMUFD_UAPI_IOAS_MAP, &m);
	return vfio_map_result("IOMMU_IOAS_MAP", r, iova, size, err);
}

static int vfio_ioas_unmap(struct vfio_container *c, uint64_t iova, uint64_t size,
			   struct error *err)
{
	struct iommufd_uapi_ioas_unmap u = { .size = sizeof(u), .ioas_id = c->ioas_id,
					     .iova = iova, .length = size };
	int r = ioctl(c->fd, IOMMUFD_UAPI_IOAS_UNMAP, &u);
	return vfio_unmap_result("IOMMU_IOAS_UNMAP", r, iova, size, u.length, err);
}

const struct vfio_iommu_ops vfio_iommu_iommufd_ops = {
	.backend = VFIO_BACKEND_IOMMUFD,
	.open = vfio_iommufd_open,
	.group_attach = vfio_iommufd_group_attach,
	.group_detach = vfio_iommufd_group_detach,
	.device_open = vfio_iommufd_device_open,
	.hot_reset = vfio_iommufd_hot_reset,
	.dma_map = vfio_ioas_map,
	.dma_unmap = vfio_ioas_unmap,
};
