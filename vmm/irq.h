/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupts into the guest (irq.c): legacy IOAPIC/PIC lines, MSI routes in
 * KVM's GSI routing table, irqfd and ioeventfd. Any thread; the routing
 * table is guarded by vm->irq_lock. vm.h includes this.
 */
#ifndef PASSVM_VMM_IRQ_H
#define PASSVM_VMM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

struct vm;

/* vm_create(): the legacy lines routed to the IOAPIC and PIC. */
int vm_irq_routing_init(struct vm *vm, struct error *err);
/* Drive an IOAPIC/PIC input (edge devices: 1 then 0). */
int vm_irq_line(struct vm *vm, uint32_t gsi, int level);
/* Allocate a GSI routed to an MSI message; returns gsi or -1. */
int vm_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data, struct error *err);
int vm_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data,
			struct error *err);
/* Bind an eventfd to a GSI (KVM_IRQFD); resample_fd < 0 for edge. */
int vm_irqfd(struct vm *vm, uint32_t gsi, int fd, int resample_fd, bool assign,
	     struct error *err);
/* Inject an MSI directly (KVM_SIGNAL_MSI). */
int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data);
/* Make KVM signal `fd` on a guest write to addr (no VMM exit). */
int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, bool pio, int fd, bool assign,
		 struct error *err);

#endif
