// SPDX-License-Identifier: GPL-2.0-only
#include "vfio/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- one device ---------------------------------------------------------- */

static int host_dev_path(char *buf, size_t len, const char *sysfs, const struct vfio_host_addr *a,
			 const char *attr)
{
	int n = snprintf(buf, len, "%s/bus/pci/devices/%s/%s", sysfs, vfio_host_addr_fmt(a).s, attr);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

bool vfio_host_device_exists(const char *sysfs, const struct vfio_host_addr *a)
{
	char path[PATH_MAX];
	struct stat st;
	return !host_dev_path(path, sizeof(path), sysfs, a, "") && !stat(path, &st) &&
	       S_ISDIR(st.st_mode);
}

/* A sysfs hex attribute ("0x10de"); -errno when missing, -EINVAL on junk. */
static int host_read_hex(const char *sysfs, const struct vfio_host_addr *a, const char *attr,
			 unsigned long *out)
{
	char path[PATH_MAX], buf[64];
	if (host_dev_path(path, sizeof(path), sysfs, a, attr))
		return -ENAMETOOLONG;
	int r = read_small_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	char *end;
	errno = 0;
	*out = strtoul(buf, &end, 16);
	return errno || end == buf || *end ? -EINVAL : 0;
}

/* The last path element a symlink points to ("nvidia", "14"); "" when absent. */
static void host_link_base(const char *sysfs, const struct vfio_host_addr *a, const char *attr,
			   char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	out[0] = '\0';
	if (host_dev_path(path, sizeof(path), sysfs, a, attr))
		return;
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	size_t l = strlen(base);
	if (l >= len)
		l = len - 1;
	memcpy(out, base, l);
	out[l] = '\0';
}

static int host_read_ids(const char *sysfs, struct vfio_host_device *d, struct error *err)
{
	static const char *const attrs[] = { "vendor", "device", "class" };
	unsigned long v[3];
	for (unsigned i = 0; i < ARRAY_SIZE(attrs); i++) {
		int r = host_read_hex(sysfs, &d->addr, attrs[i], &v[i]);
		struct vfio_host_addr_str as = vfio_host_addr_fmt(&d->addr);
		const char *addr = as.s;
		if (r == -EINVAL)
			return err_setf(err, "PCI device %s: %s/bus/pci/devices/%s/%s holds no hex "
					"number (sysfs is not what Linux writes there)", addr, sysfs,
					addr, attrs[i]);
		if (r < 0)
			return err_setf(err, "PCI device %s: cannot read %s/bus/pci/devices/%s/%s: %s",
					addr, sysfs, addr, attrs[i], strerror(-r));
	}
	d->vendor = (uint16_t)v[0];
	d->device = (uint16_t)v[1];
	d->class_code = (uint32_t)v[2] & 0xffffff;
	unsigned long sv = 0, sd = 0;
	if (!host_read_hex(sysfs, &d->addr, "subsystem_vendor", &sv) &&
	    !host_read_hex(sysfs, &d->addr, "subsystem_device", &sd)) {
		d->subsys_vendor = (uint16_t)sv;
		d->subsys_device = (uint16_t)sd;
	}
	return 0;
}

/* Config byte 0x0e; unprivileged readers see the first 64 bytes, enough for it. */
static uint8_t host_read_header_type(const char *sysfs, const struct vfio_host_addr *a)
{
	char path[PATH_MAX];
	uint8_t ht = VFIO_HOST_HEADER_UNKNOWN;
	if (host_dev_path(path, sizeof(path), sysfs, a, "config"))
		return ht;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ht;
	if (pread(fd, &ht, 1, 0x0e) != 1)
		ht = VFIO_HOST_HEADER_UNKNOWN;
	close(fd);
	return ht == VFIO_HOST_HEADER_UNKNOWN ? ht : (uint8_t)(ht & 0x7f);
}

static void host_read_text(const char *sysfs, const struct vfio_host_addr *a, const char *attr,
			   char *out, size_t len)
{
	char path[PATH_MAX];
	out[0] = '\0';
	if (!host_dev_path(path, sizeof(path), sysfs, a, attr) && read_small_file(path, out, len) < 0)
		out[0] = '\0';
}

/*
 * reset_method (Linux 5.15+) lists the usable methods and is hidden when
 * there are none; older kernels only have `reset`, present when one exists.
 */
static void host_read_reset(const char *sysfs, struct vfio_host_device *d)
{
	char path[PATH_MAX];
	d->reset = VFIO_HOST_RESET_NONE;
	host_read_text(sysfs, &d->addr, "reset_method", d->reset_methods, sizeof(d->reset_methods));
	if (d->reset_methods[0]) {
		d->reset = VFIO_HOST_RESET_METHODS;
		return;
	}
	if (!host_dev_path(path, sizeof(path), sysfs, &d->addr, "reset_method") && !access(path, F_OK))
		return;   /* present but empty: every method was turned off */
	if (!host_dev_path(path, sizeof(path), sysfs, &d->addr, "reset") && !access(path, F_OK))
		d->reset = VFIO_HOST_RESET_UNKNOWN;
}

/* BAR n's size from `resource` ("start end flags" a line, one per resource). */
static uint64_t host_bar_size(const char *sysfs, const struct vfio_host_addr *a, unsigned n)
{
	char path[PATH_MAX];
	unsigned long long start = 0, end = 0, flags;
	if (host_dev_path(path, sizeof(path), sysfs, a, "resource"))
		return 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	bool ok = true;
	for (unsigned i = 0; i <= n && ok; i++)
		ok = fscanf(f, "%llx %llx %llx", &start, &end, &flags) == 3;
	fclose(f);
	return ok && start && end > start ? end - start + 1 : 0;
}

unsigned vfio_host_rebar_read(const char *sysfs, const struct vfio_host_addr *a,
			      struct vfio_host_rebar out[6])
{
	unsigned n = 0;
	for (unsigned bar = 0; bar < 6; bar++) {
		char attr[32];
		unsigned long sizes;
		snprintf(attr, sizeof(attr), "resource%u_resize", bar);
		if (host_read_hex(sysfs, a, attr, &sizes) || !sizes)
			continue;
		out[n++] = (struct vfio_host_rebar){ bar, host_bar_size(sysfs, a, bar), sizes };
	}
	return n;
}

int vfio_host_device_read(const char *sysfs, const struct vfio_host_addr *a,
			  struct vfio_host_device *d, struct error *err)
{
	memset(d, 0, sizeof(*d));
	d->addr = *a;
	if (!vfio_host_device_exists(sysfs, a))
		return err_setf(err, "no PCI device %s on this host (%s/bus/pci/devices/%s is missing): "
				"list the GPUs with 'passvm gpus', every device with 'lspci -D'",
				vfio_host_addr_fmt(a).s, sysfs, vfio_host_addr_fmt(a).s);
	if (host_read_ids(sysfs, d, err))
		return -1;
	d->header_type = host_read_header_type(sysfs, a);
	host_link_base(sysfs, a, "driver", d->driver, sizeof(d->driver));
	host_read_text(sysfs, a, "driver_override", d->driver_override, sizeof(d->driver_override));
	if (!strcmp(d->driver_override, "(null)"))
		d->driver_override[0] = '\0';
	char group[32];
	host_link_base(sysfs, a, "iommu_group", group, sizeof(group));
	char *end;
	long id = strtol(group, &end, 10);
	d->iommu_group = group[0] && !*end && id >= 0 && id <= INT_MAX ? (int)id : -1;
	char vga[8];
	host_read_text(sysfs, a, "boot_vga", vga, sizeof(vga));
	d->boot_vga = !strcmp(vga, "1");
	host_read_reset(sysfs, d);
	return 0;
}

/* ---- what a device is ---------------------------------------------------- */

bool vfio_host_is_gpu(const struct vfio_host_device *d)
{
	return (d->class_code >> 16) == 0x03;
}

/* The kernel exempts every non-normal header (PCI-PCI and CardBus bridges). */
bool vfio_host_is_bridge(const struct vfio_host_device *d)
{
	if (d->header_type != VFIO_HOST_HEADER_UNKNOWN)
		return d->header_type == 1 || d->header_type == 2;
	return (d->class_code >> 8) == 0x0604;
}

bool vfio_host_is_gpu_companion(const struct vfio_host_device *d)
{
	switch (d->class_code >> 8) {
	case 0x0403:   /* HDMI/DP audio */
	case 0x0c03:   /* USB controller of a USB-C port */
	case 0x0c80:   /* USB-C UCSI controller */
		return true;
	default:
		return false;
	}
}

bool vfio_host_is_gpu_driver(const char *driver)
{
	static const char *const gpu_drivers[] = {
		"nvidia", "nouveau", "amdgpu", "radeon", "i915", "xe",
	};
	for (unsigned i = 0; i < ARRAY_SIZE(gpu_drivers); i++)
		if (!strcmp(driver, gpu_drivers[i]))
			return true;
	return false;
}

/* vfio-pci, or a vendor variant such as mlx5_vfio_pci: all are vfio drivers. */
bool vfio_host_is_vfio_driver(const char *driver)
{
	return strstr(driver, "vfio-pci") || strstr(driver, "vfio_pci");
}

/*
 * Device ids of the AMD families that need a vendor-specific reset (BACO/
 * mode1 sequences) to come back after a guest used them; vendor-reset
 * implements it (these are the families it knows).
 */
struct host_amd_family {
	const char *name;
	uint16_t ids[16];
};

static const struct host_amd_family host_amd_reset_bug[] = {
	{ "Polaris 10", { 0x67c0, 0x67c1, 0x67c2, 0x67c4, 0x67c7, 0x67c8, 0x67c9, 0x67ca,
			  0x67cc, 0x67cf, 0x67d0, 0x67df, 0x6fdf } },
	{ "Polaris 11", { 0x67e0, 0x67e1, 0x67e3, 0x67e7, 0x67e8, 0x67e9, 0x67eb, 0x67ef,
			  0x67ff } },
	{ "Polaris 12", { 0x6980, 0x6981, 0x6985, 0x6986, 0x6987, 0x6995, 0x6997, 0x699f } },
	{ "Vega 10", { 0x6860, 0x6861, 0x6862, 0x6863, 0x6864, 0x6867, 0x6868, 0x6869,
		       0x686a, 0x686b, 0x686c, 0x686d, 0x686e, 0x686f, 0x687f } },
	{ "Vega 20", { 0x66a0, 0x66a1, 0x66a2, 0x66a3, 0x66a4, 0x66a7, 0x66af } },
	{ "Navi 10", { 0x7310, 0x7312, 0x7318, 0x7319, 0x731a, 0x731b, 0x731e, 0x731f } },
	{ "Navi 12", { 0x7360, 0x7362 } },
	{ "Navi 14", { 0x7340, 0x7341, 0x7347, 0x734f } },
};

const char *vfio_host_amd_reset_bug(const struct vfio_host_device *d)
{
	if (d->vendor != 0x1002 || !vfio_host_is_gpu(d))
		return NULL;
	for (unsigned f = 0; f < ARRAY_SIZE(host_amd_reset_bug); f++)
		for (unsigned i = 0; i < ARRAY_SIZE(host_amd_reset_bug[f].ids); i++)
			if (host_amd_reset_bug[f].ids[i] && host_amd_reset_bug[f].ids[i] == d->device)
				return host_amd_reset_bug[f].name;
	return NULL;
}

/* ---- listing devices ----------------------------------------------------- */

/* qsort() order of listed addresses (vfio_host_addr_cmp). */
static int host_addr_qsort_cmp(const void *a, const void *b)
{
	return vfio_host_addr_cmp(a, b);
}

static int host_list_dir(const char *dir, const char *sysfs_what, struct vfio_host_addr **out,
			 unsigned *n, struct error *err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return err_setf(err, "cannot list %s (%s): %s", sysfs_what, dir, strerror(errno));
	unsigned cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct vfio_host_addr a;
		if (e->d_name[0] == '.' || vfio_host_addr_parse(e->d_name, &a, NULL, NULL))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			struct vfio_host_addr *grown = realloc(*out, cap * sizeof(**out));
			if (!grown) {
				closedir(d);
				free(*out);
				*out = NULL;
				return err_setf(err, "out of memory listing %s", dir);
			}
			*out = grown;
		}
		(*out)[(*n)++] = a;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), host_addr_qsort_cmp);
	return 0;
}

int vfio_host_scan(const char *sysfs, struct vfio_host_addr **out, unsigned *n,
		   struct error *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/bus/pci/devices", sysfs);
	return host_list_dir(dir, "the PCI devices", out, n, err);
}

int vfio_host_slot_functions(const char *sysfs, const struct vfio_host_addr *a,
			     struct vfio_host_addr out[8], unsigned *n, struct error *err)
{
	struct vfio_host_addr *all;
	unsigned nall;
	*n = 0;
	if (vfio_host_scan(sysfs, &all, &nall, err))
		return -1;
	for (unsigned i = 0; i < nall && *n < 8; i++)
		if (vfio_host_same_slot(&all[i], a))
			out[(*n)++] = all[i];
	free(all);
	if (!*n)
		return err_setf(err, "no PCI device in slot %s on this host: list the GPUs with "
				"'passvm gpus', every device with 'lspci -D'",
				vfio_host_slot_fmt(a).s);
	return 0;
}

/* ---- IOMMU groups -------------------------------------------------------- */

static int host_group_add(const char *sysfs, struct vfio_host_group *g,
			  const struct vfio_host_addr *a, struct error *err)
{
	if (g->n == VFIO_HOST_GROUP_MAX)
		return err_setf(err, "IOMMU group %d has more than %d devices: passthrough from a "
				"group that large is not supported", g->id, VFIO_HOST_GROUP_MAX);
	/* A member that vanished since the listing holds nothing: skip it. */
	if (vfio_host_device_read(sysfs, a, &g->members[g->n], NULL))
		return 0;
	g->n++;
	return 0;
}

int vfio_host_group_read(const char *sysfs, int id, struct vfio_host_group *g,
			 struct error *err)
{
	char dir[PATH_MAX];
	char what[48];
	g->id = id;
	g->n = 0;
	snprintf(dir, sizeof(dir), "%s/kernel/iommu_groups/%d/devices", sysfs, id);
	snprintf(what, sizeof(what), "IOMMU group %d", id);
	struct vfio_host_addr *addrs;
	unsigned n;
	if (host_list_dir(dir, what, &addrs, &n, err))
		return -1;
	int r = 0;
	for (unsigned i = 0; i < n && !r; i++)
		r = host_group_add(sysfs, g, &addrs[i], err);
	free(addrs);
	return r;
}

static bool host_addr_listed(const struct vfio_host_addr *a, const struct vfio_host_addr *list,
			     unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (vfio_host_addr_eq(a, &list[i]))
			return true;
	return false;
}

enum vfio_member_state vfio_group_member_state(const struct vfio_host_device *m,
					       const struct vfio_host_addr *passed,
					       unsigned n_passed)
{
	if (host_addr_listed(&m->addr, passed, n_passed))
		return VFIO_MEMBER_PASSED;
	if (vfio_host_is_vfio_driver(m->driver))
		return VFIO_MEMBER_VFIO;
	if (!strcmp(m->driver, "pci-stub"))
		return VFIO_MEMBER_STUB;
	if (!m->driver[0])
		return VFIO_MEMBER_UNBOUND;
	if (vfio_host_is_bridge(m))
		return VFIO_MEMBER_BRIDGE;
	return VFIO_MEMBER_BLOCKS;
}

bool vfio_group_viable(const struct vfio_host_group *g, const struct vfio_host_addr *passed,
		       unsigned n_passed, unsigned offenders[VFIO_HOST_GROUP_MAX],
		       unsigned *n_offenders)
{
	*n_offenders = 0;
	for (unsigned i = 0; i < g->n; i++)
		if (vfio_group_member_state(&g->members[i], passed, n_passed) == VFIO_MEMBER_BLOCKS)
			offenders[(*n_offenders)++] = i;
	return *n_offenders == 0;
}

/* ---- the IOMMU itself ---------------------------------------------------- */

static int host_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

unsigned vfio_host_iommu_units(const char *sysfs, char *names, size_t len)
{
	char dir[PATH_MAX], found[32][32];
	unsigned n = 0;
	names[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/class/iommu", sysfs);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < ARRAY_SIZE(found))
		if (e->d_name[0] != '.')
			snprintf(found[n++], sizeof(found[0]), "%.31s", e->d_name);
	closedir(d);
	qsort(found, n, sizeof(found[0]), host_name_cmp);
	size_t used = 0;
	for (unsigned i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(names + used, len - used, "%s%s", i ? " " : "", found[i]);
	return n;
}

unsigned vfio_host_iommu_group_count(const char *sysfs)
{
	char dir[PATH_MAX];
	unsigned n = 0;
	snprintf(dir, sizeof(dir), "%s/kernel/iommu_groups", sysfs);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}
