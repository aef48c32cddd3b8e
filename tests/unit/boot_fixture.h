/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the vmm/boot unit tests: a `struct vm` with real (memfd) guest
 * RAM and a layout, but no KVM, plus kernel/initrd "files" kept in memfds
 * and handed to the loader as /proc/self/fd/N paths.
 */
#ifndef PASSVM_TEST_BOOT_FIXTURE_H
#define PASSVM_TEST_BOOT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/config.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/vm.h"

struct boot_fixture {
	struct vm vm;
	struct vm_config cfg;
	int kernel_fd, initrd_fd;
	char kernel_path[64], initrd_path[64];
};

static inline struct boot_fixture *bf_new_cpus(uint64_t ram, unsigned cpus)
{
	struct boot_fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	config_defaults(&f->cfg);
	f->cfg.memory = ram;
	f->cfg.cpus = cpus;
	f->vm.cfg = &f->cfg;
	f->vm.nr_vcpus = cpus;
	f->vm.kvm_fd = f->vm.vm_fd = -1;
	f->kernel_fd = f->initrd_fd = -1;
	assert_int_equal(layout_compute(&f->vm.layout, ram, 46), 0);
	struct error err = { "" };
	if (gmem_create(&f->vm.mem, &f->vm.layout, GMEM_HUGE_NONE, NULL, &err))
		fail_msg("gmem_create: %s", err.msg);
	return f;
}

static inline struct boot_fixture *bf_new(uint64_t ram)
{
	return bf_new_cpus(ram, 1);
}

static inline int bf_memfd(const void *data, size_t len, uint64_t size, char *path, size_t plen)
{
	int fd = memfd_create("boot-test", MFD_CLOEXEC);
	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	if (size > len)
		assert_int_equal(ftruncate(fd, (off_t)size), 0);
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

static inline void bf_set_kernel(struct boot_fixture *f, const void *data, size_t len)
{
	if (f->kernel_fd >= 0)
		close(f->kernel_fd);
	f->kernel_fd = bf_memfd(data, len, len, f->kernel_path, sizeof(f->kernel_path));
	f->cfg.kernel = f->kernel_path;
}

/* An initrd of `size` bytes whose first `len` bytes are `data` (rest sparse zeros). */
static inline void bf_set_initrd(struct boot_fixture *f, const void *data, size_t len,
				 uint64_t size)
{
	if (f->initrd_fd >= 0)
		close(f->initrd_fd);
	f->initrd_fd = bf_memfd(data, len, size, f->initrd_path, sizeof(f->initrd_path));
	f->cfg.initrd = f->initrd_path;
}

static inline void bf_free(struct boot_fixture *f)
{
	gmem_destroy(&f->vm.mem);
	if (f->kernel_fd >= 0)
		close(f->kernel_fd);
	if (f->initrd_fd >= 0)
		close(f->initrd_fd);
	free(f);
}

static inline uint8_t *bf_ptr(struct boot_fixture *f, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(&f->vm.mem, gpa, len);
	assert_non_null(p);
	return p;
}

static inline uint32_t bf_rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t bf_rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

#define assert_contains(haystack, needle)                                              \
	do {                                                                           \
		if (!strstr((haystack), (needle)))                                     \
			fail_msg("'%s' does not contain '%s'", (haystack), (needle));  \
	} while (0)

#endif
