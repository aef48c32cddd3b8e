// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupt plumbing on top of KVM's in-kernel irqchip: legacy lines, the
 * GSI routing table (KVM_SET_GSI_ROUTING replaces the whole table, so we keep
 * our copy and resubmit it), irqfd and ioeventfd.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/irq.h"
#include "vmm/vm.h"

#define IRQ_ROUTES_MAX VM_MAX_GSI

int vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = (uint32_t)level };
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -1 : 0;
}

static void irq_route_add_chip(struct kvm_irq_routing *r, uint32_t gsi, uint32_t chip,
			       uint32_t pin)
{
	r->entries[r->nr++] = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

/* The default table KVM installs with the irqchip, rebuilt as our base. */
int vm_irq_routing_init(struct vm *vm, struct error *err)
{
	vm->routing = calloc(1, sizeof(*vm->routing) +
				     IRQ_ROUTES_MAX * sizeof(struct kvm_irq_routing_entry));
	if (!vm->routing)
		return err_setf(err, "out of memory");
	/* As on a PC (and in the MADT's interrupt source override): ISA IRQ 0,
	 * where KVM's PIT fires, reaches the IOAPIC on pin 2; GSI 2 itself is
	 * the PIC cascade and goes nowhere. */
	for (uint32_t i = 0; i < 16; i++)
		if (i != 2)
			irq_route_add_chip(vm->routing, i,
					   i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, i % 8);
	for (uint32_t i = 0; i < 24; i++)
		if (i != 2)
			irq_route_add_chip(vm->routing, i, KVM_IRQCHIP_IOAPIC, i == 0 ? 2 : i);
	vm->next_msi_gsi = VM_FIRST_MSI_GSI;
	pthread_mutex_init(&vm->irq_lock, NULL);
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, vm->routing) < 0)
		return err_setf(err, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	return 0;
}

static void irq_msi_entry(struct kvm_irq_routing_entry *e, uint32_t gsi, uint64_t addr,
			  uint32_t data)
{
	*e = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
			   .data = data },
	};
}

int vm_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data, struct error *err)
{
	pthread_mutex_lock(&vm->irq_lock);
	if (vm->routing->nr >= IRQ_ROUTES_MAX || vm->next_msi_gsi >= VM_MAX_GSI) {
		pthread_mutex_unlock(&vm->irq_lock);
		return err_setf(err, "out of interrupt routes (%d)", VM_MAX_GSI);
	}
	uint32_t gsi = vm->next_msi_gsi++;
	irq_msi_entry(&vm->routing->entries[vm->routing->nr++], gsi, addr, data);
	int r = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, vm->routing);
	int e = errno;
	if (r < 0)
		vm->routing->nr--;
	pthread_mutex_unlock(&vm->irq_lock);
	if (r < 0)
		return err_setf(err, "KVM_SET_GSI_ROUTING: %s", strerror(e));
	return (int)gsi;
}

int vm_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data,
			struct error *err)
{
	int r = -1, e = ENOENT;
	pthread_mutex_lock(&vm->irq_lock);
	for (uint32_t i = 0; i < vm->routing->nr; i++) {
		struct kvm_irq_routing_entry *ent = &vm->routing->entries[i];
		if (ent->gsi != gsi || ent->type != KVM_IRQ_ROUTING_MSI)
			continue;
		if (ent->u.msi.address_lo == (uint32_t)addr &&
		    ent->u.msi.address_hi == (uint32_t)(addr >> 32) && ent->u.msi.data == data) {
			r = 0; /* unchanged: skip the ioctl */
			break;
		}
		irq_msi_entry(ent, gsi, addr, data);
		r = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, vm->routing);
		e = errno;
		break;
	}
	pthread_mutex_unlock(&vm->irq_lock);
	if (r < 0)
		return err_setf(err, "cannot update MSI route for GSI %u: %s", gsi, strerror(e));
	return 0;
}

int vm_irqfd(struct vm *vm, uint32_t gsi, int fd, int resample_fd, bool assign,
	     struct error *err)
{
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi };
	if (!assign)
		irqfd.flags |= KVM_IRQFD_FLAG_DEASSIGN;
	if (resample_fd >= 0) {
		irqfd.flags |= KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = (uint32_t)resample_fd;
	}
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return err_setf(err, "KVM_IRQFD (gsi %u): %s", gsi, strerror(errno));
	return 0;
}

int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
			       .data = data };
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, bool pio, int fd, bool assign,
		 struct error *err)
{
	struct kvm_ioeventfd io = { .addr = addr, .len = len, .fd = fd };
	if (pio)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (!assign)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return err_setf(err, "KVM_IOEVENTFD at 0x%llx: %s", (unsigned long long)addr,
				strerror(errno));
	return 0;
}
