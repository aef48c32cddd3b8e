/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Human names for PCI ids ("NVIDIA Corporation AD102 [GeForce RTX 4090]"),
 * from libpci and the pci.ids database (Debian: libpci3 + pci.ids).
 *
 * Only names come from libpci: which devices exist and how they are bound is
 * read by vfio/host.c, because libpci treats a sysfs surprise (a device
 * unbound or unplugged while it scans) as fatal and exits the process.
 * libpci is still told PCI_ACCESS_SYS_BUS_PCI with sysfs.path under our sysfs
 * root, so it never probes another tree (or raw I/O ports) behind our back.
 * libpci's warnings are silenced; its fatal error (a corrupt pci.ids, out of
 * memory) must not return, so that one exits with a message, as lspci does.
 */
#ifndef PASSVM_VFIO_NAMES_H
#define PASSVM_VFIO_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vfio_names;

/*
 * ids_path: a pci.ids file to use alone (the tests' own); NULL: the system's
 * database, with udev's hwdb for ids it lacks. Returns NULL only when out of
 * memory; every lookup accepts NULL and then gives numbers.
 */
struct vfio_names *vfio_names_open(const char *sysfs_root, const char *ids_path);
void vfio_names_close(struct vfio_names *n);
/* False when the pci.ids file is missing: names fall back to numbers. */
bool vfio_names_have_db(const struct vfio_names *n);
/* Its path, for the message that says to install it. */
const char *vfio_names_db_path(const struct vfio_names *n);

/* "Vendor Device" as lspci writes it, or "Device 10de:2684" when unknown. */
const char *vfio_names_device(struct vfio_names *n, uint16_t vendor, uint16_t device,
			      char *buf, size_t len);
/* The class name ("VGA compatible controller"), or "Class 0300". */
const char *vfio_names_class(struct vfio_names *n, uint32_t class_code, char *buf, size_t len);

#endif
