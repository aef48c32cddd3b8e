// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/memory.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/memfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int gmem_check_hugepages(uint64_t size, enum gmem_hugepages huge, const char *sysfs,
				struct error *err)
{
	uint64_t page = huge == GMEM_HUGE_1G ? GiB : 2 * MiB;
	const char *dir = huge == GMEM_HUGE_1G ? "hugepages-1048576kB" : "hugepages-2048kB";
	if (size % page)
		return err_setf(err, "guest memory %llu MiB is not a multiple of the %llu MiB huge page size",
				(unsigned long long)(size / MiB), (unsigned long long)(page / MiB));
	char path[512], buf[64];
	snprintf(path, sizeof(path), "%s/kernel/mm/hugepages/%s/free_hugepages", sysfs, dir);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return err_setf(err, "this host has no %s huge pages (%s is missing): "
				"enable hugetlbfs in the kernel or turn hugepages off",
				dir, path);
	unsigned long long have = strtoull(buf, NULL, 10);
	unsigned long long need = size / page;
	if (have < need)
		return err_setf(err,
			"need %llu free %s huge pages for %llu MiB of guest RAM, the host has %llu free: "
			"run 'echo %llu > %s/kernel/mm/hugepages/%s/nr_hugepages' as root "
			"(or add hugepages to the kernel command line)",
			need, huge == GMEM_HUGE_1G ? "1 GiB" : "2 MiB",
			(unsigned long long)(size / MiB), have, need, sysfs, dir);
	return 0;
}

int gmem_create(struct gmem *m, const struct layout *l, enum gmem_hugepages huge,
		const char *sysfs_root, struct error *err)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->size = l->ram_size;
	m->huge = huge;
	if (!m->size)
		return err_setf(err, "guest memory size is 0");

	unsigned flags = MFD_CLOEXEC;
	if (huge != GMEM_HUGE_NONE) {
		if (gmem_check_hugepages(m->size, huge, sysfs_root ? sysfs_root : "/sys", err))
			return -1;
		flags |= MFD_HUGETLB | (huge == GMEM_HUGE_1G ? MFD_HUGE_1GB : MFD_HUGE_2MB);
	}
	m->fd = memfd_create("passvm-ram", flags);
	if (m->fd < 0)
		return err_setf(err, "cannot create guest RAM (memfd_create): %s", strerror(errno));
	if (ftruncate(m->fd, (off_t)m->size) < 0) {
		err_setf(err, "cannot size guest RAM to %llu MiB: %s",
			 (unsigned long long)(m->size / MiB), strerror(errno));
		goto fail;
	}
	/* Prefault hugetlb pages so a short pool fails now, not with SIGBUS later. */
	int mflags = MAP_SHARED | MAP_NORESERVE | (huge != GMEM_HUGE_NONE ? MAP_POPULATE : 0);
	m->base = mmap(NULL, m->size, PROT_READ | PROT_WRITE, mflags, m->fd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		err_setf(err, "cannot map %llu MiB of guest RAM: %s",
			 (unsigned long long)(m->size / MiB), strerror(errno));
		goto fail;
	}

	m->regions[0] = (struct gmem_region){ .gpa = 0, .size = l->low_ram_end,
					      .host = m->base, .fd_offset = 0 };
	m->nr_regions = 1;
	if (l->high_ram_size) {
		m->regions[1] = (struct gmem_region){ .gpa = LAYOUT_4GIB, .size = l->high_ram_size,
						      .host = m->base + l->low_ram_end,
						      .fd_offset = l->low_ram_end };
		m->nr_regions = 2;
	}
	return 0;
fail:
	gmem_destroy(m);
	return -1;
}

int gmem_register(const struct gmem *m, int vm_fd, struct error *err)
{
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->host,
		};
		if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			return err_setf(err, "KVM refused guest RAM slot %u (%llu MiB at 0x%llx): %s", i,
					(unsigned long long)(r->size / MiB),
					(unsigned long long)r->gpa, strerror(errno));
	}
	return 0;
}

void gmem_destroy(struct gmem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->base = NULL;
	m->fd = -1;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		/* off < size and len <= size - off: no overflow possible */
		if (off < r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);
	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);
	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}
