// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/hostcpu.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTCPU_MAX_CPU 4096   /* cpuset_parse's limit */
#define HOSTCPU_MAX_CACHES 16  /* cache/index0..15 */

static int hostcpu_read_list(const char *root, const char *rel, struct cpuset_list *out,
			     struct error *err)
{
	char path[PATH_MAX], buf[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	int r = read_small_file(path, buf, sizeof(buf));
	if (r < 0)
		return err_setf(err, "cannot read %s: %s", path, strerror(-r));
	if (cpuset_parse(buf, out, err))
		return err_prefix(err, "%s", path);
	return 0;
}

static long hostcpu_read_long(const char *root, const char *rel, long fallback)
{
	char path[PATH_MAX], buf[64];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return fallback;
	char *end;
	long v = strtol(buf, &end, 10);
	return *end ? fallback : v;
}

static unsigned hostcpu_lowest(const struct cpuset_list *l)
{
	unsigned low = UINT_MAX;
	for (unsigned i = 0; i < l->n; i++)
		low = MIN(low, (unsigned)l->cpus[i]);
	return low;
}

static bool hostcpu_in(const struct cpuset_list *l, unsigned cpu)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->cpus[i] == cpu)
			return true;
	return false;
}

/* The L3 group of a CPU: the lowest CPU sharing its level-3 cache, or
 * -1 - package when sysfs shows no L3 (then the package stands in). */
static long hostcpu_l3_of(const char *root, unsigned cpu, struct error *err)
{
	char rel[128];
	for (unsigned i = 0; i < HOSTCPU_MAX_CACHES; i++) {
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%u/cache/index%u/level", cpu, i);
		long level = hostcpu_read_long(root, rel, -1);
		if (level < 0)
			break;
		if (level != 3)
			continue;
		struct cpuset_list shared;
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%u/cache/index%u/shared_cpu_list",
			 cpu, i);
		if (hostcpu_read_list(root, rel, &shared, err))
			return LONG_MIN;
		return (long)hostcpu_lowest(&shared);
	}
	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%u/topology/physical_package_id", cpu);
	return -1 - hostcpu_read_long(root, rel, 0);
}

static void hostcpu_sort(uint16_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j] < v[j - 1]; j--) {
			uint16_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* Per-CPU flags while reading: online, and already part of a core. */
struct hostcpu_scan {
	const char *root;
	bool online[HOSTCPU_MAX_CPU];
	bool seen[HOSTCPU_MAX_CPU];
	struct cpuset_list atoms;
};

/* Add the core of `cpu`: its online sibling threads, ascending. */
static int hostcpu_add_core(struct hostcpu_map *m, struct hostcpu_scan *s, unsigned cpu,
			    struct error *err)
{
	char rel[128];
	struct cpuset_list sib;
	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu);
	if (hostcpu_read_list(s->root, rel, &sib, err))
		return -1;
	struct hostcpu_core *c = &m->cores[m->nr_cores];
	memset(c, 0, sizeof(*c));
	c->cpu[c->nr_threads++] = (uint16_t)cpu;
	s->seen[cpu] = true;
	for (unsigned i = 0; i < sib.n; i++) {
		unsigned t = sib.cpus[i];
		if (!s->online[t] || s->seen[t])
			continue;
		if (c->nr_threads == HOSTCPU_MAX_THREADS)
			return err_setf(err, "host CPU %u has more than %d SMT threads", cpu,
					HOSTCPU_MAX_THREADS);
		c->cpu[c->nr_threads++] = (uint16_t)t;
		s->seen[t] = true;
	}
	hostcpu_sort(c->cpu, c->nr_threads);
	c->l3 = hostcpu_l3_of(s->root, cpu, err);
	if (c->l3 == LONG_MIN)
		return -1;
	c->efficient = m->hybrid && hostcpu_in(&s->atoms, cpu);
	m->nr_cores++;
	return 0;
}

static int hostcpu_scan_all(struct hostcpu_map *m, struct hostcpu_scan *s, struct error *err)
{
	struct cpuset_list pcores;
	m->hybrid = !hostcpu_read_list(s->root, "devices/cpu_core/cpus", &pcores, NULL) &&
		    !hostcpu_read_list(s->root, "devices/cpu_atom/cpus", &s->atoms, NULL);
	for (unsigned i = 0; i < m->online.n; i++)
		s->online[m->online.cpus[i]] = true;
	/* Ascending, so each core is found through its lowest CPU. */
	for (unsigned cpu = 0; cpu < HOSTCPU_MAX_CPU; cpu++)
		if (s->online[cpu] && !s->seen[cpu] && hostcpu_add_core(m, s, cpu, err))
			return -1;
	return 0;
}

int hostcpu_read(struct hostcpu_map *m, const char *sysfs_root, struct error *err)
{
	memset(m, 0, sizeof(*m));
	struct hostcpu_scan *s = calloc(1, sizeof(*s));
	if (!s)
		return err_setf(err, "out of memory");
	s->root = sysfs_root ? sysfs_root : "/sys";
	int ret = hostcpu_read_list(s->root, "devices/system/cpu/online", &m->online, err);
	if (!ret) {
		m->cores = calloc(m->online.n, sizeof(*m->cores));
		ret = m->cores ? hostcpu_scan_all(m, s, err) : err_setf(err, "out of memory");
	}
	free(s);
	if (ret)
		hostcpu_free(m);
	return ret;
}

void hostcpu_free(struct hostcpu_map *m)
{
	free(m->cores);
	m->cores = NULL;
	m->nr_cores = 0;
}

static bool hostcpu_preferred(const struct hostcpu_map *m, const struct hostcpu_core *c)
{
	return !(m->hybrid && c->efficient);
}

unsigned hostcpu_smt_width(const struct hostcpu_map *m)
{
	unsigned w = 1;
	for (unsigned i = 0; i < m->nr_cores; i++)
		if (hostcpu_preferred(m, &m->cores[i]))
			w = MAX(w, m->cores[i].nr_threads);
	return w;
}

/* ---- placement ----------------------------------------------------------- */

struct hostcpu_placer {
	const struct hostcpu_map *m;
	unsigned threads;
	bool *usable;        /* per core: a candidate, not the reserved one */
	long *groups;        /* distinct L3 groups of usable cores, in order */
	unsigned *avail;     /* usable cores per group */
	unsigned nr_groups;
	long host_group;     /* the reserved core's group, or LONG_MIN */
};

static void hostcpu_placer_groups(struct hostcpu_placer *p)
{
	for (unsigned i = 0; i < p->m->nr_cores; i++) {
		if (!p->usable[i])
			continue;
		unsigned g = 0;
		while (g < p->nr_groups && p->groups[g] != p->m->cores[i].l3)
			g++;
		if (g == p->nr_groups)
			p->groups[p->nr_groups++] = p->m->cores[i].l3;
		p->avail[g]++;
	}
}

/* Candidates: P-cores (or all cores) with enough threads. The host keeps the
 * core of the lowest CPU when the others suffice. Returns the count. */
static unsigned hostcpu_placer_usable(struct hostcpu_placer *p, unsigned need)
{
	unsigned n = 0;
	for (unsigned i = 0; i < p->m->nr_cores; i++) {
		const struct hostcpu_core *c = &p->m->cores[i];
		p->usable[i] = hostcpu_preferred(p->m, c) && c->nr_threads >= p->threads;
		n += p->usable[i];
	}
	p->host_group = LONG_MIN;
	if (p->usable[0] && n - 1 >= need) {
		p->usable[0] = false;
		p->host_group = p->m->cores[0].l3;
		n--;
	}
	return n;
}

/* The order to take groups in: one group that fits alone (other than the
 * host's, if there is one), else the largest groups first. */
static void hostcpu_placer_order(struct hostcpu_placer *p, unsigned need, unsigned *order)
{
	int alone = -1;
	for (unsigned g = 0; g < p->nr_groups; g++) {
		if (p->avail[g] < need)
			continue;
		if (p->groups[g] != p->host_group) {
			alone = (int)g;
			break;
		}
		if (alone < 0)
			alone = (int)g;
	}
	for (unsigned g = 0; g < p->nr_groups; g++)
		order[g] = g;
	if (alone >= 0) {
		order[0] = (unsigned)alone;
		order[alone] = 0;
		return;
	}
	for (unsigned i = 1; i < p->nr_groups; i++) /* stable insertion sort, largest first */
		for (unsigned j = i; j > 0 && p->avail[order[j]] > p->avail[order[j - 1]]; j--) {
			unsigned t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

static void hostcpu_placer_emit(const struct hostcpu_placer *p, const unsigned *order,
				unsigned need, struct cpuset_list *out)
{
	out->n = 0;
	unsigned taken = 0;
	for (unsigned k = 0; k < p->nr_groups && taken < need; k++)
		for (unsigned i = 0; i < p->m->nr_cores && taken < need; i++) {
			const struct hostcpu_core *c = &p->m->cores[i];
			if (!p->usable[i] || c->l3 != p->groups[order[k]])
				continue;
			for (unsigned t = 0; t < p->threads; t++)
				out->cpus[out->n++] = c->cpu[t];
			taken++;
		}
}

static int hostcpu_place_error(const struct hostcpu_map *m, unsigned cores, unsigned threads,
			       unsigned have, struct error *err)
{
	const char *kind = m->hybrid ? "P-cores" : "cores";
	unsigned width = hostcpu_smt_width(m);
	if (threads > width)
		return err_setf(err, "automatic pinning: %u threads per core asked for, but this "
				"host's %s have %u thread%s: use threads = %u or topology = auto",
				threads, kind, width, width == 1 ? "" : "s", width);
	return err_setf(err, "automatic pinning: %u vCPUs need %u host %s of %u thread%s, this "
			"host has %u: lower vcpus to %u, or list host CPUs with pin", cores * threads,
			cores, kind, threads, threads == 1 ? "" : "s", have, have * threads);
}

int hostcpu_place(const struct hostcpu_map *m, unsigned cores, unsigned threads,
		  struct cpuset_list *out, struct error *err)
{
	if (!threads || threads > HOSTCPU_MAX_THREADS || !m->nr_cores ||
	    (unsigned long long)cores * threads > ARRAY_SIZE(out->cpus))
		return hostcpu_place_error(m, cores, threads, 0, err);
	struct hostcpu_placer p = { .m = m, .threads = threads };
	p.usable = calloc(m->nr_cores, sizeof(*p.usable));
	p.groups = calloc(m->nr_cores, sizeof(*p.groups));
	p.avail = calloc(m->nr_cores, sizeof(*p.avail));
	unsigned *order = calloc(m->nr_cores, sizeof(*order));
	int ret = 0;
	if (!p.usable || !p.groups || !p.avail || !order) {
		ret = err_setf(err, "out of memory");
	} else {
		unsigned have = hostcpu_placer_usable(&p, cores);
		if (have < cores) {
			ret = hostcpu_place_error(m, cores, threads, have, err);
		} else {
			hostcpu_placer_groups(&p);
			hostcpu_placer_order(&p, cores, order);
			hostcpu_placer_emit(&p, order, cores, out);
		}
	}
	free(p.usable);
	free(p.groups);
	free(p.avail);
	free(order);
	return ret;
}

void hostcpu_rest(const struct hostcpu_map *m, const struct cpuset_list *used,
		  struct cpuset_list *out)
{
	struct cpuset_list rest = { .n = 0 };
	for (unsigned i = 0; i < m->online.n; i++)
		if (!hostcpu_in(used, m->online.cpus[i]))
			rest.cpus[rest.n++] = m->online.cpus[i];
	*out = rest;
}

static const struct hostcpu_core *hostcpu_core_of(const struct hostcpu_map *m, unsigned cpu)
{
	for (unsigned i = 0; i < m->nr_cores; i++)
		for (unsigned t = 0; t < m->cores[i].nr_threads; t++)
			if (m->cores[i].cpu[t] == cpu)
				return &m->cores[i];
	return NULL;
}

bool hostcpu_pin_is_smt(const struct hostcpu_map *m, const struct cpuset_list *pin,
			unsigned n, unsigned threads)
{
	if (threads < 2 || pin->n < n || n % threads)
		return false;
	for (unsigned g = 0; g < n; g += threads) {
		const struct hostcpu_core *c = hostcpu_core_of(m, pin->cpus[g]);
		if (!c || c->nr_threads != threads)
			return false;
		for (unsigned t = 1; t < threads; t++) {
			if (hostcpu_core_of(m, pin->cpus[g + t]) != c)
				return false;
			for (unsigned u = 0; u < t; u++)
				if (pin->cpus[g + u] == pin->cpus[g + t])
					return false;
		}
	}
	return true;
}
