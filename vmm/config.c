// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cpus = 1;
	c->memory = 512 * MiB;
	c->serial = SERIAL_STDIO;
	c->on_reset = RESET_REBOOT;
	c->rng = true;
	const char *sys = getenv("PASSVM_SYSFS_ROOT");
	c->sysfs_root = sys && *sys ? sys : "/sys";
	const char *kvm = getenv("PASSVM_KVM_DEV");
	c->kvm_path = kvm && *kvm ? kvm : "/dev/kvm";
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
