/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI: one root bus (bus 0, q35-like host bridge at 00:00.0) reached through
 * ports 0xCF8/0xCFC and the ECAM window at LAYOUT_ECAM_BASE.
 *
 * The contract for a PCI device (virtio, vfio, ivshmem, ...):
 *  1. Embed a `struct pci_device`, pci_device_init() it (ids, class), define
 *     BARs with pci_device_set_bar(), add capabilities (pci_add_capability()
 *     returns the offset; fill it with pci_cfg_set*() and make guest-writable
 *     bits writable with pci_cfg_set_wmask*()), optionally pci_msix_init().
 *  2. pci_device_register() places it at slot.function. The VMM acts as
 *     firmware: BARs get naturally aligned addresses (I/O window, 32-bit
 *     window, 64-bit prefetchable BARs in the 64-bit window), decode is
 *     turned on and the BARs are mapped. The config space at that moment is
 *     the power-on state that pci_device_reset() restores.
 *  3. BAR accesses reach bar->ops (offset relative to the BAR); the MSI-X
 *     table/PBA inside a BAR are handled here before the device sees them.
 *     ops->bar_map/bar_unmap tell the device where a BAR lives now (ioeventfd
 *     addresses, KVM memslots for VFIO). Every BAR is also claimed on the
 *     bus, so overlapping guest programming is refused (logged at debug), as
 *     are BARs over RAM, at 0, past the address limit, or in 0xFEC00000-4G.
 *  4. ops->cfg_read/cfg_write may override config space (passthrough);
 *     ops->cfg_written runs after an emulated write took effect.
 *  5. Interrupts: MSI-X (pci_msix_notify(), or eventfds signalled from
 *     outside: pci_msix.external); INTx is not wired by the bus (pin 0), a
 *     passthrough device wires its own (vfio/pci.c) to pci_intx_gsi().
 *  6. A guest reboot re-creates the whole VM (vm.h), so there is no bus
 *     reset; pci_device_reset() (power-on config, BARs remapped, MSI-X
 *     cleared, then ops->reset) is there for function-level reset.
 *  7. Devices are registered before vCPUs start and stay allocated until
 *     vm_destroy(); pci_device_unregister() is for teardown only.
 *
 * Locking (outermost first): pci_device.lock (config space, BAR state) ->
 * device-private locks (virtqueue locks) -> pci_msix.lock (a leaf, apart
 * from vm->irq_lock inside vm_msi_route_*) . The bus' table of functions
 * is fixed after boot; bus->lock guards only registration and allocation.
 * Callbacks in pci_device_ops run with pci_device.lock held and must not
 * take it again; bus_register/unregister are called with it held (the bus
 * never calls handlers under its own lock, so this cannot deadlock).
 */
#ifndef PASSVM_PCI_H
#define PASSVM_PCI_H

#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/bus.h"

struct vm;
struct pci_bus;
struct pci_device;

#define PCI_CFG_SIZE        4096u
#define PCI_CFG_LEGACY_SIZE 256u
#define PCI_NUM_BARS        PCI_STD_NUM_BARS
#define PCI_MAX_SLOTS       32
#define PCI_MAX_FUNCS       8
#define PCI_BAR_UNMAPPED    UINT64_MAX

#define PCI_HOST_VENDOR 0x8086
#define PCI_HOST_DEVICE 0x29c0 /* q35 MCH */

/*
 * INTx routing, decided here only: pin 1-4 (INTA-INTD) of a device in `slot`
 * raises IOAPIC GSI pci_intx_gsi(slot, pin), level-triggered. The DSDT's
 * _PRT (boot/acpi.c) says the same to guests, the interrupt line register
 * to those without ACPI. GSIs 16-23: IOAPIC pins above the ISA range, so no
 * PIC and no ISA device shares them; swizzled by slot, as behind a PCI
 * bridge, so that neighbouring slots' INTA do not share a line.
 */
#define PCI_INTX_GSI_BASE 16u
#define PCI_INTX_NR_GSIS  8u
#define PCI_INTX_PINS     4u
_Static_assert(PCI_INTX_GSI_BASE + PCI_INTX_NR_GSIS <= 24, "KVM's IOAPIC has 24 pins");

static inline unsigned pci_intx_gsi(unsigned slot, unsigned pin)
{
	return PCI_INTX_GSI_BASE + (slot + pin - 1u) % PCI_INTX_NR_GSIS;
}

/* BAR kinds (flags for pci_device_set_bar). */
enum {
	PCI_BAR_IO = 1u << 0,
	PCI_BAR_MEM32 = 1u << 1,
	PCI_BAR_MEM64 = 1u << 2,    /* occupies this BAR and the next */
	PCI_BAR_PREFETCH = 1u << 3, /* with MEM64: placed in the 64-bit window */
};

struct pci_bar {
	struct pci_device *dev;
	unsigned idx;
	uint64_t size;              /* 0: BAR not implemented */
	uint32_t flags;
	const struct bus_ops *ops;  /* emulated accesses; NULL: reads ~0, writes dropped */
	void *opaque;
	uint64_t mapped_addr;       /* PCI_BAR_UNMAPPED when not decoded */
};

struct pci_device_ops {
	/* Config-space overrides (passthrough). Called with dev->lock held,
	 * off+len within one dword. cfg_read may change *val (already holds the
	 * emulated value). cfg_write returns true when it consumed the write,
	 * false to let the emulated write (masks, BARs, MSI-X) proceed. */
	void (*cfg_read)(struct pci_device *dev, uint32_t off, uint32_t len, uint32_t *val);
	bool (*cfg_write)(struct pci_device *dev, uint32_t off, uint32_t len, uint32_t val);
	/* After an emulated config write (masks applied, BARs and MSI-X updated;
	 * not called when cfg_write consumed it). dev->lock held. */
	void (*cfg_written)(struct pci_device *dev, uint32_t off, uint32_t len);
	/* A BAR became decoded at addr / stopped being decoded (dev->lock held).
	 * A failing bar_map leaves the BAR unmapped (logged). */
	int (*bar_map)(struct pci_device *dev, unsigned bar, uint64_t addr, struct error *err);
	void (*bar_unmap)(struct pci_device *dev, unsigned bar, uint64_t addr);
	/* Device-specific reset after the PCI state was reset (dev->lock held). */
	void (*reset)(struct pci_device *dev);
};

struct pci_msix;

struct pci_device {
	const char *name;
	const struct pci_device_ops *ops;
	void *opaque;               /* owner's state */
	struct pci_bus *bus;        /* NULL until registered */
	struct vm *vm;
	uint8_t slot, func;
	bool express;               /* has a PCIe capability: 4 KiB config space */
	pthread_mutex_t lock;

	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits the guest clears by writing 1 */
	uint8_t cfg_reset[PCI_CFG_SIZE];
	uint8_t cap_next_free;         /* next free offset in 0x40..0xFF */
	uint16_t ext_cap_next_free;    /* next free offset in 0x100..0xFFF */
	uint16_t ext_cap_last;         /* last extended capability, 0: none */
	uint8_t cap_last;              /* last capability in the list, 0: none */

	struct pci_bar bars[PCI_NUM_BARS];
	struct pci_msix *msix;
};

/* ---- bus ----------------------------------------------------------------- */

/*
 * Create bus 0 with its host bridge, claim 0xCF8-0xCFF and the ECAM window,
 * and set vm->pci. Needs vm->pio, vm->mmio, vm->layout (and vm->mem to
 * refuse BARs placed over RAM). The VMM_DEVICE host bridge type calls this.
 */
struct pci_bus *pci_bus_create(struct vm *vm, struct error *err);
void pci_bus_destroy(struct pci_bus *bus);

/* Config access as the guest does it (tests and the host bridge use it).
 * off+len must stay inside one dword; otherwise reads ~0 / writes dropped. */
uint32_t pci_bus_cfg_read(struct pci_bus *bus, unsigned busnr, unsigned devfn,
			  uint32_t off, uint32_t len);
void pci_bus_cfg_write(struct pci_bus *bus, unsigned busnr, unsigned devfn, uint32_t off,
		       uint32_t len, uint32_t val);
struct pci_device *pci_bus_find(struct pci_bus *bus, unsigned slot, unsigned func);

/* ---- device -------------------------------------------------------------- */

/* Fill the type-0 header. class_code is 24 bits: class<<16 | sub<<8 | progif. */
void pci_device_init(struct pci_device *dev, const char *name, const struct pci_device_ops *ops,
		     void *opaque, uint16_t vendor, uint16_t device, uint32_t class_code,
		     uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id);
/* size: power of two (>= 16 for memory, >= 4 for I/O; I/O <= 256). */
int pci_device_set_bar(struct pci_device *dev, unsigned idx, uint64_t size, uint32_t flags,
		       const struct bus_ops *ops, void *opaque, struct error *err);
/* slot < 0: first free slot (function must then be 0). */
int pci_device_register(struct pci_bus *bus, struct pci_device *dev, int slot, int func,
			struct error *err);
/* Unmap BARs and remove from the bus (teardown). Safe if never registered. */
void pci_device_unregister(struct pci_device *dev);
void pci_device_reset(struct pci_device *dev);
/* Currently decoded address of a BAR, or PCI_BAR_UNMAPPED. Takes dev->lock:
 * not from inside pci_device_ops callbacks (read dev->bars[i].mapped_addr). */
uint64_t pci_bar_addr(struct pci_device *dev, unsigned idx);

/* Standard capability: returns its offset (>= 0x40), or -1 when full. `len`
 * includes the 2-byte header, which is filled in. */
int pci_add_capability(struct pci_device *dev, uint8_t id, uint8_t len, struct error *err);
/* Extended capability (>= 0x100, express devices only). */
int pci_add_ext_capability(struct pci_device *dev, uint16_t id, uint8_t version, uint16_t len,
			   struct error *err);
/* PCIe capability v2; port_type e.g. PCI_EXP_TYPE_ENDPOINT or PCI_EXP_TYPE_RC_END. */
int pci_add_pcie_capability(struct pci_device *dev, uint8_t port_type, struct error *err);

/* Raw config helpers for building a device (no locking: before register, or
 * with dev->lock held). Out-of-range offsets are ignored / read 0. */
void pci_cfg_set8(struct pci_device *dev, uint32_t off, uint8_t v);
void pci_cfg_set16(struct pci_device *dev, uint32_t off, uint16_t v);
void pci_cfg_set32(struct pci_device *dev, uint32_t off, uint32_t v);
uint8_t pci_cfg_get8(const struct pci_device *dev, uint32_t off);
uint16_t pci_cfg_get16(const struct pci_device *dev, uint32_t off);
uint32_t pci_cfg_get32(const struct pci_device *dev, uint32_t off);
void pci_cfg_set_wmask8(struct pci_device *dev, uint32_t off, uint8_t mask);
void pci_cfg_set_wmask16(struct pci_device *dev, uint32_t off, uint16_t mask);
void pci_cfg_set_wmask32(struct pci_device *dev, uint32_t off, uint32_t mask);
void pci_cfg_set_w1cmask16(struct pci_device *dev, uint32_t off, uint16_t mask);

/* ---- MSI-X --------------------------------------------------------------- */

struct pci_msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl; /* the guest-visible table entry */
	int efd;          /* eventfd: written to deliver; bound as irqfd to gsi */
	int gsi;          /* -1 until first unmasked */
	bool irqfd;       /* efd bound to gsi */
	bool direct;      /* routing failed: deliver with vm_signal_msi */
	bool route_stale; /* table changed since the route was programmed */
};

struct pci_msix {
	struct pci_device *dev;
	pthread_mutex_t lock;
	unsigned nr;
	unsigned bar;
	uint32_t table_off, pba_off;
	uint8_t cap;          /* config offset of the capability */
	bool enabled, fmask;  /* mirror of message control */
	/* The vector eventfds are also signalled from outside (VFIO): masking a
	 * vector unbinds its irqfd so the count waits in the eventfd (KVM injects
	 * it when the irqfd is bound again on unmask), and the PBA shows it. */
	bool external;
	struct pci_msix_vector *v;
	uint64_t *pba;
	unsigned stats_delivered, stats_pended; /* for tests / debugging */
};

/*
 * Add an MSI-X capability with nr vectors whose table and PBA live in BAR
 * `bar` at the given offsets (8-byte aligned, inside the BAR, not
 * overlapping). Call after pci_device_set_bar(), before register.
 */
int pci_msix_init(struct pci_msix *m, struct pci_device *dev, unsigned nr, unsigned bar,
		  uint32_t table_off, uint32_t pba_off, struct error *err);
/* The same for a capability already in config space at `cap` (passthrough
 * keeps the device's own capability layout); fills its registers. */
int pci_msix_init_at(struct pci_msix *m, struct pci_device *dev, unsigned nr, unsigned bar,
		     uint32_t table_off, uint32_t pba_off, uint8_t cap, struct error *err);
void pci_msix_destroy(struct pci_msix *m);
/*
 * Raise vector (any thread, any lock but msix->lock held). Unmasked: the
 * vector's eventfd is written and KVM (irqfd) injects the MSI. Masked or
 * MSI-X disabled: the PBA bit is set and delivery happens on unmask.
 * Without KVM (vm->vm_fd < 0, unit tests) routes are not programmed and the
 * eventfd is just written, so a test can read it.
 */
void pci_msix_notify(struct pci_device *dev, unsigned vector);
bool pci_msix_enabled(struct pci_device *dev);
int pci_msix_vector_fd(struct pci_device *dev, unsigned vector);

#endif
