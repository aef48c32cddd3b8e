/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host PCI addresses (domain:bus:slot.function) as text and as values:
 * parsing what users write ("0000:01:00.0", a slot, lspci's short form),
 * formatting, comparing. Apart from vfio/host.h, which reads sysfs, so that
 * the command line and the profile parser can check an address without
 * pulling in the host's PCI view. Pure: no sysfs, no state, nothing prints.
 * The names keep their vfio_host_ prefix: callers all over use them.
 */
#ifndef PASSVM_VFIO_PCI_ADDR_H
#define PASSVM_VFIO_PCI_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

/* A PCI function's address on the host: domain:bus:slot.function. */
struct vfio_host_addr {
	uint16_t domain;
	uint8_t bus, slot, func;
};

/* "0000:01:00.0" (or "0000:01:00" for a slot) as a value, for printf. */
struct vfio_host_addr_str {
	char s[16];
};

/*
 * Parse "DDDD:BB:SS.F" (one function) or "DDDD:BB:SS" (the whole slot:
 * *whole_slot set, func 0); lspci's short "BB:SS.F" / "BB:SS" mean domain 0.
 * whole_slot may be NULL, then a slot address is an error.
 */
int vfio_host_addr_parse(const char *s, struct vfio_host_addr *a, bool *whole_slot,
			 struct error *err);
struct vfio_host_addr_str vfio_host_addr_fmt(const struct vfio_host_addr *a);
struct vfio_host_addr_str vfio_host_slot_fmt(const struct vfio_host_addr *a);
bool vfio_host_addr_eq(const struct vfio_host_addr *a, const struct vfio_host_addr *b);
bool vfio_host_same_slot(const struct vfio_host_addr *a, const struct vfio_host_addr *b);
int vfio_host_addr_cmp(const struct vfio_host_addr *a, const struct vfio_host_addr *b);

#endif
