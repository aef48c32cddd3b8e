/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO userspace layer (kernel: Documentation/driver-api/vfio.rst): an
 * IOMMU context holds the DMA mappings, devices join it, and a device offers
 * regions (BARs, ROM, config space, VGA) and interrupts (INTx, MSI, MSI-X,
 * err, req).  This is kvmtool's vfio/core split: nothing here knows about the
 * guest's PCI bus; the device model builds on it.
 *
 * Two kernel interfaces give the IOMMU context (struct vfio_container):
 *   - the container/group interface of <linux/vfio.h>: /dev/vfio/vfio with
 *     a type1v2 IOMMU, groups (/dev/vfio/N) join it, devices come out of
 *     their group;
 *   - iommufd (Linux 6.2+; Documentation/userspace-api/iommufd.rst):
 *     /dev/iommu with one IO address space (IOAS), each device opened as its
 *     own cdev (/dev/vfio/devices/vfioN, Linux 6.6+, CONFIG_VFIO_DEVICE_CDEV),
 *     bound to the iommufd and attached to the IOAS. Groups are then only
 *     bookkeeping (their fd stays -1): the kernel checks a group's other
 *     members when a device attaches.
 * Everything after opening a device is the same for both. Each lives in its
 * own file (vfio/iommu_container.c, vfio/iommu_iommufd.c) behind the table of
 * vfio/iommu.h, chosen once when the context opens.
 *
 * Lifetime: container -> group(s) -> device(s); close in the reverse order
 * (a group cannot leave its container while one of its devices is open).
 * Every failing call leaves its object closed (fd -1), so callers only close
 * what opened successfully. Nothing prints; errors name the device or group
 * and, where there is one, the fix.
 */
#ifndef PASSVM_VFIO_CORE_H
#define PASSVM_VFIO_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "vfio/options.h" /* enum vfio_backend */

struct gmem;
struct vfio_iommu_ops;

#define VFIO_DEV_DIR "/dev/vfio"

struct vfio_container {
	int fd;                  /* /dev/vfio/vfio, or /dev/iommu */
	enum vfio_backend backend;   /* CONTAINER or IOMMUFD once open */
	const struct vfio_iommu_ops *ops;  /* that back end's steps (vfio/iommu.h) */
	uint32_t ioas_id;        /* iommufd: the IO address space devices attach to */
	const char *sysfs;       /* "/sys" (a fake tree in tests): finds device cdevs */
	unsigned nr_groups;      /* VFIO_SET_IOMMU is done once, with the first group */
};

struct vfio_group {
	int fd;
	int id;
	struct vfio_container *container;
};

#define VFIO_SPARSE_MAX 16

struct vfio_sparse_area {
	uint64_t offset, size;   /* within the region */
};

struct vfio_region {
	uint32_t index;
	uint32_t flags;          /* VFIO_REGION_INFO_FLAG_* */
	uint64_t size;
	uint64_t offset;         /* of the region in the device fd */
	/* Capabilities (VFIO_REGION_INFO_CAP_*) */
	bool sparse;             /* only areas[] may be mmap'd (e.g. around an MSI-X table) */
	unsigned nr_areas;
	struct vfio_sparse_area areas[VFIO_SPARSE_MAX];
	bool msix_mappable;      /* the MSI-X table may be mmap'd too (kernel >= 4.16) */
	bool has_type;
	uint32_t type, subtype;  /* device-specific regions (IGD OpRegion, EDID...) */
	/* vfio_region_mmap() */
	uint8_t *map;            /* whole region's size reserved; NULL when not mapped */
};

struct vfio_irq {
	uint32_t index;
	uint32_t flags;          /* VFIO_IRQ_INFO_* */
	uint32_t count;          /* 0: the device has no such interrupt */
};

struct vfio_device {
	int fd;
	char name[32];           /* "0000:01:00.0": for messages and GET_DEVICE_FD */
	struct vfio_group *group;
	uint32_t flags;          /* VFIO_DEVICE_FLAGS_* */
	uint32_t nr_regions, nr_irqs;
	struct vfio_region *regions;  /* [nr_regions] */
	struct vfio_irq *irqs;        /* [nr_irqs] */
};

/*
 * The IOMMU context: with VFIO_BACKEND_CONTAINER /dev/vfio/vfio (API version
 * and type1v2 checked), with VFIO_BACKEND_IOMMUFD /dev/iommu and a new IOAS;
 * VFIO_BACKEND_AUTO takes iommufd when /dev/iommu and /dev/vfio/devices
 * exist. `sysfs` must outlive c.
 */
int vfio_container_open(struct vfio_container *c, enum vfio_backend want, const char *sysfs,
			struct error *err);
void vfio_container_close(struct vfio_container *c);
/* "container" / "iommufd" / "auto": for messages. */
const char *vfio_backend_name(enum vfio_backend b);

/*
 * /dev/vfio/<id>: checks the group is viable (every member bound to a vfio
 * driver, pci-stub or nothing), joins the container, sets its IOMMU (first
 * group only). With iommufd it only records the id (no fd).
 */
int vfio_group_open(struct vfio_group *g, struct vfio_container *c, int id,
		    struct error *err);
void vfio_group_close(struct vfio_group *g);

/*
 * The device `name` ("0000:01:00.0") of group g: its info, every region's
 * info (with capabilities) and every IRQ index's info. Must be a vfio-pci
 * device. With iommufd: its cdev (<sysfs>/bus/pci/devices/NAME/vfio-dev/
 * vfioN -> /dev/vfio/devices/vfioN), bound to the iommufd and attached to
 * the IOAS first.
 */
int vfio_device_open(struct vfio_device *d, struct vfio_group *g, const char *name,
		     struct error *err);
void vfio_device_close(struct vfio_device *d);   /* also unmaps regions */

/*
 * Parse a VFIO_DEVICE_GET_REGION_INFO answer (`info`, argsz bytes) into r.
 * Exposed for the tests: a malformed capability chain (an offset outside
 * argsz, a loop, sparse areas outside the region) is an error.
 */
int vfio_region_parse(struct vfio_region *r, const void *info, size_t argsz,
		      const char *dev_name, struct error *err);

/* A region by index; NULL when the device has no such region (or size 0). */
struct vfio_region *vfio_device_region(struct vfio_device *d, uint32_t index);

/*
 * mmap a region (VFIO_REGION_INFO_FLAG_MMAP): all of it, or with a sparse
 * capability only its areas inside a PROT_NONE reservation of its full size,
 * so r->map + off is valid wherever vfio_region_mapped() says so.
 */
int vfio_region_mmap(struct vfio_device *d, uint32_t index, struct error *err);
void vfio_region_munmap(struct vfio_region *r);
/* Is [off, off+len) of r inside its mmap'd part? */
bool vfio_region_mapped(const struct vfio_region *r, uint64_t off, uint64_t len);

/* pread/pwrite of a region (trapped access: config space, non-mmap'd parts). */
int vfio_region_read(struct vfio_device *d, uint32_t index, uint64_t off, void *buf,
		     size_t len, struct error *err);
int vfio_region_write(struct vfio_device *d, uint32_t index, uint64_t off,
		      const void *buf, size_t len, struct error *err);

/* PCI config space through the config region (values little-endian, as PCI). */
int vfio_config_read(struct vfio_device *d, uint32_t off, void *buf, size_t len,
		     struct error *err);
int vfio_config_write(struct vfio_device *d, uint32_t off, const void *buf, size_t len,
		      struct error *err);

/* An IRQ index (VFIO_PCI_*_IRQ_INDEX); NULL when out of range. */
const struct vfio_irq *vfio_device_irq(const struct vfio_device *d, uint32_t index);

/*
 * Route vectors [start, start+n) of an IRQ index to eventfds (ACTION_TRIGGER;
 * an fd of -1 leaves that vector unassigned). For MSI/MSI-X this also enables
 * the capability on the device with that many vectors.
 */
int vfio_irq_set_eventfds(struct vfio_device *d, uint32_t index, uint32_t start,
			  uint32_t n, const int *fds, struct error *err);
/* Disable a whole IRQ index (DATA_NONE | ACTION_TRIGGER, count 0). */
int vfio_irq_disable(struct vfio_device *d, uint32_t index, struct error *err);
int vfio_msi_enable(struct vfio_device *d, const int *fds, uint32_t n, struct error *err);
int vfio_msix_enable(struct vfio_device *d, const int *fds, uint32_t n, struct error *err);
/*
 * INTx: `trigger_fd` is signalled on an interrupt (the kernel then masks the
 * line: INTx is level-triggered); writing `unmask_fd` unmasks it again (KVM
 * resample irqfd writes it on the guest's EOI). unmask_fd may be -1.
 */
int vfio_intx_enable(struct vfio_device *d, int trigger_fd, int unmask_fd, struct error *err);
/* Unmask INTx now (DATA_NONE | ACTION_UNMASK): when not using an unmask eventfd. */
int vfio_intx_unmask(struct vfio_device *d, struct error *err);

/*
 * Reset the device (VFIO_DEVICE_RESET: FLR, PM or bus reset, as the kernel
 * picks). Returns 1 without doing anything when the device offers no reset.
 */
int vfio_device_reset(struct vfio_device *d, struct error *err);

/*
 * Bus (or slot) reset, for a device without a reset of its own: the kernel
 * offers it when the bus can be reset, and allows it only with the fds of
 * every group whose devices it hits, so only when all of those are `owned`
 * (ours); with iommufd, when every device it hits is bound to our iommufd
 * (the kernel says so; `owned` is not needed). Returns 1 without doing
 * anything when the kernel offers no bus or slot reset for d (ENODEV), -1
 * when it is refused or fails (err names an affected device that is not ours).
 */
int vfio_device_bus_reset(struct vfio_device *d, const struct vfio_group *owned,
			  unsigned nr_owned, struct error *err);
/*
 * The decision, exposed for the tests: which of `owned`'s group fds the hot
 * reset `info` (a VFIO_DEVICE_GET_PCI_HOT_RESET_INFO answer; its count is
 * checked against its argsz) needs, each once, in fds[] (room for
 * info->count); -1 when an affected device is in a group not owned.
 */
struct vfio_pci_hot_reset_info;
int vfio_hot_reset_groups(const struct vfio_pci_hot_reset_info *info,
			  const struct vfio_group *owned, unsigned nr_owned, int *fds,
			  unsigned *nr_fds, const char *dev_name, struct error *err);

/*
 * The decision on a cdev (iommufd): 0 when the kernel says every device the
 * reset hits is bound to our iommufd, else -1 naming one that is not (a
 * devid of VFIO_PCI_DEVID_NOT_OWNED). Exposed for the tests.
 */
int vfio_hot_reset_owned(const struct vfio_pci_hot_reset_info *info, const char *dev_name,
			 struct error *err);

/* DMA: [vaddr, vaddr+size) of this process readable/writable by devices at iova. */
int vfio_dma_map(struct vfio_container *c, void *vaddr, uint64_t iova, uint64_t size,
		 struct error *err);
int vfio_dma_unmap(struct vfio_container *c, uint64_t iova, uint64_t size, struct error *err);
/* Map every guest RAM region at IOVA = guest-physical address. */
int vfio_dma_map_gmem(struct vfio_container *c, const struct gmem *m, struct error *err);

#endif
