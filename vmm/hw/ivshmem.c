// SPDX-License-Identifier: GPL-2.0-only
/*
 * ivshmem-plain: the shared-memory PCI device display-shm and the Scream
 * audio ring run over (ivshmem.h), compatible with QEMU's (1af4:1110 rev 1, class 0x0500, subsystem
 * 1af4:1100), so the guest drivers that work there (Windows' IVSHMEM
 * driver, Linux's sysfs resource2, Looking Glass's kvmfr) work here.
 *
 * BAR0: 256 bytes of registers (IntrMask, IntrStatus, IVPosition, Doorbell);
 * without interrupts IVPosition reads 0 and Doorbell is ignored (QEMU's
 * ivshmem spec). BAR2: the host file, a 64-bit prefetchable BAR mapped as
 * a KVM memslot, so guest accesses never exit to the VMM.
 *
 * A file (display-shm): opened if it exists (grown to the configured size if smaller,
 * refused if larger or not a regular file), created 0600 otherwise, and
 * never unlinked: the viewer (`passvm view`, another process) opens it by
 * path and must survive the VM rebooting or being restarted, as with QEMU
 * and Looking Glass; remove it when the VM is retired. An exclusive flock
 * for the VM's life keeps a second VM from sharing the same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/hw/ivshmem.h"
#include "vmm/pci.h"
#include "vmm/vm.h"

#define IVSHMEM_VENDOR 0x1af4 /* Red Hat (Qumranet) */
#define IVSHMEM_DEVICE 0x1110
#define IVSHMEM_SUBSYS 0x1100 /* QEMU's default subsystem id */
#define IVSHMEM_CLASS 0x050000 /* memory controller, RAM */
#define IVSHMEM_REV 1
#define IVSHMEM_REG_SIZE 256
#define IVSHMEM_SHM_BAR 2

enum { IVSHMEM_INTR_MASK = 0, IVSHMEM_INTR_STATUS = 4, IVSHMEM_IVPOSITION = 8,
       IVSHMEM_DOORBELL = 12 };

struct ivshmem {
	struct vm *vm;
	char name[32];
	struct pci_device pci;
	int fd;
	uint8_t *shm;
	uint64_t size;
	int memslot;                     /* -1: BAR2 not mapped (or no KVM) */
	uint32_t intr_mask, intr_status; /* under pci.lock (bus ops hold it) */
};

/* ---- registers (BAR0) ---------------------------------------------------- */

static void ivshmem_reg_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct ivshmem *s = opaque;
	uint32_t v = 0;
	if (off == IVSHMEM_INTR_MASK)
		v = s->intr_mask;
	else if (off == IVSHMEM_INTR_STATUS) {
		v = s->intr_status; /* read clears (spec) */
		s->intr_status = 0;
	}
	memset(data, 0, len);
	if (!(off & 3))
		memcpy(data, &v, MIN(len, 4u));
}

static void ivshmem_reg_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct ivshmem *s = opaque;
	uint32_t v = 0;
	memcpy(&v, data, MIN(len, 4u));
	if (off == IVSHMEM_INTR_MASK && len == 4)
		s->intr_mask = v;
	else if (off == IVSHMEM_INTR_STATUS && len == 4)
		s->intr_status = v;
	/* IVPosition is read-only; Doorbell needs interrupts (ivshmem-doorbell). */
}

static const struct bus_ops ivshmem_reg_ops = { .read = ivshmem_reg_read,
						.write = ivshmem_reg_write };

/* ---- shared memory (BAR2) ------------------------------------------------ */

/* Only reached without a memslot (no KVM: unit tests); off+len < BAR size. */
static void ivshmem_shm_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct ivshmem *s = opaque;
	if (off < s->size && len <= s->size - off)
		memcpy(data, s->shm + off, len);
	else
		memset(data, 0xff, len);
}

static void ivshmem_shm_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct ivshmem *s = opaque;
	if (off < s->size && len <= s->size - off)
		memcpy(s->shm + off, data, len);
}

static const struct bus_ops ivshmem_shm_ops = { .read = ivshmem_shm_read,
						.write = ivshmem_shm_write };

/* BAR2 placed at addr: the file becomes guest memory there (vm.h memslots). */
static int ivshmem_bar_map(struct pci_device *dev, unsigned bar, uint64_t addr, struct error *err)
{
	struct ivshmem *s = dev->opaque;
	if (bar != IVSHMEM_SHM_BAR || s->vm->vm_fd < 0)
		return 0;
	s->memslot = vm_memslot_map(s->vm, addr, s->size, s->shm, err);
	return s->memslot < 0 ? err_prefix(err, "ivshmem BAR2") : 0;
}

static void ivshmem_bar_unmap(struct pci_device *dev, unsigned bar, uint64_t addr)
{
	struct ivshmem *s = dev->opaque;
	if (bar != IVSHMEM_SHM_BAR || s->memslot < 0)
		return;
	vm_memslot_unmap(s->vm, s->memslot);
	s->memslot = -1;
}

static const struct pci_device_ops ivshmem_pci_ops = {
	.bar_map = ivshmem_bar_map,
	.bar_unmap = ivshmem_bar_unmap,
};

/* ---- the host file ------------------------------------------------------- */

/* Map fd shared; on failure fd is closed. */
static int ivshmem_map(int fd, uint64_t size, const char *what, int *fd_out, uint8_t **map_out,
		       struct error *err)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		int e = errno;
		close(fd);
		return err_setf(err, "%s: cannot map %llu bytes: %s", what,
				(unsigned long long)size, strerror(e));
	}
	*fd_out = fd;
	*map_out = m;
	return 0;
}

int ivshmem_open_file(const char *path, uint64_t size, int *fd_out, uint8_t **map_out,
		      struct error *err)
{
	if (!size || (size & (size - 1)))
		return err_setf(err, "shm %s: size %llu is not a power of two", path,
				(unsigned long long)size);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_setf(err, "shm %s: cannot open or create it: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_setf(err, "shm %s: not a regular file", path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return err_setf(err, "shm %s: another VM uses it (locked)", path);
	}
	if ((uint64_t)st.st_size > size) {
		close(fd);
		return err_setf(err, "shm %s is %llu bytes, larger than the %llu configured: "
				"remove it or set that size", path, (unsigned long long)st.st_size,
				(unsigned long long)size);
	}
	if ((uint64_t)st.st_size < size && ftruncate(fd, (off_t)size)) {
		int e = errno;
		close(fd);
		return err_setf(err, "shm %s: cannot size it to %llu bytes: %s", path,
				(unsigned long long)size, strerror(e));
	}
	return ivshmem_map(fd, size, path, fd_out, map_out, err);
}

/* An anonymous region (nobody else opens it by path): nothing to clean up. */
static int ivshmem_open_memfd(const char *name, uint64_t size, int *fd_out, uint8_t **map_out,
			      struct error *err)
{
	if (!size || (size & (size - 1)))
		return err_setf(err, "%s: size %llu is not a power of two", name,
				(unsigned long long)size);
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return err_setf(err, "%s: memfd_create: %s", name, strerror(errno));
	if (ftruncate(fd, (off_t)size)) {
		int e = errno;
		close(fd);
		return err_setf(err, "%s: cannot size its memory to %llu bytes: %s", name,
				(unsigned long long)size, strerror(e));
	}
	return ivshmem_map(fd, size, name, fd_out, map_out, err);
}

static void ivshmem_destroy(struct vm *vm, void *state)
{
	struct ivshmem *s = state;
	pci_device_unregister(&s->pci);
	pthread_mutex_destroy(&s->pci.lock);
	if (s->shm)
		munmap(s->shm, s->size);
	if (s->fd >= 0)
		close(s->fd); /* a file stays: see the top of this file */
	free(s);
}

struct ivshmem *ivshmem_create(struct vm *vm, const struct ivshmem_params *p, struct error *err)
{
	struct ivshmem *s = calloc(1, sizeof(*s));
	if (!s) {
		err_setf(err, "out of memory");
		return NULL;
	}
	s->vm = vm;
	s->fd = -1;
	s->memslot = -1;
	s->size = p->size;
	snprintf(s->name, sizeof(s->name), "%s", p->name);
	pci_device_init(&s->pci, s->name, &ivshmem_pci_ops, s, IVSHMEM_VENDOR, IVSHMEM_DEVICE,
			IVSHMEM_CLASS, IVSHMEM_REV, IVSHMEM_VENDOR, IVSHMEM_SUBSYS);
	if (vm_device_add(vm, s->name, s, ivshmem_destroy, err)) {
		pthread_mutex_destroy(&s->pci.lock);
		free(s);
		return NULL;
	}
	int r = p->path ? ivshmem_open_file(p->path, p->size, &s->fd, &s->shm, err)
			: ivshmem_open_memfd(s->name, p->size, &s->fd, &s->shm, err);
	if (r)
		return NULL;
	if (pci_device_set_bar(&s->pci, 0, IVSHMEM_REG_SIZE, PCI_BAR_MEM32, &ivshmem_reg_ops, s,
			       err) ||
	    pci_device_set_bar(&s->pci, IVSHMEM_SHM_BAR, s->size, PCI_BAR_MEM64 | PCI_BAR_PREFETCH,
			       &ivshmem_shm_ops, s, err) ||
	    pci_device_register(vm->pci, &s->pci, -1, 0, err)) {
		err_prefix(err, "%s", s->name);
		return NULL;
	}
	log_info("%s: %s (%llu MiB) as BAR2", s->name, p->path ? p->path : "anonymous memory",
		 (unsigned long long)(p->size / MiB));
	return s;
}

uint8_t *ivshmem_memory(const struct ivshmem *s)
{
	return s->shm;
}

uint64_t ivshmem_size(const struct ivshmem *s)
{
	return s->size;
}
