// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/firmware.h"
#include "vmm/hostcpu.h"
#include "vmm/options.h"
#include "vmm/topology.h"

void config_defaults(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cpus = 1;
	c->memory = 512 * MiB;
	c->serial = SERIAL_STDIO;
	c->on_reset = RESET_REBOOT;
	const char *sys = getenv("PASSVM_SYSFS_ROOT");
	c->sysfs_root = sys && *sys ? sys : "/sys";
	const char *kvm = getenv("PASSVM_KVM_DEV");
	c->kvm_path = kvm && *kvm ? kvm : "/dev/kvm";
	vmm_options_defaults(c);
}

static int cpuset_num(const char *s, char **end, unsigned *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, end, 10);
	if (errno || v >= 4096)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int cpuset_parse(const char *s, struct cpuset_list *out, struct error *err)
{
	out->n = 0;
	const char *p = s;
	if (!*p)
		return err_setf(err, "empty CPU list: use a list like '2-5,8'");
	while (*p) {
		char *end;
		unsigned lo, hi;
		const char *tok = p;
		if (cpuset_num(p, &end, &lo))
			return err_setf(err, "bad CPU list '%s' at '%s': expected a CPU number", s, tok);
		hi = lo;
		if (*end == '-') {
			if (cpuset_num(end + 1, &end, &hi) || hi < lo)
				return err_setf(err, "bad CPU range in '%s' at '%s'", s, tok);
		}
		for (unsigned c = lo; c <= hi; c++) {
			if (out->n >= ARRAY_SIZE(out->cpus))
				return err_setf(err, "CPU list '%s' is too long", s);
			out->cpus[out->n++] = (uint16_t)c;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return err_setf(err, "bad CPU list '%s' at '%s'", s, end);
		p = end;
	}
	return 0;
}

/* ---- strings the config owns ------------------------------------------------ */

struct config_owned {
	struct config_owned *next;
	void *p;
};

void *config_own(struct vm_config *c, void *p)
{
	if (!p)
		return NULL;
	struct config_owned *o = malloc(sizeof(*o));
	if (!o) {
		free(p);
		return NULL;
	}
	*o = (struct config_owned){ .next = c->owned, .p = p };
	c->owned = o;
	return p;
}

char *config_strdup(struct vm_config *c, const char *s)
{
	return config_own(c, strdup(s));
}

void config_release(struct vm_config *c)
{
	while (c->owned) {
		struct config_owned *o = c->owned;
		c->owned = o->next;
		free(o->p);
		free(o);
	}
}

/* ---- values shared by flags and profiles ------------------------------------ */

int config_parse_memory(const char *s, uint64_t *out, struct error *err)
{
	uint64_t v;
	if (parse_size(s, &v) || !v)
		return err_setf(err, "expected a size like 512M or 16G");
	if (v % MiB)
		return err_setf(err, "give a whole number of MiB, like 1536M");
	*out = v;
	return 0;
}

int config_parse_hugepages(const char *s, enum gmem_hugepages *out, struct error *err)
{
	if (!strcmp(s, "2M") || !strcmp(s, "on"))
		*out = GMEM_HUGE_2M;
	else if (!strcmp(s, "1G"))
		*out = GMEM_HUGE_1G;
	else if (!strcmp(s, "off"))
		*out = GMEM_HUGE_NONE;
	else
		return err_setf(err, "use 2M, 1G or off");
	return 0;
}

int config_parse_hyperv(const char *s, enum hyperv_mode *out, struct error *err)
{
	if (!strcmp(s, "auto"))
		*out = HYPERV_AUTO;
	else if (!strcmp(s, "on"))
		*out = HYPERV_ON;
	else if (!strcmp(s, "off"))
		*out = HYPERV_OFF;
	else
		return err_setf(err, "use auto, on or off");
	return 0;
}

int config_check_hv_vendor_id(const char *s, struct error *err)
{
	size_t n = strlen(s);
	if (!n || n > 12)
		return err_setf(err, "give 1 to 12 characters, like AuthenticAMD or 1234567890ab");
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return err_setf(err, "printable ASCII only, no spaces");
	return 0;
}

int config_parse_on_reset(const char *s, enum reset_action *out, struct error *err)
{
	if (!strcmp(s, "reboot"))
		*out = RESET_REBOOT;
	else if (!strcmp(s, "exit"))
		*out = RESET_EXIT;
	else
		return err_setf(err, "use reboot or exit");
	return 0;
}

/* ---- finalize: `auto` against the host, topology defaults ------------------ */

/*
 * topology = auto mirrors what the vCPUs sit on: with pin = auto, the SMT
 * width of the cores placement uses; with a pin list, that width when the
 * list pins whole cores' sibling threads in order; without pinning (vCPUs
 * float), one thread per core.
 */
static struct cpu_topology config_auto_topology(const struct vm_config *c,
						const struct hostcpu_map *m)
{
	unsigned threads = 1;
	if (c->cpu_auto.pin || c->pin_vcpus.n) {
		unsigned w = hostcpu_smt_width(m);
		if (w > 1 && c->cpus % w == 0 &&
		    (c->cpu_auto.pin || hostcpu_pin_is_smt(m, &c->pin_vcpus, c->cpus, w)))
			threads = w;
	}
	return (struct cpu_topology){ .sockets = 1, .cores = c->cpus / threads,
				      .threads = threads };
}

static int config_finalize_host_cpus(struct vm_config *c, const struct hostcpu_map *m,
				     struct error *err)
{
	if (c->cpu_auto.topology)
		c->topology = config_auto_topology(c, m);
	if (topology_check(&c->topology, c->cpus, err))
		return -1;
	c->topology = topology_effective(&c->topology, c->cpus);
	if (c->cpu_auto.pin &&
	    hostcpu_place(m, c->cpus / c->topology.threads, c->topology.threads, &c->pin_vcpus,
			  err))
		return -1;
	if (c->cpu_auto.emulator_pin)
		hostcpu_rest(m, &c->pin_vcpus, &c->pin_other);
	if (c->cpu_auto.io_pin)
		hostcpu_rest(m, &c->pin_vcpus, &c->pin_io);
	else if (!c->pin_io.n)
		c->pin_io = c->pin_other;
	return 0;
}

int config_finalize_cpus(struct vm_config *c, struct error *err)
{
	const struct cpu_auto *a = &c->cpu_auto;
	bool need_host = a->pin || a->emulator_pin || a->io_pin ||
			 (a->topology && c->pin_vcpus.n);
	struct hostcpu_map m = { .nr_cores = 0 };
	if (need_host && hostcpu_read(&m, c->sysfs_root, err))
		return err_prefix(err, "`auto` CPU settings need the host's CPU topology");
	int ret = config_finalize_host_cpus(c, &m, err);
	hostcpu_free(&m);
	return ret;
}

/* ---- finalize: the firmware --------------------------------------------------- */

int config_finalize_firmware(struct vm_config *c, struct error *err)
{
	if (!c->firmware || c->fw)
		return 0;
	if (c->initrd || c->cmdline)
		return err_setf(err, "an initrd and a kernel command line go with a kernel, but "
				"this VM boots firmware %s: remove them", c->firmware);
	struct firmware_info *info = config_own(c, malloc(sizeof(*info)));
	struct firmware_dirs dirs;
	if (!info)
		return err_setf(err, "out of memory");
	firmware_dirs_default(&dirs);
	if (firmware_resolve(c->firmware, &dirs, info, err))
		return -1;
	if (!c->firmware_vars) {
		char vars[PATH_MAX];
		if (firmware_vars_default(c->profile_path, c->name, info->code, vars, sizeof(vars),
					  err))
			return -1;
		if (!(c->firmware_vars = config_strdup(c, vars)))
			return err_setf(err, "out of memory");
	}
	c->fw = info;
	c->firmware = info->code;
	bool exists;
	return firmware_vars_check(info, c->firmware_vars, &exists, err);
}

int config_finalize(struct vm_config *c, struct error *err)
{
	if (config_finalize_cpus(c, err))
		return -1;
	return config_finalize_firmware(c, err);
}
