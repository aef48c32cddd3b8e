/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the host-reading unit tests (check, gpus, hostcpu): a throwaway
 * sysfs tree and procfs tree under one temporary folder, laid out as Linux
 * lays out the real ones, so the code under test cannot tell them apart:
 *
 *   sys/devices/pci0000:00/DDDD:BB:SS.F/   vendor device class config
 *       subsystem_vendor subsystem_device reset_method boot_vga
 *       driver -> ../../../bus/pci/drivers/NAME
 *       iommu_group -> ../../../kernel/iommu_groups/N
 *   sys/bus/pci/devices/DDDD:BB:SS.F -> ../../../devices/pci0000:00/DDDD:BB:SS.F
 *   sys/bus/pci/drivers/NAME/DDDD:BB:SS.F -> ../../../../devices/pci0000:00/...
 *   sys/kernel/iommu_groups/N/devices/DDDD:BB:SS.F -> ../../../../devices/...
 *   sys/class/iommu/dmar0 -> ../../devices/virtual/iommu/dmar0 (intel-iommu/ecap)
 *   sys/devices/system/cpu/{online,isolated,nohz_full}
 *   sys/devices/system/cpu/cpuN/topology/{thread_siblings_list,core_id,
 *       physical_package_id}, cpuN/cache/indexI/{level,shared_cpu_list}
 *   sys/devices/cpu_core/cpus, sys/devices/cpu_atom/cpus (hybrid Intel PMUs)
 *   sys/kernel/mm/hugepages/hugepages-2048kB/{nr,free,resv}_hugepages
 *   sys/module/NAME[/parameters/P]
 *   proc/{cmdline,cpuinfo,interrupts,modules,self/status}
 *
 * Real devices sit below their bridge (pci0000:00/0000:00:01.0/0000:01:00.0);
 * here every device sits directly under pci0000:00: the code only follows the
 * bus/pci/devices links, and the flat layout keeps the relative links simple.
 * A tiny pci.ids with names of our own wording proves names come from it.
 */
#ifndef PASSVM_TEST_FAKE_SYSFS_H
#define PASSVM_TEST_FAKE_SYSFS_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

struct fake_host {
	char top[PATH_MAX];    /* the temporary folder */
	char sys[PATH_MAX];    /* top/sys: the sysfs root */
	char proc[PATH_MAX];   /* top/proc: the procfs root */
	char ids[PATH_MAX];    /* top/pci.ids */
};

/* ---- files ------------------------------------------------------------------- */

/* snprintf that fails the test instead of truncating a path. */
static inline void __attribute__((format(printf, 3, 4)))
fh_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		fail_msg("path too long: %s", buf);
}

/* mkdir -p of path's parent folders (path itself when `self`). */
static inline void fh_mkdirs(const char *path, int self)
{
	char buf[PATH_MAX];
	fh_fmt(buf, sizeof(buf), "%s", path);
	size_t len = strlen(buf);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && (buf[i] || !self))
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", buf, strerror(errno));
		buf[i] = saved;
	}
}

static inline void fh_vwrite(const char *root, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	fh_fmt(path, sizeof(path), "%s/%s", root, rel);
	fh_mkdirs(path, 0);
	FILE *f = fopen(path, "we");
	if (!f)
		fail_msg("create %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Write root/rel (folders made as needed) with printf text. */
static inline void __attribute__((format(printf, 3, 4)))
fh_write(const char *root, const char *rel, const char *fmt, ...)
{
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(text));
	fh_vwrite(root, rel, text, (size_t)n);
}

static inline void fh_mkdir(const char *root, const char *rel)
{
	char path[PATH_MAX];
	fh_fmt(path, sizeof(path), "%s/%s", root, rel);
	fh_mkdirs(path, 1);
}

/* root/rel -> target (relative, as sysfs links are). */
static inline void fh_link(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];
	fh_fmt(path, sizeof(path), "%s/%s", root, rel);
	fh_mkdirs(path, 0);
	unlink(path);
	if (symlink(target, path))
		fail_msg("symlink %s: %s", path, strerror(errno));
}

static inline void fh_remove(const char *root, const char *rel)
{
	char path[PATH_MAX];
	fh_fmt(path, sizeof(path), "%s/%s", root, rel);
	if (unlink(path) && rmdir(path))
		fail_msg("remove %s: %s", path, strerror(errno));
}

static int fh_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ---- the tree ------------------------------------------------------------------ */

static const char fh_pci_ids[] =
	"# pci.ids of the unit tests: the names say so, to prove where they came from\n"
	"1002  Test AMD\n"
	"\t67df  Ellesmere test [Radeon RX 580]\n"
	"\taaf0  Ellesmere test HDMI Audio\n"
	"\t744c  Navi 31 test [Radeon RX 7900 XTX]\n"
	"10de  Test NVIDIA\n"
	"\t2684  AD102 test [GeForce RTX 4090]\n"
	"\t22ba  AD102 test High Definition Audio Controller\n"
	"8086  Test Intel\n"
	"\t1901  Test PCIe Root Port x16\n"
	"\ta352  Test SATA AHCI Controller\n"
	"\ta3af  Test USB 3.1 xHCI\n"
	"C 01  Mass storage controller\n"
	"\t06  SATA controller\n"
	"C 03  Display controller\n"
	"\t00  VGA compatible controller\n"
	"C 04  Multimedia controller\n"
	"\t03  Audio device\n"
	"C 06  Bridge\n"
	"\t04  PCI bridge\n"
	"C 0c  Serial bus controller\n"
	"\t03  USB controller\n";

static inline struct fake_host *fh_new(void)
{
	struct fake_host *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	const char *tmp = getenv("TMPDIR");
	fh_fmt(h->top, sizeof(h->top), "%s/passvm-fake-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(h->top));
	fh_fmt(h->sys, sizeof(h->sys), "%s/sys", h->top);
	fh_fmt(h->proc, sizeof(h->proc), "%s/proc", h->top);
	fh_fmt(h->ids, sizeof(h->ids), "%s/pci.ids", h->top);
	fh_mkdir(h->sys, "bus/pci/devices");
	fh_mkdir(h->sys, "kernel/iommu_groups");
	fh_mkdir(h->sys, "class/iommu");
	fh_mkdir(h->proc, "self");
	fh_vwrite(h->top, "pci.ids", fh_pci_ids, sizeof(fh_pci_ids) - 1);
	return h;
}

static inline void fh_free(struct fake_host *h)
{
	if (!h)
		return;
	nftw(h->top, fh_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(h);
}

/* ---- PCI devices ------------------------------------------------------------ */

struct fh_pci {
	const char *addr;        /* "0000:01:00.0" */
	uint16_t vendor, device;
	uint32_t class_code;     /* 0x030000 */
	uint8_t header_type;     /* config 0x0e, multifunction bit included */
	const char *driver;      /* NULL: unbound */
	int group;               /* -1: no iommu_group link */
	const char *reset_method; /* NULL: no reset_method file */
	int boot_vga;            /* -1: no boot_vga file (not a VGA device) */
};

/* The 64 bytes of config space an unprivileged reader sees. */
static inline void fh_pci_config(struct fake_host *h, const char *dev, const struct fh_pci *p)
{
	uint8_t cfg[64] = { 0 };
	cfg[0] = (uint8_t)p->vendor;
	cfg[1] = (uint8_t)(p->vendor >> 8);
	cfg[2] = (uint8_t)p->device;
	cfg[3] = (uint8_t)(p->device >> 8);
	cfg[9] = (uint8_t)p->class_code;
	cfg[10] = (uint8_t)(p->class_code >> 8);
	cfg[11] = (uint8_t)(p->class_code >> 16);
	cfg[0x0e] = p->header_type;
	char rel[PATH_MAX];
	fh_fmt(rel, sizeof(rel), "%s/config", dev);
	fh_vwrite(h->sys, rel, cfg, sizeof(cfg));
}

static inline void fh_pci_bind(struct fake_host *h, const char *addr, const char *driver)
{
	char rel[PATH_MAX], target[PATH_MAX];
	fh_fmt(rel, sizeof(rel), "devices/pci0000:00/%s/driver", addr);
	if (!driver) {
		fh_fmt(target, sizeof(target), "%s/%s", h->sys, rel);
		unlink(target);
		return;
	}
	fh_fmt(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
	fh_link(h->sys, rel, target);
	fh_fmt(rel, sizeof(rel), "bus/pci/drivers/%s/%s", driver, addr);
	fh_fmt(target, sizeof(target), "../../../../devices/pci0000:00/%s", addr);
	fh_link(h->sys, rel, target);
}

static inline void fh_pci_add(struct fake_host *h, const struct fh_pci *p)
{
	char dev[PATH_MAX], rel[PATH_MAX], target[PATH_MAX];
	fh_fmt(dev, sizeof(dev), "devices/pci0000:00/%s", p->addr);
	fh_fmt(rel, sizeof(rel), "%s/vendor", dev);
	fh_write(h->sys, rel, "0x%04x\n", p->vendor);
	fh_fmt(rel, sizeof(rel), "%s/device", dev);
	fh_write(h->sys, rel, "0x%04x\n", p->device);
	fh_fmt(rel, sizeof(rel), "%s/class", dev);
	fh_write(h->sys, rel, "0x%06x\n", p->class_code);
	fh_fmt(rel, sizeof(rel), "%s/subsystem_vendor", dev);
	fh_write(h->sys, rel, "0x%04x\n", p->vendor);
	fh_fmt(rel, sizeof(rel), "%s/subsystem_device", dev);
	fh_write(h->sys, rel, "0x1234\n");
	fh_fmt(rel, sizeof(rel), "%s/driver_override", dev);
	fh_write(h->sys, rel, "(null)\n");
	fh_pci_config(h, dev, p);
	if (p->reset_method) {
		fh_fmt(rel, sizeof(rel), "%s/reset_method", dev);
		fh_write(h->sys, rel, "%s\n", p->reset_method);
		fh_fmt(rel, sizeof(rel), "%s/reset", dev);
		fh_write(h->sys, rel, "%s", "");
	}
	if (p->boot_vga >= 0) {
		fh_fmt(rel, sizeof(rel), "%s/boot_vga", dev);
		fh_write(h->sys, rel, "%d\n", p->boot_vga);
	}
	fh_fmt(rel, sizeof(rel), "bus/pci/devices/%s", p->addr);
	fh_fmt(target, sizeof(target), "../../../devices/pci0000:00/%s", p->addr);
	fh_link(h->sys, rel, target);
	fh_pci_bind(h, p->addr, p->driver);
	if (p->group >= 0) {
		fh_fmt(rel, sizeof(rel), "%s/iommu_group", dev);
		fh_fmt(target, sizeof(target), "../../../kernel/iommu_groups/%d", p->group);
		fh_link(h->sys, rel, target);
		fh_fmt(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/%s", p->group, p->addr);
		fh_fmt(target, sizeof(target), "../../../../devices/pci0000:00/%s", p->addr);
		fh_link(h->sys, rel, target);
	}
}

/* Common devices of the scenarios. */
static inline void fh_nvidia_card(struct fake_host *h, const char *gpu_driver, int group)
{
	fh_pci_add(h, &(struct fh_pci){ "0000:01:00.0", 0x10de, 0x2684, 0x030000, 0x80,
					gpu_driver, group, "flr bus", 0 });
	fh_pci_add(h, &(struct fh_pci){ "0000:01:00.1", 0x10de, 0x22ba, 0x040300, 0x80,
					gpu_driver && !strcmp(gpu_driver, "vfio-pci") ?
					"vfio-pci" : "snd_hda_intel", group, "flr bus", -1 });
}

static inline void fh_root_port(struct fake_host *h, const char *addr, int group)
{
	fh_pci_add(h, &(struct fh_pci){ addr, 0x8086, 0x1901, 0x060400, 0x81, "pcieport", group,
					NULL, -1 });
}

static inline void fh_sata(struct fake_host *h, const char *addr, int group)
{
	fh_pci_add(h, &(struct fh_pci){ addr, 0x8086, 0xa352, 0x010601, 0x00, "ahci", group,
					"flr", -1 });
}

/* ---- IOMMU, kernel, modules, procfs ------------------------------------------ */

/* An active Intel IOMMU unit; ecap is the hex capability word (bit 3: IR). */
static inline void fh_dmar(struct fake_host *h, const char *unit, unsigned long long ecap)
{
	char rel[PATH_MAX], target[PATH_MAX];
	fh_fmt(rel, sizeof(rel), "devices/virtual/iommu/%s/intel-iommu/ecap", unit);
	fh_write(h->sys, rel, "%llx\n", ecap);
	fh_fmt(rel, sizeof(rel), "class/iommu/%s", unit);
	fh_fmt(target, sizeof(target), "../../devices/virtual/iommu/%s", unit);
	fh_link(h->sys, rel, target);
}

static inline void fh_cpuinfo(struct fake_host *h, const char *vendor, const char *flags,
			      unsigned cpus)
{
	char text[8192];
	size_t used = 0;
	for (unsigned i = 0; i < cpus; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "processor\t: %u\nvendor_id\t: %s\ncpu family\t: 6\n"
					 "model name\t: Test CPU\nflags\t\t: fpu vme de pse %s\n\n",
					 i, vendor, flags);
	assert_true(used < sizeof(text));
	fh_vwrite(h->proc, "cpuinfo", text, used);
}

/* Loaded VFIO modules, as /sys/module shows them. */
static inline void fh_vfio_modules(struct fake_host *h, const char *unsafe_interrupts)
{
	fh_mkdir(h->sys, "module/vfio/parameters");
	fh_mkdir(h->sys, "module/vfio_pci/parameters");
	fh_write(h->sys, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", "%s\n",
		 unsafe_interrupts);
	fh_write(h->proc, "modules", "vfio_pci 16384 0 - Live 0x0000000000000000\n"
		 "vfio_iommu_type1 45056 0 - Live 0x0000000000000000\n"
		 "vfio 57344 2 vfio_pci,vfio_iommu_type1, Live 0x0000000000000000\n");
}

/* /proc/interrupts with remapped (IR-) or plain MSI chips. */
static inline void fh_interrupts(struct fake_host *h, int remapped)
{
	const char *ir = remapped ? "IR-" : "";
	fh_write(h->proc, "interrupts",
		 "           CPU0       CPU1\n"
		 "  0:         36          0   %sIO-APIC   2-edge      timer\n"
		 " 24:          0          0   %sPCI-MSI 458752-edge      PCIe PME\n"
		 "NMI:          0          0   Non-maskable interrupts\n", ir, ir);
}

/* A host that is ready for passthrough: Intel, VT-x, VT-d with IR, VFIO. */
static inline void fh_ready_host(struct fake_host *h)
{
	fh_cpuinfo(h, "GenuineIntel", "vmx ept", 2);
	fh_write(h->proc, "cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on "
		 "iommu=pt quiet\n");
	fh_write(h->sys, "firmware/acpi/tables/DMAR", "%s", "DMAR");
	fh_dmar(h, "dmar0", 0xf050daULL | 1u << 3);
	fh_dmar(h, "dmar1", 0xf050daULL | 1u << 3);
	fh_interrupts(h, 1);
	fh_vfio_modules(h, "N");
	fh_write(h->proc, "self/status", "Name:\ttest\nCapEff:\t0000000000000000\n");
}

/* ---- CPUs ------------------------------------------------------------------- */

/* One CPU: its sibling list, core and package, and its caches (L1d, L1i, L2
 * private to the core; L3 shared by `l3` when not NULL). */
static inline void fh_cpu(struct fake_host *h, unsigned cpu, const char *siblings, unsigned core,
			  unsigned package, const char *l3)
{
	char rel[PATH_MAX];
	const char *base = "devices/system/cpu";
	fh_fmt(rel, sizeof(rel), "%s/cpu%u/topology/thread_siblings_list", base, cpu);
	fh_write(h->sys, rel, "%s\n", siblings);
	fh_fmt(rel, sizeof(rel), "%s/cpu%u/topology/core_id", base, cpu);
	fh_write(h->sys, rel, "%u\n", core);
	fh_fmt(rel, sizeof(rel), "%s/cpu%u/topology/physical_package_id", base, cpu);
	fh_write(h->sys, rel, "%u\n", package);
	static const unsigned levels[] = { 1, 1, 2, 3 };
	for (unsigned i = 0; i < 4 && (i < 3 || l3); i++) {
		fh_fmt(rel, sizeof(rel), "%s/cpu%u/cache/index%u/level", base, cpu, i);
		fh_write(h->sys, rel, "%u\n", levels[i]);
		fh_fmt(rel, sizeof(rel), "%s/cpu%u/cache/index%u/shared_cpu_list", base, cpu, i);
		fh_write(h->sys, rel, "%s\n", i < 3 ? siblings : l3);
	}
}

#endif
