// SPDX-License-Identifier: GPL-2.0-only
/*
 * Direct boot: open the files, tell bzImage from ELF, and hand over to the
 * format loader. Also the pieces both loaders share: bounds-checked reads
 * into guest RAM, the command line and the initrd placement.
 */
#include "vmm/boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot/loader.h"
#include "vmm/vm.h"

#define PAGE_SIZE 4096ULL

int boot_read(const struct boot_file *f, uint64_t off, void *dst, uint64_t len,
	      struct error *err)
{
	if (off > f->size || len > f->size - off)
		return err_setf(err, "%s %s is truncated: needs bytes %llu..%llu but has only %llu",
				f->what, f->path, (unsigned long long)off,
				(unsigned long long)(off + len), (unsigned long long)f->size);
	uint8_t *p = dst;
	while (len) {
		size_t chunk = (size_t)MIN(len, 1ULL << 30);
		ssize_t n = pread(f->fd, p, chunk, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_setf(err, "cannot read %s %s: %s", f->what, f->path,
					strerror(errno));
		if (n == 0)
			return err_setf(err, "%s %s shrank while being read (at byte %llu)", f->what,
					f->path, (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int boot_read_to_guest(const struct boot_ctx *c, const struct boot_file *f, uint64_t off,
		       uint64_t len, uint64_t gpa, struct error *err)
{
	if (!len)
		return 0;
	void *dst = gmem_ptr(c->mem, gpa, len);
	if (!dst)
		return err_setf(err, "%s %s: %llu bytes at guest address 0x%llx do not fit in guest RAM",
				f->what, f->path, (unsigned long long)len, (unsigned long long)gpa);
	return boot_read(f, off, dst, len, err);
}

int boot_write_cmdline(const struct boot_ctx *c, uint64_t max_len, struct error *err)
{
	size_t len = strlen(c->cmdline);
	uint64_t room = MIN(max_len, LAYOUT_CMDLINE_MAX - 1);
	if (len > room)
		return err_setf(err, "the kernel command line is %zu bytes, the kernel accepts at most %llu",
				len, (unsigned long long)room);
	if (gmem_write(c->mem, LAYOUT_CMDLINE, c->cmdline, len + 1))
		return err_setf(err, "cannot write the kernel command line at 0x%llx: not guest RAM",
				(unsigned long long)LAYOUT_CMDLINE);
	return 0;
}

/* Highest page-aligned start for `size` bytes in [floor, limit); false if none. */
static bool initrd_fit(uint64_t size, uint64_t floor, uint64_t limit, uint64_t *at)
{
	floor = ALIGN_UP(floor, PAGE_SIZE);
	if (limit < floor || size > limit - floor)
		return false;
	*at = ALIGN_DOWN(limit - size, PAGE_SIZE);
	return *at >= floor;
}

int boot_load_initrd(const struct boot_ctx *c, uint64_t floor, uint64_t limit, bool allow_high,
		     uint64_t *addr, struct error *err)
{
	*addr = 0;
	if (c->initrd.fd < 0)
		return 0;
	const struct layout *l = c->layout;
	uint64_t size = c->initrd.size, at;
	limit = MIN(limit, l->low_ram_end);
	if (!initrd_fit(size, floor, limit, &at) &&
	    !(allow_high && initrd_fit(size, LAYOUT_4GIB, LAYOUT_4GIB + l->high_ram_size, &at))) {
		uint64_t room = limit > ALIGN_UP(floor, PAGE_SIZE) ? limit - ALIGN_UP(floor, PAGE_SIZE) : 0;
		if (allow_high)
			room = MAX(room, l->high_ram_size);
		return err_setf(err, "initrd %s is %llu MiB but at most %llu MiB of guest RAM is free "
				"for it (above the kernel at 0x%llx, below 0x%llx%s): give more "
				"--memory or use a smaller initrd",
				c->initrd.path, (unsigned long long)((size + MiB - 1) / MiB),
				(unsigned long long)(room / MiB), (unsigned long long)floor,
				(unsigned long long)limit,
				allow_high ? " or above 4 GiB" : "");
	}
	if (boot_read_to_guest(c, &c->initrd, 0, size, at, err))
		return -1;
	*addr = at;
	return 0;
}

bool bzimage_detect(const uint8_t *head, uint64_t len)
{
	return len >= 0x206 && !memcmp(head + 0x202, "HdrS", 4);
}

bool elf_detect(const uint8_t *head, uint64_t len)
{
	return len >= 4 && !memcmp(head, "\177ELF", 4);
}

static int boot_open(struct boot_file *f, const char *what, const char *path, struct error *err)
{
	f->what = what;
	f->path = path;
	f->size = 0;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return err_setf(err, "cannot open %s %s: %s", what, path, strerror(errno));
	struct stat st;
	if (fstat(f->fd, &st) < 0)
		return err_setf(err, "cannot stat %s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_setf(err, "%s %s is not a regular file", what, path);
	if (st.st_size <= 0)
		return err_setf(err, "%s %s is empty", what, path);
	f->size = (uint64_t)st.st_size;
	return 0;
}

int boot_load(struct vm *vm, struct boot_info *info, struct error *err)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (!cfg->kernel)
		return err_setf(err, "no kernel to boot: give --kernel FILE");

	struct boot_ctx c = {
		.mem = &vm->mem,
		.layout = &vm->layout,
		.kernel = { .fd = -1 },
		.initrd = { .fd = -1 },
		.cmdline = cfg->cmdline ? cfg->cmdline : BOOT_DEFAULT_CMDLINE,
		.rsdp = vm->acpi_rsdp,
	};
	struct vm_boot_entry entry = { 0 };
	int ret = -1;
	if (e820_build(&vm->layout, &c.e820, err))
		goto out;
	if (boot_open(&c.kernel, "kernel", cfg->kernel, err))
		goto out;
	if (cfg->initrd && boot_open(&c.initrd, "initrd", cfg->initrd, err))
		goto out;

	uint8_t head[0x210];
	uint64_t n = MIN(c.kernel.size, sizeof(head));
	if (boot_read(&c.kernel, 0, head, n, err))
		goto out;
	if (bzimage_detect(head, n))
		ret = bzimage_load(&c, info, &entry, err);
	else if (elf_detect(head, n))
		ret = pvh_load(&c, info, &entry, err);
	else
		err_setf(err, "kernel %s is neither a bzImage nor an ELF vmlinux", cfg->kernel);
	if (!ret) {
		vm->entry = entry;
		vm->entry_set = true;
		log_debug("boot: %s %s at 0x%llx-0x%llx, initrd %llu bytes at 0x%llx, entry 0x%llx",
			  info->format == BOOT_FORMAT_BZIMAGE ? "bzImage" : "PVH vmlinux",
			  cfg->kernel, (unsigned long long)info->kernel_addr,
			  (unsigned long long)info->kernel_end, (unsigned long long)info->initrd_size,
			  (unsigned long long)info->initrd_addr, (unsigned long long)entry.rip);
	}
out:
	if (c.kernel.fd >= 0)
		close(c.kernel.fd);
	if (c.initrd.fd >= 0)
		close(c.initrd.fd);
	return ret;
}

static int boot_device_init(struct vm *vm, struct error *err)
{
	if (!vm->cfg->kernel)
		return 0; /* vm_create() reports that there is nothing to boot */
	return boot_load(vm, NULL, err);
}

VMM_DEVICE(boot_device) = {
	.name = "boot",
	.order = VMM_ORDER_LATE + 5,
	.init = boot_device_init,
};
