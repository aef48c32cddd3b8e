// SPDX-License-Identifier: GPL-2.0-only
/*
 * `passvm check PROFILE`: each passthrough device: does it exist, which
 * driver holds it, can it be reset, is it the boot GPU, and is its IOMMU
 * group viable once the profile's devices are bound to vfio-pci; and the
 * back end the profile asks for. The [passthrough] declaration's check.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio/host.h"
#include "vfio/names.h"
#include "vfio/options.h"

#define CHECK_MAX_PASSED (VFIO_MAX_PASSTHROUGH * 8)

/* The functions the profile passes through, whole slots expanded. */
struct check_passed {
	unsigned n;
	struct vfio_host_addr addrs[CHECK_MAX_PASSED];
	const char *romfile[CHECK_MAX_PASSED];
};

static void check_passed_add(struct check_passed *p, const struct vfio_host_addr *a,
			     const char *romfile)
{
	for (unsigned i = 0; i < p->n; i++)
		if (vfio_host_addr_eq(&p->addrs[i], a))
			return;
	if (p->n < CHECK_MAX_PASSED) {
		p->romfile[p->n] = romfile;
		p->addrs[p->n++] = *a;
	}
}

static void check_entry(struct report *r, const struct check_env *env,
			const struct passthrough_config *pc, struct check_passed *p)
{
	struct vfio_host_addr a = { pc->domain, pc->bus, pc->slot, pc->func };
	struct vfio_host_addr fns[8];
	unsigned n = 1;
	struct error err;
	fns[0] = a;
	if (pc->whole_slot && vfio_host_slot_functions(env->sysfs_root, &a, fns, &n, &err)) {
		report_fix(report_add(r, REPORT_FAIL, vfio_host_slot_fmt(&a).s, "%s", err.msg),
			   "correct the slot address in the profile (the card may sit in another "
			   "slot since a hardware change)");
		return;
	}
	if (!pc->whole_slot && !vfio_host_device_exists(env->sysfs_root, &a)) {
		report_fix(report_add(r, REPORT_FAIL, vfio_host_addr_fmt(&a).s, "no such PCI device "
				      "on this host"),
			   "list the GPUs with 'passvm gpus' (every device: 'lspci -D') and correct "
			   "the address in the profile");
		return;
	}
	for (unsigned i = 0; i < n; i++)
		check_passed_add(p, &fns[i], i == 0 ? pc->romfile : NULL);
}

/* "SATA controller: Intel Corporation ... [8086:a352]" */
static const char *check_describe(const struct check_env *env, const struct vfio_host_device *d,
				  char *buf, size_t len)
{
	char cls[128], name[256];
	snprintf(buf, len, "%s: %s [%04x:%04x]",
		 vfio_names_class(env->names, d->class_code, cls, sizeof(cls)),
		 vfio_names_device(env->names, d->vendor, d->device, name, sizeof(name)),
		 d->vendor, d->device);
	return buf;
}

/* "10de:2684,10de:22ba": the passed functions of d's slot, for vfio-pci.ids=. */
static void check_slot_ids(const struct check_env *env, const struct check_passed *p,
			   const struct vfio_host_device *d, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < p->n && used < len; i++) {
		struct vfio_host_device f;
		if (!vfio_host_same_slot(&p->addrs[i], &d->addr) ||
		    vfio_host_device_read(env->sysfs_root, &p->addrs[i], &f, NULL))
			continue;
		char id[16];
		snprintf(id, sizeof(id), "%04x:%04x", f.vendor, f.device);
		if (!strstr(buf, id))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", id);
	}
}

static void check_driver(struct report *r, const struct check_env *env,
			 const struct check_passed *p, const struct vfio_host_device *d,
			 const char *what)
{
	char ids[128];
	if (vfio_host_is_vfio_driver(d->driver)) {
		report_add(r, REPORT_OK, what, "%s already holds it", d->driver);
	} else if (!d->driver[0]) {
		report_add(r, REPORT_OK, what, "none: passvm binds it to vfio-pci at start");
	} else if (!strcmp(d->driver, "pci-stub")) {
		report_add(r, REPORT_OK, what, "pci-stub: passvm rebinds it to vfio-pci at start");
	} else if (vfio_host_is_gpu_driver(d->driver)) {
		check_slot_ids(env, p, d, ids, sizeof(ids));
		report_fix(report_add(r, REPORT_WARN, what, "%s holds it: passvm unbinds it at start, "
				      "which stalls or fails while anything uses the GPU (display "
				      "server, compositor, CUDA, %s)", d->driver,
				      strcmp(d->driver, "nvidia") ? "video decode" : "nvidia-persistenced"),
			   "stop what uses it before starting the VM, or give it to vfio-pci at boot: "
			   "'vfio-pci.ids=%s' on the kernel command line and 'softdep %s pre: "
			   "vfio-pci' in /etc/modprobe.d/vfio.conf", ids, d->driver);
	} else {
		report_add(r, REPORT_OK, what, "%s holds it: passvm unbinds it at start (the host "
			   "loses this function while the VM runs)", d->driver);
	}
}

/* root/rel exists */
static bool check_sysfs_has(const char *root, const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return !access(path, F_OK);
}

static void check_amd_reset(struct report *r, const struct check_env *env,
			    const struct vfio_host_device *d, const char *family, const char *what)
{
	if (strstr(d->reset_methods, "device_specific") &&
	    check_sysfs_has(env->sysfs_root, "module/vendor_reset")) {
		report_add(r, REPORT_OK, what, "AMD %s: vendor-reset's device_specific reset", family);
		return;
	}
	report_fix(report_add(r, REPORT_WARN, what, "AMD %s has the AMD reset bug: once a guest "
			      "used it, it may not work again (host or next VM) until the host "
			      "reboots", family),
		   "install vendor-reset (github.com/gnif/vendor-reset, built with dkms), load it "
		   "and run 'echo device_specific > %s/bus/pci/devices/%s/reset_method' as root",
		   env->sysfs_root, vfio_host_addr_fmt(&d->addr).s);
}

static void check_reset(struct report *r, const struct check_env *env,
			const struct vfio_host_device *d, const char *what)
{
	const char *family = vfio_host_amd_reset_bug(d);
	if (family) {
		check_amd_reset(r, env, d, family, what);
		return;
	}
	switch (d->reset) {
	case VFIO_HOST_RESET_METHODS:
		report_add(r, REPORT_OK, what, "%s", d->reset_methods);
		break;
	case VFIO_HOST_RESET_UNKNOWN:
		report_add(r, REPORT_OK, what, "resettable (this kernel predates reset_method, so "
			   "the method is not shown)");
		break;
	case VFIO_HOST_RESET_NONE:
		report_fix(report_add(r, REPORT_WARN, what, "no reset method: the device keeps the "
				      "state the last guest left; a guest reboot or second start may "
				      "find it hung"),
			   "nothing in passvm can reset it; a host suspend/resume or reboot does");
		break;
	}
}

static unsigned check_host_gpus(const struct check_env *env)
{
	struct vfio_host_addr *all;
	unsigned n, gpus = 0;
	if (vfio_host_scan(env->sysfs_root, &all, &n, NULL))
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct vfio_host_device d;
		gpus += !vfio_host_device_read(env->sysfs_root, &all[i], &d, NULL) &&
			vfio_host_is_gpu(&d);
	}
	free(all);
	return gpus;
}

/*
 * The boot GPU carries the firmware console and the framebuffer the kernel
 * inherits from it (efifb/simpledrm). Since Linux 6.0 vfio-pci evicts that
 * framebuffer itself; before, it kept the BAR reserved and the VM's BAR
 * mapping failed unless the command line removed it.
 */
static void check_boot_gpu(struct report *r, const struct check_env *env,
			   const struct vfio_host_device *d, const char *what)
{
	bool only = check_host_gpus(env) <= 1;
	report_fix(report_add(r, REPORT_WARN, what, "this is the boot GPU (boot_vga=1): the host's "
			      "console lives on it and goes dark while the VM runs%s",
			      only ? "; it is the host's only GPU: reach the host over SSH" : ""),
		   "%s; on kernels before 6.0 also add video=efifb:off to the kernel command line "
		   "so its framebuffer lets go of the GPU's memory",
		   only ? "plan for a headless host" :
		   "make another GPU primary in the firmware setup if you can");
}

static void check_romfile(struct report *r, const char *romfile, const char *what)
{
	if (!romfile)
		return;
	if (!access(romfile, R_OK))
		report_add(r, REPORT_OK, what, "%s", romfile);
	else
		report_fix(report_add(r, REPORT_FAIL, what, "cannot read %s", romfile),
			   "fix the romfile path in the profile (a dump of the card's own ROM, or "
			   "one from the vendor for this exact model)");
}

/* "256 MiB", "16 GiB" (sizes here are powers of two of at least 1 MiB). */
static const char *check_mib_text(uint64_t bytes, char *buf, size_t len)
{
	uint64_t mib = bytes >> 20;
	if (mib >= 1024 && !(mib % 1024))
		snprintf(buf, len, "%llu GiB", (unsigned long long)(mib / 1024));
	else
		snprintf(buf, len, "%llu MiB", (unsigned long long)mib);
	return buf;
}

/*
 * Resizable BAR: the guest gets the BAR at the size the host gave it. A GPU
 * left at its small default (often 256 MiB) works, but its driver reaches
 * VRAM through that window ("Resizable BAR"/"Smart Access Memory" off).
 */
static void check_rebar(struct report *r, const struct check_env *env,
			const struct vfio_host_device *d, const char *what)
{
	struct vfio_host_rebar rb[6];
	unsigned n = vfio_host_rebar_read(env->sysfs_root, &d->addr, rb);
	struct vfio_host_addr_str as = vfio_host_addr_fmt(&d->addr);
	for (unsigned i = 0; i < n; i++) {
		unsigned top = 63u - (unsigned)__builtin_clzll(rb[i].sizes);
		uint64_t largest = (1ull << top) << 20;
		char now[32], max[32];
		check_mib_text(largest, max, sizeof(max));
		if (rb[i].size >= largest) {
			report_add(r, REPORT_OK, what, "BAR%u: %s, the largest it can have; the "
				   "guest sees Resizable BAR on", rb[i].bar, max);
			continue;
		}
		check_mib_text(rb[i].size, now, sizeof(now));
		report_fix(report_add(r, REPORT_WARN, what, "BAR%u is %s but can be %s: the "
				      "guest gets %s (GPU drivers then reach memory through a "
				      "small window: Resizable BAR / Smart Access Memory off)",
				      rb[i].bar, rb[i].size ? now : "unassigned", max,
				      rb[i].size ? now : "no BAR"),
			   "turn on 'Above 4G Decoding' and 'Resizable BAR' in the firmware setup; "
			   "or, as root, while no driver holds the device (%s): 'echo %u > "
			   "%s/bus/pci/devices/%s/resource%u_resize' (%u = log2 of the size in MiB; "
			   "'No space left on device' means the firmware's window is too small)",
			   d->driver[0] ? "unbind it first" : "it is unbound now", top,
			   env->sysfs_root, as.s, rb[i].bar, top);
	}
}

/* "0000:00:17.0 (SATA controller: ... [8086:a352], driver ahci); ..." */
static void check_offender_list(const struct check_env *env, const struct vfio_host_group *g,
				const unsigned *off, unsigned n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n && used < len; i++) {
		const struct vfio_host_device *m = &g->members[off[i]];
		char desc[400];
		used += (size_t)snprintf(buf + used, len - used, "%s%s (%s, driver %s)",
					 i ? "; " : "", vfio_host_addr_fmt(&m->addr).s,
					 check_describe(env, m, desc, sizeof(desc)), m->driver);
	}
}

/* Offenders in the slot of a passed device are its own functions: pass them too. */
static void check_offender_fix(struct report_line *l, const struct check_passed *p,
			       const struct vfio_host_group *g, const unsigned *off, unsigned n)
{
	char same[128] = "", other[128] = "";
	size_t us = 0, uo = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct vfio_host_addr *a = &g->members[off[i]].addr;
		bool sibling = false;
		for (unsigned j = 0; j < p->n; j++)
			sibling |= vfio_host_same_slot(a, &p->addrs[j]);
		if (sibling && us < sizeof(same))
			us += (size_t)snprintf(same + us, sizeof(same) - us, "%s%s", us ? " " : "",
					       vfio_host_addr_fmt(a).s);
		else if (!sibling && uo < sizeof(other))
			uo += (size_t)snprintf(other + uo, sizeof(other) - uo, "%s%s", uo ? " " : "",
					       vfio_host_addr_fmt(a).s);
	}
	report_fix(l, "%s%s%s%s%s", us ? "pass " : "", same,
		   us ? " through too (add it to the profile's passthrough section, or give the "
			"whole slot)" : "",
		   us && uo ? "; " : "",
		   uo ? "this group is not isolated from devices the host uses: move the card to a "
			"slot with a group of its own (usually the CPU-attached x16 slot), or bind "
			"those devices to vfio-pci if the host can do without them. The ACS override "
			"patch (pcie_acs_override=) only pretends the group is split: the devices "
			"could still reach each other's memory" : "");
}

static void check_group(struct report *r, const struct check_env *env,
			const struct check_passed *p, int id)
{
	static const size_t list_len = 2048;
	char what[32];
	snprintf(what, sizeof(what), "IOMMU group %d", id);
	struct vfio_host_group *g = malloc(sizeof(*g));
	char *list = malloc(list_len);
	struct error err;
	unsigned off[VFIO_HOST_GROUP_MAX], n_off;
	if (!g || !list) {
		report_fix(report_add(r, REPORT_FAIL, what, "out of memory"), "run it again");
	} else if (vfio_host_group_read(env->sysfs_root, id, g, &err)) {
		report_fix(report_add(r, REPORT_FAIL, what, "%s", err.msg),
			   "see 'ls %s/kernel/iommu_groups/%d/devices' and dmesg: the IOMMU may "
			   "have failed to set up this group", env->sysfs_root, id);
	} else if (vfio_group_viable(g, p->addrs, p->n, off, &n_off)) {
		report_add(r, REPORT_OK, what, "viable: %u device%s, none held by a host driver once "
			   "passvm binds the profile's", g->n, g->n == 1 ? "" : "s");
	} else {
		check_offender_list(env, g, off, n_off, list, list_len);
		check_offender_fix(report_add(r, REPORT_FAIL, what, "not viable: also holds %s", list),
				   p, g, off, n_off);
	}
	free(list);
	free(g);
}

static void check_one_device(struct report *r, const struct check_env *env,
			     const struct check_passed *p, unsigned i, int *groups, unsigned *ng)
{
	const struct vfio_host_addr *a = &p->addrs[i];
	struct vfio_host_addr_str as = vfio_host_addr_fmt(a);
	const char *addr = as.s;
	char what[REPORT_WHAT_LEN], desc[400];
	struct vfio_host_device d;
	struct error err;
	if (vfio_host_device_read(env->sysfs_root, a, &d, &err)) {
		report_fix(report_add(r, REPORT_FAIL, addr, "%s", err.msg),
			   "check the device with 'lspci -vvv -s %s' and dmesg; if it was unplugged "
			   "or hidden, correct the profile", addr);
		return;
	}
	report_add(r, REPORT_OK, addr, "%s", check_describe(env, &d, desc, sizeof(desc)));
	snprintf(what, sizeof(what), "%s driver", addr);
	check_driver(r, env, p, &d, what);
	snprintf(what, sizeof(what), "%s reset", addr);
	check_reset(r, env, &d, what);
	snprintf(what, sizeof(what), "%s boot GPU", addr);
	if (d.boot_vga)
		check_boot_gpu(r, env, &d, what);
	snprintf(what, sizeof(what), "%s Resizable BAR", addr);
	check_rebar(r, env, &d, what);
	snprintf(what, sizeof(what), "%s ROM file", addr);
	check_romfile(r, p->romfile[i], what);
	snprintf(what, sizeof(what), "%s IOMMU group", addr);
	if (d.iommu_group < 0) {
		report_fix(report_add(r, REPORT_FAIL, what, "in no IOMMU group: nothing can be "
				      "passed through without an active IOMMU"),
			   "turn the IOMMU on: the IOMMU line above says how");
		return;
	}
	for (unsigned k = 0; k < *ng; k++)
		if (groups[k] == d.iommu_group)
			return;
	groups[(*ng)++] = d.iommu_group;
	check_group(r, env, p, d.iommu_group);
}

static void check_devices(struct report *r, const struct check_env *env,
			  const struct vfio_config *vc)
{
	struct check_passed p = { 0 };
	int groups[CHECK_MAX_PASSED];
	unsigned ng = 0;
	for (unsigned i = 0; i < vc->n && i < VFIO_MAX_PASSTHROUGH; i++)
		check_entry(r, env, &vc->devices[i], &p);
	for (unsigned i = 0; i < p.n; i++)
		check_one_device(r, env, &p, i, groups, &ng);
}

/* vfio = iommufd: the kernel must have iommufd (its misc device "iommu",
 * /dev/iommu) and give devices a VFIO cdev (vfio-dev/vfioN/dev once bound). */
static void check_backend(struct report *r, const struct check_env *env,
			  const struct vfio_config *vc)
{
	if (vc->backend != VFIO_BACKEND_IOMMUFD || !vc->n)
		return;
	if (!check_sysfs_has(env->sysfs_root, "class/misc/iommu"))
		report_fix(report_add(r, REPORT_FAIL, "VFIO back end", "vfio = iommufd, but this "
				      "kernel has no iommufd (no %s/class/misc/iommu)",
				      env->sysfs_root),
			   "'modprobe iommufd' if the kernel has it as a module (Linux 6.2+, "
			   "CONFIG_IOMMUFD; the device cdev needs 6.6+ and "
			   "CONFIG_VFIO_DEVICE_CDEV), else set vfio = auto or container in "
			   "[machine]");
	else
		report_add(r, REPORT_OK, "VFIO back end", "iommufd (/dev/iommu) with the devices' "
			   "VFIO cdevs");
}

void vfio_check(struct report *r, const struct check_env *env, const struct vm_config *cfg)
{
	const struct vfio_config *vc = vfio_config(cfg);
	check_devices(r, env, vc);
	check_backend(r, env, vc);
}
