// SPDX-License-Identifier: GPL-2.0-only
/*
 * Firmware flash below 4 GiB, laid out as QEMU's q35 lays out its two
 * pflash devices: the code image ([boot] firmware, read-only) ends at
 * 4 GiB, the variable store ([boot] vars) sits right below it. OVMF_CODE_4M
 * + OVMF_VARS_4M give vars 0xFFC00000-0xFFC84000, code 0xFFC84000-4 GiB.
 *
 * Both are read-only KVM memory slots, so fetching code and reading
 * variables costs no exit. The code image is a private mapping of its
 * file: nothing the guest does reaches it. The store is the vars file read
 * into memory: a write exits here and goes through the CFI command set
 * (pflash.c); while the flash is in a command mode its slot is taken away,
 * so reads exit too and see the status or ID. Each time the guest goes
 * back to read array (OVMF does after every write and erase) the bytes it
 * changed are written to the file and fdatasync'ed: a completed update is
 * on disk, one cut short by a kill is not, as with real flash. (A copy and
 * pwrite rather than a shared mapping: 9p and some FUSE file systems, where
 * vars files can live, refuse writable shared mappings.)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/hw/pflash.h"
#include "vmm/layout.h"
#include "vmm/vm.h"

#define PFLASH_MAX_TOTAL (16 * MiB)   /* 0xFF000000-4 GiB: above the APIC and KVM pages */

struct pflash_image {
	int fd;
	uint8_t *map;
	uint64_t size, gpa;
	int slot;                 /* -1: not mapped into the guest */
};

struct pflash_device {
	struct vm *vm;
	pthread_mutex_t lock;
	struct pflash_image code, vars;
	struct pflash flash;
};

/* Open and map one image; `what` and `key` name it in errors. */
static int pflash_image_open(struct pflash_image *im, const char *path, bool writable,
			     const char *what, struct error *err)
{
	im->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (im->fd < 0)
		return err_setf(err, "%s %s: %s", what, path, strerror(errno));
	struct stat st;
	if (fstat(im->fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size % PFLASH_BLOCK)
		return err_setf(err, "%s %s is not a flash image: it must be a regular file of "
				"whole 4 KiB blocks (OVMF's are 2 MiB or 4 MiB with their vars)",
				what, path);
	if (writable && flock(im->fd, LOCK_EX | LOCK_NB))
		return err_setf(err, "%s %s is in use by another VM (locked): give each VM its "
				"own vars file", what, path);
	im->size = (uint64_t)st.st_size;
	void *m = writable ? mmap(NULL, im->size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
			   : mmap(NULL, im->size, PROT_READ, MAP_PRIVATE, im->fd, 0);
	if (m == MAP_FAILED)
		return err_setf(err, "%s %s: mmap: %s", what, path, strerror(errno));
	im->map = m;
	if (writable && pread(im->fd, m, im->size, 0) != (ssize_t)im->size)
		return err_setf(err, "%s %s: cannot read it: %s", what, path,
				errno ? strerror(errno) : "short read");
	return 0;
}

static void pflash_image_close(struct vm *vm, struct pflash_image *im)
{
	if (im->slot >= 0)
		vm_memslot_unmap(vm, im->slot);
	if (im->map)
		munmap(im->map, im->size);
	if (im->fd >= 0)
		close(im->fd);
}

/* The changed bytes to the vars file, and to disk. */
static void pflash_sync(struct pflash_device *d)
{
	uint64_t lo, hi;
	if (!pflash_take_dirty(&d->flash, &lo, &hi))
		return;
	errno = 0;
	ssize_t n = pwrite(d->vars.fd, d->vars.map + lo, hi - lo, (off_t)lo);
	if (n != (ssize_t)(hi - lo) || fdatasync(d->vars.fd))
		log_warn("vars file: the guest's change of bytes 0x%llx-0x%llx was not saved: %s",
			 (unsigned long long)lo, (unsigned long long)hi,
			 n < 0 || errno ? strerror(errno) : "short write");
}

/* Read array: the store's bytes straight to the guest; any other mode: exits. */
static void pflash_follow_mode(struct pflash_device *d)
{
	bool array = d->flash.mode == PFLASH_ARRAY;
	struct pflash_image *v = &d->vars;
	if (array && v->slot < 0) {
		pflash_sync(d);
		struct error err;
		v->slot = vm_memslot_map_ro(d->vm, v->gpa, v->size, v->map, &err);
		if (v->slot < 0)   /* reads keep exiting: slower, still right */
			log_warn("vars flash: %s", err.msg);
	} else if (!array && v->slot >= 0) {
		vm_memslot_unmap(d->vm, v->slot);
		v->slot = -1;
	}
}

static uint64_t pflash_bus_value(const void *data, uint32_t len)
{
	uint64_t v = 0;
	memcpy(&v, data, MIN(len, sizeof(v)));
	return v;
}

static void pflash_vars_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pflash_device *d = opaque;
	pthread_mutex_lock(&d->lock);
	uint64_t v = pflash_read(&d->flash, off, len);
	pthread_mutex_unlock(&d->lock);
	memcpy(data, &v, MIN(len, sizeof(v)));
}

static void pflash_vars_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct pflash_device *d = opaque;
	pthread_mutex_lock(&d->lock);
	pflash_write(&d->flash, off, pflash_bus_value(data, len), len);
	pflash_follow_mode(d);
	pthread_mutex_unlock(&d->lock);
}

/* The code image is ROM: reads never exit, writes are dropped. */
static void pflash_code_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pflash_device *d = opaque;
	memset(data, 0xFF, len);
	if (off < d->code.size)
		memcpy(data, d->code.map + off, MIN(len, d->code.size - off));
}

static void pflash_code_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
}

static const struct bus_ops pflash_vars_ops = { .read = pflash_vars_read,
						.write = pflash_vars_write };
static const struct bus_ops pflash_code_ops = { .read = pflash_code_read,
						.write = pflash_code_write };

static void pflash_device_destroy(struct vm *vm, void *state)
{
	struct pflash_device *d = state;
	pflash_sync(d);
	pflash_image_close(vm, &d->code);
	pflash_image_close(vm, &d->vars);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static int pflash_map(struct pflash_device *d, struct error *err)
{
	struct vm *vm = d->vm;
	if (d->code.size + d->vars.size > PFLASH_MAX_TOTAL)
		return err_setf(err, "firmware %s and vars %s are %llu KiB together; at most %llu "
				"KiB fit below 4 GiB", vm->cfg->firmware, vm->cfg->firmware_vars,
				(unsigned long long)((d->code.size + d->vars.size) / KiB),
				(unsigned long long)(PFLASH_MAX_TOTAL / KiB));
	d->code.gpa = LAYOUT_4GIB - d->code.size;
	d->vars.gpa = d->code.gpa - d->vars.size;
	d->code.slot = vm_memslot_map_ro(vm, d->code.gpa, d->code.size, d->code.map, err);
	if (d->code.slot < 0)
		return -1;
	d->vars.slot = vm_memslot_map_ro(vm, d->vars.gpa, d->vars.size, d->vars.map, err);
	if (d->vars.slot < 0)
		return -1;
	if (bus_register(&vm->mmio, d->code.gpa, d->code.size, &pflash_code_ops, d,
			 "firmware code flash", err))
		return -1;
	return bus_register(&vm->mmio, d->vars.gpa, d->vars.size, &pflash_vars_ops, d,
			    "firmware vars flash", err);
}

static int pflash_device_init(struct vm *vm, struct error *err)
{
	const struct vm_config *cfg = vm->cfg;
	if (!cfg->firmware)
		return 0;
	if (!cfg->firmware_vars)
		return err_setf(err, "firmware %s has no variable store: give [boot] vars = PATH (a "
				"copy of the firmware's vars template, like OVMF_VARS_4M.fd)",
				cfg->firmware);
	struct pflash_device *d = vm_device_new(vm, "pflash", sizeof(*d), pflash_device_destroy,
						err);
	if (!d)
		return -1;
	d->vm = vm;
	pthread_mutex_init(&d->lock, NULL);
	d->code = d->vars = (struct pflash_image){ .fd = -1, .slot = -1 };
	if (pflash_image_open(&d->code, cfg->firmware, false, "firmware", err) ||
	    pflash_image_open(&d->vars, cfg->firmware_vars, true, "vars file", err))
		return -1;
	pflash_init(&d->flash, d->vars.map, d->vars.size);
	if (pflash_map(d, err))
		return -1;
	log_info("firmware: %s (%llu KiB) at 0x%llx, vars %s (%llu KiB) at 0x%llx", cfg->firmware,
		 (unsigned long long)(d->code.size / KiB), (unsigned long long)d->code.gpa,
		 cfg->firmware_vars, (unsigned long long)(d->vars.size / KiB),
		 (unsigned long long)d->vars.gpa);
	return 0;
}

VMM_DEVICE(pflash_device) = {
	.name = "pflash",
	.order = VMM_ORDER_PLATFORM,
	.init = pflash_device_init,
};
