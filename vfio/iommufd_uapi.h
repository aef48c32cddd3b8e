/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel interfaces of iommufd (/dev/iommu, Linux 6.2+) and of VFIO's
 * device cdev (/dev/vfio/devices/vfioN, Linux 6.6+) that passvm uses, as the
 * kernel's uAPI documents them (include/uapi/linux/iommufd.h and vfio.h;
 * Documentation/userspace-api/iommufd.rst). Debian 12's linux-libc-dev
 * (6.1) has neither, so the few structures live here under our own names,
 * their layout pinned by static asserts. Every structure starts with its own
 * size, which the kernel checks: adding fields later stays compatible.
 */
#ifndef PASSVM_VFIO_IOMMUFD_UAPI_H
#define PASSVM_VFIO_IOMMUFD_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* ---- /dev/iommu ------------------------------------------------------------ */

#define IOMMUFD_UAPI_TYPE ';'

/* Free an object (here: the IO address space). */
struct iommufd_uapi_destroy {
	uint32_t size;
	uint32_t id;
};
#define IOMMUFD_UAPI_DESTROY _IO(IOMMUFD_UAPI_TYPE, 0x80)

/* A new, empty IO address space (IOAS); its id comes back. */
struct iommufd_uapi_ioas_alloc {
	uint32_t size;
	uint32_t flags;          /* 0 */
	uint32_t out_ioas_id;
};
#define IOMMUFD_UAPI_IOAS_ALLOC _IO(IOMMUFD_UAPI_TYPE, 0x81)

/* Pin [user_va, user_va+length) and map it at iova for every device attached. */
struct iommufd_uapi_ioas_map {
	uint32_t size;
	uint32_t flags;          /* IOMMUFD_UAPI_MAP_* */
	uint32_t ioas_id;
	uint32_t reserved;       /* 0 */
	uint64_t user_va;
	uint64_t length;
	uint64_t iova;           /* in with FIXED_IOVA, else out */
};
#define IOMMUFD_UAPI_MAP_FIXED_IOVA (1u << 0)
#define IOMMUFD_UAPI_MAP_WRITEABLE  (1u << 1)
#define IOMMUFD_UAPI_MAP_READABLE   (1u << 2)
#define IOMMUFD_UAPI_IOAS_MAP _IO(IOMMUFD_UAPI_TYPE, 0x85)

/* Unmap whole mappings inside [iova, iova+length); length: what was unmapped. */
struct iommufd_uapi_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	uint64_t iova;
	uint64_t length;
};
#define IOMMUFD_UAPI_IOAS_UNMAP _IO(IOMMUFD_UAPI_TYPE, 0x86)

/* ---- the VFIO device cdev --------------------------------------------------- */

#define VFIO_UAPI_TYPE ';'
#define VFIO_UAPI_BASE 100

/* Bind the device to an iommufd (first call on a cdev; none other works before). */
struct vfio_uapi_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;          /* 0 */
	int32_t iommufd;
	uint32_t out_devid;
};
#define VFIO_UAPI_DEVICE_BIND_IOMMUFD _IO(VFIO_UAPI_TYPE, VFIO_UAPI_BASE + 18)

/* Attach the bound device to an IOAS (pt_id): its DMA goes through that space. */
struct vfio_uapi_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;          /* 0 */
	uint32_t pt_id;
};
#define VFIO_UAPI_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_UAPI_TYPE, VFIO_UAPI_BASE + 19)

/* VFIO_DEVICE_GET_PCI_HOT_RESET_INFO's flags on a cdev: the affected devices
 * come as device ids, and OWNED says all of them are bound to our iommufd,
 * so VFIO_DEVICE_PCI_HOT_RESET takes an empty group-fd array. */
#define VFIO_UAPI_HOT_RESET_FLAG_DEV_ID       (1u << 0)
#define VFIO_UAPI_HOT_RESET_FLAG_DEV_ID_OWNED (1u << 1)

_Static_assert(sizeof(struct iommufd_uapi_destroy) == 8, "iommu_destroy");
_Static_assert(sizeof(struct iommufd_uapi_ioas_alloc) == 12, "iommu_ioas_alloc");
_Static_assert(sizeof(struct iommufd_uapi_ioas_map) == 40, "iommu_ioas_map");
_Static_assert(offsetof(struct iommufd_uapi_ioas_map, user_va) == 16, "iommu_ioas_map");
_Static_assert(sizeof(struct iommufd_uapi_ioas_unmap) == 24, "iommu_ioas_unmap");
_Static_assert(offsetof(struct iommufd_uapi_ioas_unmap, iova) == 8, "iommu_ioas_unmap");
_Static_assert(sizeof(struct vfio_uapi_bind_iommufd) == 16, "vfio_device_bind_iommufd");
_Static_assert(sizeof(struct vfio_uapi_attach_iommufd_pt) == 12, "vfio_device_attach_iommufd_pt");

#endif
