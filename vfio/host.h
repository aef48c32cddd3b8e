/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host's PCI/IOMMU view, read from sysfs: what passthrough must know about
 * a host device before touching it. Read-only: nothing here binds, unbinds or
 * resets; the bind/restore plans of VFIO start-up build on these structs.
 *
 * Every path is under a caller-given sysfs root ("/sys", or a fake tree in the
 * tests through PASSVM_SYSFS_ROOT / vm_config.sysfs_root):
 *   <root>/bus/pci/devices/DDDD:BB:SS.F/   vendor device class config driver
 *       driver_override iommu_group boot_vga reset_method reset
 *   <root>/kernel/iommu_groups/N/devices/DDDD:BB:SS.F
 *   <root>/class/iommu/<unit>
 * Sysfs changes under us (hot unplug, a driver unbinding): a device that
 * vanishes between two reads is reported as missing, never trusted half-read.
 * Nothing here keeps state between calls and nothing prints.
 */
#ifndef PASSVM_VFIO_HOST_H
#define PASSVM_VFIO_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "vfio/pci_addr.h" /* struct vfio_host_addr: callers get it through here too */

/* Can the device be reset on its own (VFIO_DEVICE_RESET at VM start/stop)? */
enum vfio_host_reset {
	VFIO_HOST_RESET_NONE,     /* neither reset_method nor reset: no way to reset */
	VFIO_HOST_RESET_METHODS,  /* reset_method lists them ("flr bus", ...) */
	VFIO_HOST_RESET_UNKNOWN,  /* kernel before 5.15: `reset` exists, methods unknown */
};

#define VFIO_HOST_NAME_LEN 64
#define VFIO_HOST_HEADER_UNKNOWN 0xff

/* One host PCI function as sysfs shows it now. */
struct vfio_host_device {
	struct vfio_host_addr addr;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;   /* 0 when sysfs has none */
	uint32_t class_code;     /* 24 bits: class, subclass, prog-if (0x030000: VGA) */
	uint8_t header_type;     /* config 0x0e without the multifunction bit */
	char driver[VFIO_HOST_NAME_LEN];          /* "" when unbound */
	char driver_override[VFIO_HOST_NAME_LEN]; /* "" when not set */
	int iommu_group;         /* -1: in no group (no IOMMU) */
	bool boot_vga;           /* the GPU the firmware's console ran on */
	enum vfio_host_reset reset;
	char reset_methods[VFIO_HOST_NAME_LEN];   /* reset_method's text, or "" */
};

/* A BAR the device can resize (its Resizable BAR capability, as sysfs shows
 * it in resourceN_resize from Linux 6.1; older kernels show none). */
struct vfio_host_rebar {
	unsigned bar;
	uint64_t size;    /* its size now, from `resource` (0: not assigned) */
	uint64_t sizes;   /* bit n: 2^n MiB is possible */
};

/* The device's resizable BARs in out[]; how many (0: none or not shown). */
unsigned vfio_host_rebar_read(const char *sysfs, const struct vfio_host_addr *a,
			      struct vfio_host_rebar out[6]);

/* Read one function; fails naming the address when it does not exist. */
int vfio_host_device_read(const char *sysfs, const struct vfio_host_addr *a,
			  struct vfio_host_device *d, struct error *err);
bool vfio_host_device_exists(const char *sysfs, const struct vfio_host_addr *a);

bool vfio_host_is_gpu(const struct vfio_host_device *d);        /* class 03xx */
bool vfio_host_is_bridge(const struct vfio_host_device *d);     /* header 1/2, class 0604 */
/* The functions that ride along with a GPU: HDMI audio, USB-C (xHCI, UCSI). */
bool vfio_host_is_gpu_companion(const struct vfio_host_device *d);
/* A host graphics driver (nvidia, amdgpu, i915...): unbinding it has consequences. */
bool vfio_host_is_gpu_driver(const char *driver);
/* vfio-pci or a vendor variant of it (mlx5_vfio_pci...). */
bool vfio_host_is_vfio_driver(const char *driver);
/*
 * The AMD GPU families with the "reset bug" (they do not come back from a
 * guest without a vendor-specific reset): the family name, or NULL.
 */
const char *vfio_host_amd_reset_bug(const struct vfio_host_device *d);

/*
 * Every PCI function of the host, sorted by address, in *out (malloc'd; the
 * caller frees it). Fails when <root>/bus/pci/devices cannot be listed.
 */
int vfio_host_scan(const char *sysfs, struct vfio_host_addr **out, unsigned *n,
		   struct error *err);
/* The functions present in a's slot (a->func ignored), sorted; fails when none. */
int vfio_host_slot_functions(const char *sysfs, const struct vfio_host_addr *a,
			     struct vfio_host_addr out[8], unsigned *n, struct error *err);

#define VFIO_HOST_GROUP_MAX 64

/* An IOMMU group: the smallest set of devices the IOMMU can isolate. */
struct vfio_host_group {
	int id;
	unsigned n;
	struct vfio_host_device members[VFIO_HOST_GROUP_MAX];  /* sorted by address */
};

int vfio_host_group_read(const char *sysfs, int id, struct vfio_host_group *g,
			 struct error *err);

/* How one member stands with respect to using its group through VFIO. */
enum vfio_member_state {
	VFIO_MEMBER_PASSED,    /* listed for passthrough: bound to vfio-pci at start */
	VFIO_MEMBER_VFIO,      /* already bound to vfio-pci */
	VFIO_MEMBER_STUB,      /* bound to pci-stub */
	VFIO_MEMBER_UNBOUND,   /* no driver */
	VFIO_MEMBER_BRIDGE,    /* a bridge: VFIO ignores its driver */
	VFIO_MEMBER_BLOCKS,    /* a host driver holds it: the group is not viable */
};

/*
 * The kernel's viability rule (vfio_dev_viable()): a group can be opened only
 * when every member is bound to a vfio driver or pci-stub, is unbound, or is
 * a bridge. `passed` lists the functions passvm will bind to vfio-pci itself,
 * so their current drivers do not count; NULL/0 applies the plain rule.
 */
enum vfio_member_state vfio_group_member_state(const struct vfio_host_device *m,
					       const struct vfio_host_addr *passed,
					       unsigned n_passed);
/* True when no member blocks; offenders[] gets the blocking members' indices. */
bool vfio_group_viable(const struct vfio_host_group *g, const struct vfio_host_addr *passed,
		       unsigned n_passed, unsigned offenders[VFIO_HOST_GROUP_MAX],
		       unsigned *n_offenders);

/* IOMMU units in <root>/class/iommu ("dmar0 dmar1"); their count, 0 when none. */
unsigned vfio_host_iommu_units(const char *sysfs, char *names, size_t len);
/* Number of IOMMU groups, 0 when none (or no IOMMU at all). */
unsigned vfio_host_iommu_group_count(const char *sysfs);

#endif
