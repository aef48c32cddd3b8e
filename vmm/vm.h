/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VM object: the only mutable state of a running VMM. It owns the KVM
 * fds, guest RAM, the buses, the interrupt routing table, the event loop,
 * the vCPUs and every device instance.
 *
 * Life cycle: vm_create() -> vm_run() (blocks until the guest powers off, is
 * reset with on_reset=exit, faults, or a signal asks to stop) -> vm_destroy().
 *
 * Devices are not listed anywhere in the core: each fills a
 * `struct vmm_device_type` and places it with VMM_DEVICE(); vm_create() runs
 * every registered type's init in `order`, and vm_destroy() runs the exit
 * of each instance in reverse.
 */
#ifndef PASSVM_VM_H
#define PASSVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/bus.h"
#include "vmm/config.h"
#include "vmm/evloop.h"
#include "vmm/irq.h"
#include "vmm/layout.h"
#include "vmm/memory.h"

struct vm;
struct vcpu;
struct pci_bus;
struct fw_cfg;
struct kvm_cpuid2;
struct kvm_irq_routing;

/* ---- device registry ---------------------------------------------------- */

enum vmm_init_order {
	VMM_ORDER_PLATFORM = 10, /* irqchip-adjacent: PM, reset, RTC, serial */
	VMM_ORDER_BUS = 20,      /* PCI host bridge */
	VMM_ORDER_DEVICE = 30,   /* PCI devices (virtio, vfio, ivshmem) */
	VMM_ORDER_LATE = 40,     /* things that need every device: ACPI, boot */
};

struct vmm_device_type {
	const char *name;
	int order;
	/*
	 * Create this type's instances from vm->cfg (zero or more), registering
	 * each with vm_device_add(). Returns 0, or -1 with err set.
	 */
	int (*init)(struct vm *vm, struct error *err);
};

/* VMM_DEVICE(NAME_device) = { ... }: one per device type, named NAME_device. */
#define VMM_DEVICE(ident)                                                      \
	static const struct vmm_device_type ident;                             \
	static const struct vmm_device_type *const ident##_ptr                 \
		__attribute__((used, section("passvm_devices"))) = &ident;     \
	static const struct vmm_device_type ident

/* An instance, torn down by vm_destroy() (after vCPUs are joined). */
struct vm_device {
	const char *name;
	void *state;
	void (*destroy)(struct vm *vm, void *state);
	struct vm_device *next;
};

int vm_device_add(struct vm *vm, const char *name, void *state,
		  void (*destroy)(struct vm *, void *), struct error *err);
/* A device's state: `size` zeroed bytes, added as above (destroy runs with the
 * VM's teardown and must free it). NULL (err set) when out of memory. */
void *vm_device_new(struct vm *vm, const char *name, size_t size,
		    void (*destroy)(struct vm *, void *), struct error *err);

/* Guest reset is handled by tearing the VM down and creating it again (fresh
 * RAM, fresh device state), so devices need no reset hook of their own. */

/* ---- the VM ------------------------------------------------------------- */

enum vm_exit_reason {
	VM_EXIT_NONE = 0,
	VM_EXIT_POWEROFF,   /* guest powered off: exit 0 */
	VM_EXIT_RESET,      /* guest asked for a reset */
	VM_EXIT_SIGNAL,     /* SIGINT/SIGTERM on the host */
	VM_EXIT_FAULT,      /* triple fault, internal error, unhandled exit */
};

#define VM_MAX_GSI 1024
#define VM_MEMSLOT_MAX 512 /* device memslots: BARs mapped into the guest */
#define VM_FIRST_MSI_GSI 24 /* GSIs 0..23 are the IOAPIC pins */

struct vm {
	struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	unsigned phys_bits;
	struct kvm_cpuid2 *cpuid;     /* KVM_GET_SUPPORTED_CPUID, the vCPUs' base */
	bool hyperv_synic;            /* the guest sees a SynIC: every vCPU enables it */
	struct layout layout;
	struct gmem mem;
	struct bus pio;
	struct bus mmio;
	struct evloop loop;
	struct pci_bus *pci;          /* set by the PCI host bridge device */
	struct fw_cfg *fw_cfg;        /* set by the fw_cfg device (vmm/hw/fw_cfg.h) */
	/* KVM memslots beyond guest RAM (vm_memslot_map), one bit each. */
	_Atomic uint64_t memslots[VM_MEMSLOT_MAX / 64];

	unsigned nr_vcpus;
	struct vcpu *vcpus;
	struct cpu_topology topology; /* topology_effective(cfg), set before vCPUs */

	struct vm_device *devices;    /* newest first */

	/* Interrupt routing (KVM_SET_GSI_ROUTING replaces the whole table). */
	pthread_mutex_t irq_lock;
	struct kvm_irq_routing *routing;
	uint32_t next_msi_gsi;

	/* Exit request: first reason wins; vCPUs and loop are kicked. */
	_Atomic int exit_reason;
	int exit_signal;
	char exit_detail[2048];       /* e.g. the vCPU register dump of a fault */

	int signal_fd;                /* SIGINT/SIGTERM/SIGHUP, read by the loop */
	int pin_fd;                   /* timerfd: pin stray threads (vm.c), -1: none */
	unsigned pin_scans_left;      /* its ticks until it stops */

	/* Boot entry state that vCPU 0 is reset to (filled by the loader). */
	struct vm_boot_entry {
		uint64_t rip;
		uint64_t rsi;           /* bzImage: boot_params */
		uint64_t rbx;           /* PVH: start_info */
		uint64_t rsp;
	} entry;
	bool entry_set;
	uint64_t acpi_rsdp;           /* guest address of the RSDP, for loaders */
};

int vm_create(struct vm *vm, struct vm_config *cfg, struct error *err);
/*
 * Run until exit; returns the reason. VM_EXIT_RESET means the caller should
 * vm_destroy() and vm_create() again when the config asks for reboots.
 */
enum vm_exit_reason vm_run(struct vm *vm, struct error *err);
/* Process exit status for a reason: 0 power-off/reset-exit, 1 fault, 128+sig. */
int vm_exit_status(const struct vm *vm);
void vm_destroy(struct vm *vm);

/* Ask the VM to stop (any thread, async-signal-unsafe). First call wins. */
void vm_request_exit(struct vm *vm, enum vm_exit_reason why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- device memory ---------------------------------------------------------- */

/*
 * Map host memory (a VFIO BAR mmap, a shared-memory BAR) at gpa as a KVM
 * memslot, so guest accesses go straight to it without exits. Page-aligned
 * gpa/size/host. Returns the slot (for vm_memslot_unmap) or -1 with err set.
 * Any thread; slots of guest RAM (gmem) are never handed out.
 */
int vm_memslot_map(struct vm *vm, uint64_t gpa, uint64_t size, void *host, struct error *err);
/* The same, read-only: guest reads go straight to `host`, writes exit as
 * MMIO to whatever claims the range (firmware flash). */
int vm_memslot_map_ro(struct vm *vm, uint64_t gpa, uint64_t size, const void *host,
		      struct error *err);
void vm_memslot_unmap(struct vm *vm, int slot);

#endif
