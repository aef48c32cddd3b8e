// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO container back end (<linux/vfio.h>): /dev/vfio/vfio with a type1v2
 * IOMMU; groups (/dev/vfio/N) join it and hand out their devices' fds, and a
 * bus reset proves ownership with the fds of every group it hits. Kept apart
 * from iommufd (iommu_iommufd.c) so that each interface reads on its own;
 * what both share is in core.c (vfio/iommu.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/vfio.h>

#include "vfio/iommu.h"

/* ---- container ----------------------------------------------------------- */

static int vfio_container_check(struct vfio_container *c, struct error *err)
{
	int v = ioctl(c->fd, VFIO_GET_API_VERSION);
	if (v != VFIO_API_VERSION)
		return err_setf(err, "%s/vfio speaks VFIO API %d, passvm needs %d: "
				"the kernel is too new or too old for this passvm",
				VFIO_DEV_DIR, v, VFIO_API_VERSION);
	if (ioctl(c->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return err_setf(err, "%s/vfio offers no type1v2 IOMMU: load vfio_iommu_type1 "
				"(modprobe vfio_iommu_type1) and boot with the IOMMU on "
				"(intel_iommu=on or amd_iommu=on)", VFIO_DEV_DIR);
	return 0;
}

static int vfio_legacy_open(struct vfio_container *c, struct error *err)
{
	c->fd = open(VFIO_DEV_DIR "/vfio", O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return err_setf(err, "cannot open %s/vfio: %s: load vfio-pci (modprobe vfio-pci); "
				"run 'passvm check' to see what the host lacks",
				VFIO_DEV_DIR, strerror(errno));
	if (vfio_container_check(c, err)) {
		vfio_close_fd(&c->fd);
		return -1;
	}
	return 0;
}

/* ---- group --------------------------------------------------------------- */

static int vfio_group_open_fd(struct vfio_group *g, struct error *err)
{
	char path[64];
	snprintf(path, sizeof(path), VFIO_DEV_DIR "/%d", g->id);
	g->fd = open(path, O_RDWR | O_CLOEXEC);
	if (g->fd >= 0)
		return 0;
	int e = errno;
	if (e == ENOENT)
		return err_setf(err, "IOMMU group %d: %s does not exist: its devices are not bound "
				"to vfio-pci (passvm binds them at start; see 'passvm check')",
				g->id, path);
	if (e == EBUSY)
		return err_setf(err, "IOMMU group %d: %s is busy: another process (a VM, QEMU?) "
				"uses this group", g->id, path);
	if (e == EACCES || e == EPERM)
		return err_setf(err, "IOMMU group %d: cannot open %s: %s: run passvm as root or "
				"give your user access to %s", g->id, path, strerror(e), path);
	return err_setf(err, "IOMMU group %d: cannot open %s: %s", g->id, path, strerror(e));
}

static int vfio_group_check_viable(struct vfio_group *g, struct error *err)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	if (ioctl(g->fd, VFIO_GROUP_GET_STATUS, &st) < 0)
		return err_setf(err, "IOMMU group %d: VFIO_GROUP_GET_STATUS: %s", g->id,
				strerror(errno));
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return err_setf(err, "IOMMU group %d is not viable: a device in it is bound to a "
				"host driver; every device of the group must be on vfio-pci (or "
				"unbound): run 'passvm check' to see which", g->id);
	if (st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET)
		return err_setf(err, "IOMMU group %d already belongs to a container", g->id);
	return 0;
}

static int vfio_group_set_container(struct vfio_group *g, struct error *err)
{
	struct vfio_container *c = g->container;
	if (ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd) < 0)
		return err_setf(err, "IOMMU group %d: VFIO_GROUP_SET_CONTAINER: %s", g->id,
				strerror(errno));
	/* The IOMMU type can only be set once a group is in the container. */
	if (c->nr_groups == 0 && ioctl(c->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
		int e = errno;
		ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
		return err_setf(err, "IOMMU group %d: VFIO_SET_IOMMU(type1v2): %s", g->id,
				strerror(e));
	}
	c->nr_groups++;
	return 0;
}

static int vfio_legacy_group_attach(struct vfio_group *g, struct error *err)
{
	if (vfio_group_open_fd(g, err))
		return -1;
	if (vfio_group_check_viable(g, err) || vfio_group_set_container(g, err)) {
		vfio_close_fd(&g->fd);
		return -1;
	}
	return 0;
}

static void vfio_legacy_group_detach(struct vfio_group *g)
{
	if (ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER) == 0 && g->container->nr_groups)
		g->container->nr_groups--;
}

/* ---- device -------------------------------------------------------------- */

static int vfio_legacy_device_open(struct vfio_device *d, struct error *err)
{
	const struct vfio_group *g = d->group;
	d->fd = ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, d->name);
	if (d->fd < 0)
		return err_setf(err, "%s: cannot get it from IOMMU group %d: %s: is it in "
				"that group and bound to vfio-pci? (see 'passvm check')",
				d->name, g->id, strerror(errno));
	return 0;
}

/* ---- bus (hot) reset ------------------------------------------------------ */

static bool vfio_group_in(const int *fds, unsigned n, int fd)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] == fd)
			return true;
	return false;
}

int vfio_hot_reset_groups(const struct vfio_pci_hot_reset_info *info,
			  const struct vfio_group *owned, unsigned nr_owned, int *fds,
			  unsigned *nr_fds, const char *dev_name, struct error *err)
{
	*nr_fds = 0;
	if (vfio_hot_reset_info_check(info, dev_name, err))
		return -1;
	if (info->flags)
		return err_setf(err, "%s: hot reset info in a form passvm does not know "
				"(flags 0x%x)", dev_name, info->flags);
	for (uint32_t i = 0; i < info->count; i++) {
		const struct vfio_pci_dependent_device *dd = &info->devices[i];
		const struct vfio_group *g = NULL;
		for (unsigned j = 0; j < nr_owned && !g; j++)
			if (owned[j].fd >= 0 && owned[j].id == (int)dd->group_id)
				g = &owned[j];
		if (!g)
			return err_setf(err, "%s: a bus reset would also reset %04x:%02x:%02x.%u "
					"(IOMMU group %u), which this VM does not own: pass it "
					"through as well", dev_name, dd->segment, dd->bus,
					dd->devfn >> 3, dd->devfn & 7u, dd->group_id);
		if (!vfio_group_in(fds, *nr_fds, g->fd))
			fds[(*nr_fds)++] = g->fd;
	}
	return 0;
}

/* The kernel allows the reset only with the fd of every group it hits. */
static int vfio_legacy_hot_reset(struct vfio_device *d,
				 const struct vfio_pci_hot_reset_info *info,
				 const struct vfio_group *owned, unsigned nr_owned,
				 struct error *err)
{
	int *fds = calloc(info->count, sizeof(*fds));
	if (!fds)
		return err_setf(err, "out of memory");
	unsigned n = 0;
	int r = vfio_hot_reset_groups(info, owned, nr_owned, fds, &n, d->name, err);
	if (!r)
		r = vfio_hot_reset(d, fds, n, err);
	free(fds);
	return r;
}

/* ---- DMA ----------------------------------------------------------------- */

static int vfio_legacy_dma_map(struct vfio_container *c, void *vaddr, uint64_t iova,
			       uint64_t size, struct error *err)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = size,
	};
	int r = ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &m);
	return vfio_map_result("VFIO_IOMMU_MAP_DMA", r, iova, size, err);
}

static int vfio_legacy_dma_unmap(struct vfio_container *c, uint64_t iova, uint64_t size,
				 struct error *err)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };
	int r = ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u);
	return vfio_unmap_result("VFIO_IOMMU_UNMAP_DMA", r, iova, size, u.size, err);
}

const struct vfio_iommu_ops vfio_iommu_container_ops = {
	.backend = VFIO_BACKEND_CONTAINER,
	.open = vfio_legacy_open,
	.group_attach = vfio_legacy_group_attach,
	.group_detach = vfio_legacy_group_detach,
	.device_open = vfio_legacy_device_open,
	.hot_reset = vfio_legacy_hot_reset,
	.dma_map = vfio_legacy_dma_map,
	.dma_unmap = vfio_legacy_dma_unmap,
};
