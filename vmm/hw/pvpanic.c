// SPDX-License-Identifier: GPL-2.0-only
/*
 * pvpanic-pci: the guest kernel tells the VMM it panicked (Linux's
 * pvpanic-pci driver, QEMU's device id 1b36:0011, one byte register at BAR0
 * offset 0). A panic stops the VM with a fault, so "guest panicked" is a
 * non-zero exit instead of a silent reboot loop or a hang.
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/pci.h"
#include "vmm/vm.h"

#define PVPANIC_VENDOR 0x1b36 /* Red Hat, Inc. (QEMU's PCI ids) */
#define PVPANIC_DEVICE 0x0011
#define PVPANIC_CLASS  0x088000 /* system peripheral, other */
#define PVPANIC_BAR_SIZE 16

#define PVPANIC_PANICKED     (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)

struct pvpanic {
	struct vm *vm;
	struct pci_device pci;
};

static void pvpanic_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	memset(data, 0, len);
	if (off == 0)
		*(uint8_t *)data = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED; /* events we take */
}

static void pvpanic_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct pvpanic *p = opaque;
	if (off != 0)
		return;
	uint8_t ev = *(const uint8_t *)data;
	if (ev & PVPANIC_PANICKED)
		vm_request_exit(p->vm, VM_EXIT_FAULT, "the guest kernel panicked (pvpanic)");
	else if (ev & PVPANIC_CRASH_LOADED)
		log_info("guest kernel crashed into its kdump kernel (pvpanic)");
}

static const struct bus_ops pvpanic_ops = { .read = pvpanic_read, .write = pvpanic_write };

static void pvpanic_destroy(struct vm *vm, void *state)
{
	struct pvpanic *p = state;
	pci_device_unregister(&p->pci);
	pthread_mutex_destroy(&p->pci.lock);
	free(p);
}

static int pvpanic_init(struct vm *vm, struct error *err)
{
	struct pvpanic *p = calloc(1, sizeof(*p));
	if (!p)
		return err_setf(err, "out of memory");
	p->vm = vm;
	pci_device_init(&p->pci, "pvpanic", NULL, p, PVPANIC_VENDOR, PVPANIC_DEVICE, PVPANIC_CLASS,
			1, PVPANIC_VENDOR, PVPANIC_DEVICE);
	if (vm_device_add(vm, "pvpanic", p, pvpanic_destroy, err)) {
		pthread_mutex_destroy(&p->pci.lock);
		free(p);
		return -1;
	}
	if (pci_device_set_bar(&p->pci, 0, PVPANIC_BAR_SIZE, PCI_BAR_MEM32, &pvpanic_ops, p, err) ||
	    pci_device_register(vm->pci, &p->pci, -1, 0, err))
		return err_prefix(err, "pvpanic");
	return 0;
}

VMM_DEVICE(pvpanic_device) = {
	.name = "pvpanic",
	.order = VMM_ORDER_DEVICE,
	.init = pvpanic_init,
};
