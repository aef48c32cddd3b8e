/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A host PCI function on the guest's PCI bus through VFIO (the device model;
 * vfio/core.c is the VFIO userspace layer underneath, as in kvmtool's
 * vfio/pci.c vs vfio/core.c).
 *
 * Config space is virtual: every byte is either emulated (read from
 * pci_device.cfg) or the device's (read through the VFIO config region), and
 * written to the device unless it is virtual-only. The kernel's vfio-pci
 * filters config writes once more, so a hostile guest cannot reach what the
 * kernel protects either.
 *   - Header: ids, class, command (mirrored to the device, decode drives our
 *     BAR mappings), BARs (sizes from the VFIO regions, placed in our windows:
 *     64-bit prefetchable BARs of many GiB go to the 64-bit window, see
 *     vmm/layout.c), ROM BAR (the device's ROM region, or the profile's
 *     romfile, served from a copy), interrupt pin/line.
 *   - Capabilities: PM, VPD, vendor-specific and PCIe pass through (a PCIe
 *     endpoint becomes a root-complex integrated endpoint, as our bus has
 *     no root ports: its link registers read 0); MSI is emulated (per-vector
 *     masking is not offered) and MSI-X shares pci_msix.c's table emulation; the
 *     rest are unlinked from the list. Extended: vendor-specific, serial
 *     number, power budgeting and LTR pass; Resizable BAR shows each BAR's
 *     size as set on the host as its only size, read-only (a guest resize
 *     would change the VFIO region under our mapping); the rest (SR-IOV,
 *     ATS/PRI/PASID with no vIOMMU, AER, ACS, ...) are unlinked.
 *   - BARs are mmapped from VFIO and installed as KVM memslots (no exits),
 *     except the pages of the MSI-X table and PBA, which stay trapped.
 *   - Interrupts never take a VMM round trip: VFIO signals eventfds that are
 *     KVM irqfds on GSIs routed to the guest's MSI messages. INTx uses a
 *     resample irqfd whose eventfd is VFIO's unmask eventfd, on the GSI
 *     pci_intx_gsi() gives its slot and pin (the DSDT's _PRT says the same).
 *   - DMA: the owner maps all guest RAM into the container (or the iommufd
 *     IOAS) at IOVA = GPA, and registers the groups (or device cdevs) with
 *     KVM's VFIO device, so KVM handles non-coherent DMA (guest memory
 *     types, WBINVD) for devices that do not snoop the CPU caches.
 *   - Reset (VFIO_DEVICE_RESET) when the device is set up and torn down; a
 *     device without one (no FLR, no PM reset, not alone on its bus) gets
 *     a bus/slot reset instead when every device that hits is this VM's.
 *
 * GPUs:
 *   - NVIDIA: the Windows driver refuses to start (Code 43, drivers before
 *     465) when it sees KVM; vmm/hyperv.h hides KVM's CPUID leaves and sets
 *     the Hyper-V vendor id ([cpu] kvm-hidden, hv-vendor-id);
 *     vfio_pci_gpu_notes() points there when it finds an NVIDIA GPU.
 *   - AMD Polaris/Vega/Navi1x "reset bug": the device does not come back
 *     from a guest without a vendor-specific reset; start-up warns and
 *     points to the vendor-reset module.
 *   - Large BARs: a 64-bit window of up to 256 GiB (the CPU's address width
 *     permitting); Resizable BAR: the size is the host's (firmware setup, or
 *     sysfs resourceN_resize while unbound; `passvm check` says when a BAR
 *     could be larger), and the guest sees that size as fixed.
 */
#ifndef PASSVM_VFIO_PCI_H
#define PASSVM_VFIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vfio/core.h"
#include "vmm/pci.h"

struct vm;
struct vfio_pci_set;

#define VFIO_PCI_MSI_MAX 32
#define VFIO_PCI_AREAS (VFIO_SPARSE_MAX + 4)

/* A piece of a BAR the guest reaches directly (KVM memslot). */
struct vfio_pci_area {
	uint64_t off, size;
	int slot;               /* -1 while not installed */
};

struct vfio_pci_bar {
	struct vfio_pci_dev *dev;
	unsigned idx;
	unsigned nr_areas;      /* 0: every access is trapped (pread/pwrite) */
	struct vfio_pci_area areas[VFIO_PCI_AREAS];
};

struct vfio_pci_msi {
	uint8_t cap;            /* 0: no MSI capability */
	uint8_t len;            /* bytes of the device's capability */
	bool is64;
	unsigned max;           /* vectors offered to the guest */
	bool on;                /* enabled on the device through VFIO */
	unsigned nr;
	int efd[VFIO_PCI_MSI_MAX];
	int gsi[VFIO_PCI_MSI_MAX];
};

struct vfio_pci_dev {
	struct pci_device pci;
	struct vfio_device vdev;     /* owned: closed by vfio_pci_dev_destroy */
	struct vm *vm;
	struct vfio_pci_set *set;    /* the VM's passthrough devices, for a bus reset */
	char name[48];
	uint32_t cfg_size;           /* the device's config space: 256 or 4096 */
	uint8_t emu[PCI_CFG_SIZE];   /* bits read from pci.cfg, not the device */
	uint8_t virt[PCI_CFG_SIZE];  /* nonzero: bytes never written to the device */
	struct vfio_pci_bar bars[PCI_NUM_BARS];
	struct vfio_pci_msi msi;
	struct pci_msix msix;
	bool has_msix, msix_on;
	struct {
		uint8_t pin;            /* 0: not offered */
		int gsi, trigger, unmask;
		bool on;
	} intx;
	struct {
		uint8_t *data;
		uint64_t len, size;     /* bytes of data; BAR size (power of two) */
		uint64_t mapped;        /* guest address or PCI_BAR_UNMAPPED */
	} rom;
};

/*
 * Build the guest's view of an open VFIO device (taken over: closed by
 * destroy, also on failure): reset it, read its config space, define BARs,
 * capabilities, ROM (romfile: NULL for the device's own). Not yet on a bus.
 */
struct vfio_pci_dev *vfio_pci_dev_create(struct vm *vm, struct vfio_device *vdev,
					 const char *romfile, struct error *err);
/* Place it at slot.func (slot < 0: a free slot, func 0), mirror the firmware
 * command register to the device and wire INTx. */
int vfio_pci_dev_register(struct vfio_pci_dev *d, int slot, int func, struct error *err);
/* Off the bus, interrupts off, reset, closed. */
void vfio_pci_dev_destroy(struct vfio_pci_dev *d);

/* Where vfio_pci_gpu_notes() leaves word for the vCPU setup (NVIDIA hook). */
void vfio_pci_gpu_notes(const struct vfio_pci_dev *d);

#endif
