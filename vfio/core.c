// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the VFIO layer does the same way for both IOMMU back ends: choosing
 * one, groups and devices around the back end's steps, region and IRQ
 * info, region access, interrupts, resets and DMA argument checks. The back
 * ends themselves (vfio/iommu.h) are iommu_container.c and iommu_iommufd.c.
 */
#include "vfio/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "vfio/iommu.h"
#include "vmm/memory.h"

void vfio_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- container ----------------------------------------------------------- */

const char *vfio_backend_name(enum vfio_backend b)
{
	return b == VFIO_BACKEND_IOMMUFD ? "iommufd" : b == VFIO_BACKEND_CONTAINER ? "container"
										  : "auto";
}

/* The back end `want` names; "auto" takes iommufd where the host offers it. */
static const struct vfio_iommu_ops *vfio_iommu_choose(enum vfio_backend want)
{
	if (want == VFIO_BACKEND_AUTO)
		want = vfio_iommufd_offered() ? VFIO_BACKEND_IOMMUFD : VFIO_BACKEND_CONTAINER;
	return want == VFIO_BACKEND_IOMMUFD ? &vfio_iommu_iommufd_ops : &vfio_iommu_container_ops;
}

int vfio_container_open(struct vfio_container *c, enum vfio_backend want, const char *sysfs,
			struct error *err)
{
	c->nr_groups = 0;
	c->ioas_id = 0;
	c->sysfs = sysfs;
	c->ops = vfio_iommu_choose(want);
	c->backend = c->ops->backend;
	return c->ops->open(c, err);
}

void vfio_container_close(struct vfio_container *c)
{
	/* Closing the container (or the iommufd, with its IOAS) drops the IOMMU
	 * context and every DMA mapping. */
	vfio_close_fd(&c->fd);
	c->nr_groups = 0;
}

/* ---- group --------------------------------------------------------------- */

int vfio_group_open(struct vfio_group *g, struct vfio_container *c, int id,
		    struct error *err)
{
	g->id = id;
	g->container = c;
	g->fd = -1;
	return c->ops->group_attach(g, err);
}

void vfio_group_close(struct vfio_group *g)
{
	if (g->fd < 0)
		return;
	g->container->ops->group_detach(g);
	vfio_close_fd(&g->fd);
}

/* ---- region info and its capability chain -------------------------------- */

static int vfio_cap_sparse(struct vfio_region *r, const uint8_t *info, size_t argsz,
			   uint32_t off, const char *dev, struct error *err)
{
	struct vfio_region_info_cap_sparse_mmap sp;
	if (off + sizeof(sp) > argsz)
		return err_setf(err, "%s: region %u: sparse-mmap capability truncated", dev,
				r->index);
	memcpy(&sp, info + off, sizeof(sp));
	if (sp.nr_areas > (argsz - off - sizeof(sp)) / sizeof(struct vfio_region_sparse_mmap_area))
		return err_setf(err, "%s: region %u: %u sparse-mmap areas overrun the info",
				dev, r->index, sp.nr_areas);
	if (sp.nr_areas > VFIO_SPARSE_MAX)
		return err_setf(err, "%s: region %u: %u sparse-mmap areas, passvm handles %d",
				dev, r->index, sp.nr_areas, VFIO_SPARSE_MAX);
	for (uint32_t i = 0; i < sp.nr_areas; i++) {
		struct vfio_region_sparse_mmap_area a;
		memcpy(&a, info + off + sizeof(sp) + i * sizeof(a), sizeof(a));
		if (a.offset > r->size || a.size > r->size - a.offset)
			return err_setf(err, "%s: region %u: sparse-mmap area %u (0x%llx+0x%llx) "
					"lies outside the region (0x%llx)", dev, r->index, i,
					(unsigned long long)a.offset, (unsigned long long)a.size,
					(unsigned long long)r->size);
		r->areas[i] = (struct vfio_sparse_area){ a.offset, a.size };
	}
	r->sparse = true;
	r->nr_areas = sp.nr_areas;
	return 0;
}

static int vfio_cap_type(struct vfio_region *r, const uint8_t *info, size_t argsz,
			 uint32_t off, const char *dev, struct error *err)
{
	struct vfio_region_info_cap_type t;
	if (off + sizeof(t) > argsz)
		return err_setf(err, "%s: region %u: type capability truncated", dev, r->index);
	memcpy(&t, info + off, sizeof(t));
	r->has_type = true;
	r->type = t.type;
	r->subtype = t.subtype;
	return 0;
}

static int vfio_cap_one(struct vfio_region *r, const uint8_t *info, size_t argsz,
			uint32_t off, uint16_t id, const char *dev, struct error *err)
{
	switch (id) {
	case VFIO_REGION_INFO_CAP_SPARSE_MMAP:
		return vfio_cap_sparse(r, info, argsz, off, dev, err);
	case VFIO_REGION_INFO_CAP_TYPE:
		return vfio_cap_type(r, info, argsz, off, dev, err);
	case VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
		r->msix_mappable = true;
		return 0;
	default:
		return 0;  /* unknown capabilities are skipped, as the uAPI intends */
	}
}

/*
 * The chain comes from the kernel, but a bad offset would make us read past
 * the buffer: each header must lie inside argsz, after the fixed info, and
 * offsets must grow (the kernel appends), which also rules out loops.
 */
static int vfio_region_parse_caps(struct vfio_region *r, const uint8_t *info, size_t argsz,
				  uint32_t off, const char *dev, struct error *err)
{
	uint32_t min = sizeof(struct vfio_region_info);
	while (off) {
		struct vfio_info_cap_header h;
		if (off < min || off > argsz || argsz - off < sizeof(h))
			return err_setf(err, "%s: region %u: capability at offset %u lies outside "
					"the region info (%zu bytes)", dev, r->index, off, argsz);
		memcpy(&h, info + off, sizeof(h));
		if (vfio_cap_one(r, info, argsz, off, h.id, dev, err))
			return -1;
		min = off + sizeof(h);
		off = h.next;
	}
	return 0;
}

int vfio_region_parse(struct vfio_region *r, const void *info, size_t argsz,
		      const char *dev_name, struct error *err)
{
	struct vfio_region_info ri;
	if (argsz < sizeof(ri))
		return err_setf(err, "%s: region info too short (%zu bytes)", dev_name, argsz);
	memcpy(&ri, info, sizeof(ri));
	memset(r, 0, sizeof(*r));
	r->index = ri.index;
	r->flags = ri.flags;
	r->size = ri.size;
	r->offset = ri.offset;
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_CAPS) || !ri.cap_offset)
		return 0;
	return vfio_region_parse_caps(r, info, argsz, ri.cap_offset, dev_name, err);
}

/* GET_REGION_INFO twice when there are capabilities: argsz says how much room. */
static int vfio_region_query(struct vfio_device *d, uint32_t index, struct error *err)
{
	struct vfio_region_info *ri = calloc(1, sizeof(*ri));
	if (!ri)
		return err_setf(err, "%s: out of memory", d->name);
	ri->argsz = sizeof(*ri);
	ri->index = index;
	int rc = ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, ri);
	if (rc == 0 && ri->argsz > sizeof(*ri)) {
		uint32_t need = ri->argsz;
		struct vfio_region_info *big = realloc(ri, need);
		if (!big) {
			free(ri);
			return err_setf(err, "%s: out of memory", d->name);
		}
		ri = big;
		memset(ri, 0, need);
		ri->argsz = need;
		ri->index = index;
		rc = ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, ri);
	}
	if (rc < 0) {
		int e = errno;
		free(ri);
		/* vfio-pci refuses the VGA region's info for a device that is no VGA. */
		if (index == VFIO_PCI_VGA_REGION_INDEX && e == EINVAL) {
			d->regions[index] = (struct vfio_region){ .index = index };
			return 0;
		}
		return err_setf(err, "%s: VFIO_DEVICE_GET_REGION_INFO(%u): %s", d->name, index,
				strerror(e));
	}
	rc = vfio_region_parse(&d->regions[index], ri, ri->argsz, d->name, err);
	free(ri);
	return rc;
}

/* ---- device -------------------------------------------------------------- */

static int vfio_device_query_info(struct vfio_device *d, struct error *err)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info) < 0)
		return err_setf(err, "%s: VFIO_DEVICE_GET_INFO: %s", d->name, strerror(errno));
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI))
		return err_setf(err, "%s is not a vfio-pci device (flags 0x%x): passvm passes "
				"through PCI devices only", d->name, info.flags);
	if (info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX ||
	    info.num_irqs <= VFIO_PCI_MSIX_IRQ_INDEX)
		return err_setf(err, "%s: vfio-pci reports %u regions and %u IRQ indexes, "
				"fewer than the PCI layout needs", d->name, info.num_regions,
				info.num_irqs);
	d->flags = info.flags;
	d->nr_regions = info.num_regions;
	d->nr_irqs = info.num_irqs;
	return 0;
}

static int vfio_irq_query(struct vfio_device *d, uint32_t index, struct error *err)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };
	d->irqs[index] = (struct vfio_irq){ .index = index };
	if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0) {
		/* The err IRQ exists only for PCIe devices: vfio-pci refuses the others. */
		if (index > VFIO_PCI_MSIX_IRQ_INDEX && errno == EINVAL)
			return 0;
		return err_setf(err, "%s: VFIO_DEVICE_GET_IRQ_INFO(%u): %s", d->name, index,
				strerror(errno));
	}
	d->irqs[index].flags = ii.flags;
	d->irqs[index].count = ii.count;
	return 0;
}

static int vfio_device_query_all(struct vfio_device *d, struct error *err)
{
	if (vfio_device_query_info(d, err))
		return -1;
	d->regions = calloc(d->nr_regions, sizeof(*d->regions));
	d->irqs = calloc(d->nr_irqs, sizeof(*d->irqs));
	if (!d->regions || !d->irqs)
		return err_setf(err, "%s: out of memory", d->name);
	for (uint32_t i = 0; i < d->nr_regions; i++)
		if (vfio_region_query(d, i, err))
			return -1;
	for (uint32_t i = 0; i < d->nr_irqs; i++)
		if (vfio_irq_query(d, i, err))
			return -1;
	return 0;
}

int vfio_device_open(struct vfio_device *d, struct vfio_group *g, const char *name,
		     struct error *err)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;   /* a back end that fails before opening must not close fd 0 */
	d->group = g;
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (g->container->ops->device_open(d, err))
		return -1;
	if (vfio_device_query_all(d, err)) {
		vfio_device_close(d);
		return -1;
	}
	return 0;
}

void vfio_device_close(struct vfio_device *d)
{
	for (uint32_t i = 0; d->regions && i < d->nr_regions; i++)
		vfio_region_munmap(&d->regions[i]);
	free(d->regions);
	free(d->irqs);
	d->regions = NULL;
	d->irqs = NULL;
	d->nr_regions = d->nr_irqs = 0;
	vfio_close_fd(&d->fd);
}

struct vfio_region *vfio_device_region(struct vfio_device *d, uint32_t index)
{
	if (index >= d->nr_regions || !d->regions[index].size)
		return NULL;
	return &d->regions[index];
}

const struct vfio_irq *vfio_device_irq(const struct vfio_device *d, uint32_t index)
{
	return index < d->nr_irqs ? &d->irqs[index] : NULL;
}

int vfio_device_reset(struct vfio_device *d, struct error *err)
{
	if (!(d->flags & VFIO_DEVICE_FLAGS_RESET))
		return 1;
	if (ioctl(d->fd, VFIO_DEVICE_RESET) < 0)
		return err_setf(err, "%s: VFIO_DEVICE_RESET: %s", d->name, strerror(errno));
	return 0;
}

/* ---- bus (hot) reset ------------------------------------------------------ */

/* Devices a bus reset can hit: 256 on a bus; more means a confused answer. */
#define VFIO_HOT_RESET_MAX 256u

int vfio_hot_reset_info_check(const struct vfio_pci_hot_reset_info *info,
			      const char *dev_name, struct error *err)
{
	size_t room = info->argsz < sizeof(*info) ? 0 :
		      (info->argsz - sizeof(*info)) / sizeof(info->devices[0]);
	if (!info->count || info->count > room || info->count > VFIO_HOT_RESET_MAX)
		return err_setf(err, "%s: bogus hot reset info (%u devices)", dev_name, info->count);
	return 0;
}

/* The devices a bus/slot reset of d hits; 1 when the kernel offers none. */
static int vfio_hot_reset_info(struct vfio_device *d, struct vfio_pci_hot_reset_info **out,
			       struct error *err)
{
	struct vfio_pci_hot_reset_info probe = { .argsz = sizeof(probe) };
	*out = NULL;
	if (ioctl(d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &probe) < 0 && errno != ENOSPC) {
		if (errno == ENODEV)
			return 1;
		return err_setf(err, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s", d->name,
				strerror(errno));
	}
	if (!probe.count || probe.count > VFIO_HOT_RESET_MAX)
		return err_setf(err, "%s: bogus hot reset info (%u devices)", d->name, probe.count);
	size_t size = sizeof(probe) + probe.count * sizeof(probe.devices[0]);
	struct vfio_pci_hot_reset_info *info = calloc(1, size);
	if (!info)
		return err_setf(err, "out of memory");
	info->argsz = (uint32_t)size;
	if (ioctl(d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) < 0) {
		free(info);
		return err_setf(err, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s", d->name,
				strerror(errno));
	}
	*out = info;
	return 0;
}

int vfio_hot_reset(struct vfio_device *d, const int *fds, unsigned n, struct error *err)
{
	size_t size = sizeof(struct vfio_pci_hot_reset) + n * sizeof(int32_t);
	struct vfio_pci_hot_reset *hr = calloc(1, size);
	if (!hr)
		return err_setf(err, "out of memory");
	hr->argsz = (uint32_t)size;
	hr->count = n;
	for (unsigned i = 0; i < n; i++)
		hr->group_fds[i] = fds[i];
	int r = ioctl(d->fd, VFIO_DEVICE_PCI_HOT_RESET, hr);
	int e = errno;
	free(hr);
	if (r < 0)
		return err_setf(err, "%s: VFIO_DEVICE_PCI_HOT_RESET: %s", d->name, strerror(e));
	return 0;
}

int vfio_device_bus_reset(struct vfio_device *d, const struct vfio_group *owned,
			  unsigned nr_owned, struct error *err)
{
	struct vfio_pci_hot_reset_info *info;
	int r = vfio_hot_reset_info(d, &info, err);
	if (r)
		return r;
	/* What proves the affected devices ours is the back end's business. */
	r = d->group->container->ops->hot_reset(d, info, owned, nr_owned, err);
	free(info);
	return r;
}

/* ---- region access ------------------------------------------------------- */

static int vfio_region_prot(const struct vfio_region *r)
{
	int prot = 0;
	if (r->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (r->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	return prot;
}

static int vfio_region_map_at(struct vfio_device *d, struct vfio_region *r, uint8_t *base,
			      uint64_t off, uint64_t size, struct error *err)
{
	void *p = mmap(base + off, size, vfio_region_prot(r), MAP_SHARED | MAP_FIXED, d->fd,
		       (off_t)(r->offset + off));
	if (p == MAP_FAILED)
		return err_setf(err, "%s: mmap of region %u (0x%llx+0x%llx): %s", d->name,
				r->index, (unsigned long long)off, (unsigned long long)size,
				strerror(errno));
	return 0;
}

int vfio_region_mmap(struct vfio_device *d, uint32_t index, struct error *err)
{
	struct vfio_region *r = vfio_device_region(d, index);
	if (!r)
		return err_setf(err, "%s has no region %u", d->name, index);
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return err_setf(err, "%s: region %u cannot be mmap'd", d->name, index);
	if (r->map)
		return 0;
	/* Reserve the whole size first so sparse areas keep their offsets. */
	uint8_t *base = mmap(NULL, r->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return err_setf(err, "%s: region %u: cannot reserve 0x%llx bytes: %s", d->name,
				index, (unsigned long long)r->size, strerror(errno));
	int rc = 0;
	if (!r->sparse)
		rc = vfio_region_map_at(d, r, base, 0, r->size, err);
	for (unsigned i = 0; r->sparse && !rc && i < r->nr_areas; i++)
		if (r->areas[i].size)
			rc = vfio_region_map_at(d, r, base, r->areas[i].offset, r->areas[i].size,
						err);
	if (rc) {
		munmap(base, r->size);
		return -1;
	}
	r->map = base;
	return 0;
}

void vfio_region_munmap(struct vfio_region *r)
{
	if (r->map)
		munmap(r->map, r->size);
	r->map = NULL;
}

bool vfio_region_mapped(const struct vfio_region *r, uint64_t off, uint64_t len)
{
	if (!r->map || off > r->size || len > r->size - off)
		return false;
	if (!r->sparse)
		return true;
	for (unsigned i = 0; i < r->nr_areas; i++) {
		const struct vfio_sparse_area *a = &r->areas[i];
		if (off >= a->offset && off - a->offset <= a->size && len <= a->size - (off - a->offset))
			return true;
	}
	return false;
}

static int vfio_region_check_range(struct vfio_device *d, uint32_t index, uint64_t off,
				   size_t len, uint32_t need, struct error *err)
{
	struct vfio_region *r = vfio_device_region(d, index);
	if (!r)
		return err_setf(err, "%s has no region %u", d->name, index);
	if (off > r->size || len > r->size - off)
		return err_setf(err, "%s: region %u: access 0x%llx+%zu beyond its size 0x%llx",
				d->name, index, (unsigned long long)off, len,
				(unsigned long long)r->size);
	if (!(r->flags & need))
		return err_setf(err, "%s: region %u is not %s", d->name, index,
				need == VFIO_REGION_INFO_FLAG_READ ? "readable" : "writable");
	return 0;
}

int vfio_region_read(struct vfio_device *d, uint32_t index, uint64_t off, void *buf,
		     size_t len, struct error *err)
{
	if (vfio_region_check_range(d, index, off, len, VFIO_REGION_INFO_FLAG_READ, err))
		return -1;
	ssize_t n = pread(d->fd, buf, len, (off_t)(d->regions[index].offset + off));
	if (n != (ssize_t)len)
		return err_setf(err, "%s: read of region %u at 0x%llx (%zu bytes): %s", d->name,
				index, (unsigned long long)off, len,
				n < 0 ? strerror(errno) : "short read");
	return 0;
}

int vfio_region_write(struct vfio_device *d, uint32_t index, uint64_t off,
		      const void *buf, size_t len, struct error *err)
{
	if (vfio_region_check_range(d, index, off, len, VFIO_REGION_INFO_FLAG_WRITE, err))
		return -1;
	ssize_t n = pwrite(d->fd, buf, len, (off_t)(d->regions[index].offset + off));
	if (n != (ssize_t)len)
		return err_setf(err, "%s: write of region %u at 0x%llx (%zu bytes): %s", d->name,
				index, (unsigned long long)off, len,
				n < 0 ? strerror(errno) : "short write");
	return 0;
}

int vfio_config_read(struct vfio_device *d, uint32_t off, void *buf, size_t len,
		     struct error *err)
{
	return vfio_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len, err);
}

int vfio_config_write(struct vfio_device *d, uint32_t off, const void *buf, size_t len,
		      struct error *err)
{
	return vfio_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len, err);
}

/* ---- interrupts ---------------------------------------------------------- */

static const char *vfio_irq_name(uint32_t index)
{
	static const char *const names[] = { "INTx", "MSI", "MSI-X", "err", "req" };
	return index < ARRAY_SIZE(names) ? names[index] : "IRQ";
}

static int vfio_irq_set(struct vfio_device *d, uint32_t index, uint32_t flags,
			uint32_t start, uint32_t n, const int32_t *fds, struct error *err)
{
	size_t data = fds ? n * sizeof(int32_t) : 0;
	struct vfio_irq_set *s = calloc(1, sizeof(*s) + data);
	if (!s)
		return err_setf(err, "%s: out of memory", d->name);
	*s = (struct vfio_irq_set){ .argsz = (uint32_t)(sizeof(*s) + data), .flags = flags,
				    .index = index, .start = start, .count = n };
	if (data)
		memcpy(s->data, fds, data);
	int rc = ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s);
	int e = errno;
	free(s);
	if (rc < 0)
		return err_setf(err, "%s: VFIO_DEVICE_SET_IRQS(%s, vectors %u+%u, flags 0x%x): %s",
				d->name, vfio_irq_name(index), start, n, flags, strerror(e));
	return 0;
}

int vfio_irq_set_eventfds(struct vfio_device *d, uint32_t index, uint32_t start,
			  uint32_t n, const int *fds, struct error *err)
{
	const struct vfio_irq *irq = vfio_device_irq(d, index);
	if (!irq || !irq->count)
		return err_setf(err, "%s has no %s interrupt", d->name, vfio_irq_name(index));
	if (!n || start > irq->count || n > irq->count - start)
		return err_setf(err, "%s: %s vectors %u+%u out of range (the device has %u)",
				d->name, vfio_irq_name(index), start, n, irq->count);
	int32_t *v = calloc(n, sizeof(*v));
	if (!v)
		return err_setf(err, "%s: out of memory", d->name);
	for (uint32_t i = 0; i < n; i++)
		v[i] = fds[i];
	int rc = vfio_irq_set(d, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			      start, n, v, err);
	free(v);
	return rc;
}

int vfio_irq_disable(struct vfio_device *d, uint32_t index, struct error *err)
{
	return vfio_irq_set(d, index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0,
			    NULL, err);
}

int vfio_msi_enable(struct vfio_device *d, const int *fds, uint32_t n, struct error *err)
{
	return vfio_irq_set_eventfds(d, VFIO_PCI_MSI_IRQ_INDEX, 0, n, fds, err);
}

int vfio_msix_enable(struct vfio_device *d, const int *fds, uint32_t n, struct error *err)
{
	return vfio_irq_set_eventfds(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, n, fds, err);
}

int vfio_intx_enable(struct vfio_device *d, int trigger_fd, int unmask_fd, struct error *err)
{
	if (vfio_irq_set_eventfds(d, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &trigger_fd, err))
		return -1;
	if (unmask_fd < 0)
		return 0;
	int32_t fd = unmask_fd;
	if (vfio_irq_set(d, VFIO_PCI_INTX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, &fd, err)) {
		struct error ignored;
		vfio_irq_disable(d, VFIO_PCI_INTX_IRQ_INDEX, &ignored);
		return -1;
	}
	return 0;
}

int vfio_intx_unmask(struct vfio_device *d, struct error *err)
{
	return vfio_irq_set(d, VFIO_PCI_INTX_IRQ_INDEX,
			    VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL, err);
}

/* ---- DMA ----------------------------------------------------------------- */

static int vfio_dma_check(uint64_t vaddr, uint64_t iova, uint64_t size, struct error *err)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (!size || (vaddr | iova | size) & (page - 1))
		return err_setf(err, "DMA mapping 0x%llx+0x%llx (host 0x%llx) is empty or not "
				"page-aligned", (unsigned long long)iova, (unsigned long long)size,
				(unsigned long long)vaddr);
	if (iova + size < iova)
		return err_setf(err, "DMA mapping 0x%llx+0x%llx wraps around",
				(unsigned long long)iova, (unsigned long long)size);
	return 0;
}

int vfio_map_result(const char *what, int r, uint64_t iova, uint64_t size, struct error *err)
{
	if (r == 0)
		return 0;
	int e = errno;
	return err_setf(err, "%s at IOVA 0x%llx (0x%llx bytes): %s%s", what,
			(unsigned long long)iova, (unsigned long long)size, strerror(e),
			e == ENOMEM ? ": the pages are pinned and count against the locked "
				      "memory limit: raise it (ulimit -l, LimitMEMLOCK=) to the "
				      "guest's RAM size or run as root"
			: e == EEXIST ? ": it overlaps an existing mapping" : "");
}

int vfio_unmap_result(const char *what, int r, uint64_t iova, uint64_t size, uint64_t done,
		      struct error *err)
{
	if (r < 0)
		return err_setf(err, "%s at IOVA 0x%llx (0x%llx bytes): %s", what,
				(unsigned long long)iova, (unsigned long long)size,
				strerror(errno));
	if (done != size)
		return err_setf(err, "%s at IOVA 0x%llx unmapped 0x%llx bytes, not 0x%llx", what,
				(unsigned long long)iova, (unsigned long long)done,
				(unsigned long long)size);
	return 0;
}

int vfio_dma_map(struct vfio_container *c, void *vaddr, uint64_t iova, uint64_t size,
		 struct error *err)
{
	if (vfio_dma_check((uintptr_t)vaddr, iova, size, err))
		return -1;
	return c->ops->dma_map(c, vaddr, iova, size, err);
}

int vfio_dma_unmap(struct vfio_container *c, uint64_t iova, uint64_t size, struct error *err)
{
	return c->ops->dma_unmap(c, iova, size, err);
}

int vfio_dma_map_gmem(struct vfio_container *c, const struct gmem *m, struct error *err)
{
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];
		if (vfio_dma_map(c, r->host, r->gpa, r->size, err)) {
			for (unsigned j = 0; j < i; j++) {
				struct error ignored;
				vfio_dma_unmap(c, m->regions[j].gpa, m->regions[j].size, &ignored);
			}
			return err_prefix(err, "guest RAM region %u", i);
		}
	}
	return 0;
}
