// SPDX-License-Identifier: GPL-2.0-only
#include "vfio/names.h"

#include <limits.h>
#include <stdarg.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

struct vfio_names {
	struct pci_access *pacc;
	char db_path[PATH_MAX];
	bool have_db;
};

/* libpci's warnings and debug output are of no use to passvm's user. */
static void names_quiet(char *msg, ...)
{
	(void)msg;
}

/*
 * libpci's error callback must not return (the library is compiled assuming
 * it does not) and takes no context pointer to hand the message back through.
 * With names only, it is reached solely for a corrupt pci.ids or out of
 * memory, so this is the one place passvm stops from inside: like lspci.
 */
static void __attribute__((noreturn, format(printf, 1, 2))) names_fatal(char *msg, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, msg);
	vsnprintf(line, sizeof(line), msg, ap);
	va_end(ap);
	line[strcspn(line, "\n")] = '\0';
	log_error("the PCI name database is unusable: %s (reinstall Debian's pci.ids package)", line);
	exit(1);
}

/* The packaged file may be pci.ids.gz or plain pci.ids; libpci tries both. */
static bool names_find_db(const char *path, char *found, size_t len)
{
	snprintf(found, len, "%s", path);
	if (!access(found, R_OK))
		return true;
	size_t n = strlen(found);
	if (n > 3 && !strcmp(found + n - 3, ".gz")) {
		found[n - 3] = '\0';
		if (!access(found, R_OK))
			return true;
		found[n - 3] = '.';
	}
	return false;
}

static void names_point_at(struct pci_access *pacc, const char *sysfs_root)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/bus/pci", sysfs_root ? sysfs_root : "/sys");
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	pci_set_param(pacc, (char *)"sysfs.path", path);
}

struct vfio_names *vfio_names_open(const char *sysfs_root, const char *ids_path)
{
	struct vfio_names *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->pacc = pci_alloc();
	if (!n->pacc) {
		free(n);
		return NULL;
	}
	n->pacc->error = names_fatal;
	n->pacc->warning = names_quiet;
	n->pacc->debug = names_quiet;
	names_point_at(n->pacc, sysfs_root);
	/* No lookup cache in $HOME and never the network: answers come from files. */
	n->pacc->id_lookup_mode = 0;
	if (ids_path) {
		char *copy = strdup(ids_path);
		if (copy)
			pci_set_name_list_path(n->pacc, copy, 1);
		/* A given database is the whole truth, so tests do not depend on udev's. */
		n->pacc->id_lookup_mode = PCI_LOOKUP_NO_HWDB;
	}
	n->have_db = names_find_db(n->pacc->id_file_name, n->db_path, sizeof(n->db_path));
	pci_init(n->pacc);
	return n;
}

void vfio_names_close(struct vfio_names *n)
{
	if (!n)
		return;
	pci_cleanup(n->pacc);
	free(n);
}

bool vfio_names_have_db(const struct vfio_names *n)
{
	return n && n->have_db;
}

const char *vfio_names_db_path(const struct vfio_names *n)
{
	return n ? n->db_path : "pci.ids";
}

const char *vfio_names_device(struct vfio_names *n, uint16_t vendor, uint16_t device,
			      char *buf, size_t len)
{
	if (n && pci_lookup_name(n->pacc, buf, (int)len, PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE,
				 (int)vendor, (int)device))
		return buf;
	snprintf(buf, len, "Device %04x:%04x", vendor, device);
	return buf;
}

const char *vfio_names_class(struct vfio_names *n, uint32_t class_code, char *buf, size_t len)
{
	if (n && pci_lookup_name(n->pacc, buf, (int)len, PCI_LOOKUP_CLASS, (int)(class_code >> 8)))
		return buf;
	snprintf(buf, len, "Class %04x", (unsigned)(class_code >> 8));
	return buf;
}
