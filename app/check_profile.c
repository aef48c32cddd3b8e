// SPDX-License-Identifier: GPL-2.0-only
/*
 * `passvm check PROFILE`: the host resources the machine asks for (huge
 * pages, CPU pinning and isolation, the locked-memory limit VFIO needs,
 * KVM's Hyper-V emulation), then each device's own check lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/check_internal.h"
#include "vfio/options.h"
#include "vmm/options.h"

/* ---- huge pages ---------------------------------------------------------- */

static unsigned long long check_hugepage_count(const struct check_env *env, const char *dir,
					       const char *file, bool *ok)
{
	char rel[128], buf[32];
	snprintf(rel, sizeof(rel), "kernel/mm/hugepages/%s/%s", dir, file);
	*ok = check_read(env->sysfs_root, rel, buf, sizeof(buf)) >= 0;
	return *ok ? strtoull(buf, NULL, 10) : 0;
}

static void check_hugepages_short(struct report_line *l, const struct check_env *env,
				  const char *dir, bool one_gig, unsigned long long total,
				  unsigned long long need, unsigned long long have)
{
	unsigned long long want = total + (need - have);
	report_fix(l, "as root: 'echo %llu > %s/kernel/mm/hugepages/%s/nr_hugepages' (memory "
		   "fragments: if the pool stays short, reserve it at boot with '%shugepages=%llu' "
		   "on the kernel command line)", want, env->sysfs_root, dir,
		   one_gig ? "default_hugepagesz=1G hugepagesz=1G " : "hugepagesz=2M ", want);
}

static void check_hugepages(struct report *r, const struct check_env *env,
			    const struct vm_config *cfg)
{
	char sz[32], psz[32];
	if (cfg->hugepages == GMEM_HUGE_NONE) {
		report_add(r, REPORT_OK, "huge pages", "not asked for (guest RAM in 4 KiB pages)");
		return;
	}
	bool one_gig = cfg->hugepages == GMEM_HUGE_1G;
	uint64_t page = one_gig ? GiB : 2 * MiB;
	const char *dir = one_gig ? "hugepages-1048576kB" : "hugepages-2048kB";
	report_size_text(page, psz, sizeof(psz));
	report_size_text(cfg->memory, sz, sizeof(sz));
	if (cfg->memory % page) {
		report_fix(report_add(r, REPORT_FAIL, "huge pages", "guest memory %s is not a multiple "
				      "of the %s page size", sz, psz),
			   "give a memory size that is a multiple of %s", psz);
		return;
	}
	bool ok_free, ok_total, ok_resv;
	unsigned long long free_pages = check_hugepage_count(env, dir, "free_hugepages", &ok_free);
	unsigned long long total = check_hugepage_count(env, dir, "nr_hugepages", &ok_total);
	/* free_hugepages still counts pages other mappings have reserved but not
	 * touched yet (another VM starting): those are promised away. */
	unsigned long long resv = check_hugepage_count(env, dir, "resv_hugepages", &ok_resv);
	unsigned long long have = free_pages > resv ? free_pages - resv : 0;
	unsigned long long need = cfg->memory / page;
	char resv_note[96] = "";
	if (resv)
		snprintf(resv_note, sizeof(resv_note), ", %llu of the free ones reserved by other "
			 "mappings", MIN(resv, free_pages));
	if (!ok_free) {
		report_fix(report_add(r, REPORT_FAIL, "huge pages", "this host has no %s pages (%s/"
				      "kernel/mm/hugepages/%s is missing)", psz, env->sysfs_root, dir),
			   one_gig ? "use 2M huge pages (1 GiB pages need the CPU's pdpe1gb flag)" :
			   "use a kernel with hugetlbfs, or turn huge pages off");
		return;
	}
	if (have < need) {
		struct report_line *l = report_add(r, REPORT_FAIL, "huge pages",
			"%s of guest RAM needs %llu free %s pages, the pool has %llu free (of %llu%s)",
			sz, need, psz, have, total, resv_note);
		check_hugepages_short(l, env, dir, one_gig, ok_total ? total : have, need, have);
		return;
	}
	report_add(r, REPORT_OK, "huge pages", "%llu %s pages needed, %llu free", need, psz, have);
}

/* ---- CPU pinning and isolation ------------------------------------------- */

#define CHECK_MAX_CPU 4096

struct check_cpus {
	uint64_t bits[CHECK_MAX_CPU / 64];
};

static void cpus_add(struct check_cpus *m, unsigned cpu)
{
	if (cpu < CHECK_MAX_CPU)
		m->bits[cpu / 64] |= 1ull << (cpu % 64);
}

static bool cpus_has(const struct check_cpus *m, unsigned cpu)
{
	return cpu < CHECK_MAX_CPU && (m->bits[cpu / 64] >> (cpu % 64) & 1);
}

static void cpus_from_list(struct check_cpus *m, const struct cpuset_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		cpus_add(m, l->cpus[i]);
}

/* A sysfs CPU list (devices/system/cpu/isolated...); false when unreadable or empty. */
static bool cpus_read(const struct check_env *env, const char *rel, struct check_cpus *m)
{
	char buf[1024];
	struct cpuset_list l;
	memset(m, 0, sizeof(*m));
	if (check_read(env->sysfs_root, rel, buf, sizeof(buf)) <= 0 || cpuset_parse(buf, &l, NULL))
		return false;
	cpus_from_list(m, &l);
	return true;
}

/* a minus b (b may be NULL: nothing to take away). */
static struct check_cpus cpus_minus(const struct check_cpus *a, const struct check_cpus *b)
{
	struct check_cpus out = *a;
	for (unsigned i = 0; b && i < ARRAY_SIZE(out.bits); i++)
		out.bits[i] &= ~b->bits[i];
	return out;
}

static struct check_cpus cpus_and(const struct check_cpus *a, const struct check_cpus *b)
{
	struct check_cpus out = *a;
	for (unsigned i = 0; i < ARRAY_SIZE(out.bits); i++)
		out.bits[i] &= b->bits[i];
	return out;
}

static bool cpus_empty(const struct check_cpus *m)
{
	for (unsigned i = 0; i < ARRAY_SIZE(m->bits); i++)
		if (m->bits[i])
			return false;
	return true;
}

/* "4-7,12" */
static const char *cpus_fmt(const struct check_cpus *m, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned c = 0; c < CHECK_MAX_CPU && used < len; c++) {
		if (!cpus_has(m, c))
			continue;
		unsigned end = c;
		while (end + 1 < CHECK_MAX_CPU && cpus_has(m, end + 1))
			end++;
		used += (size_t)snprintf(buf + used, len - used, end > c ? "%s%u-%u" : "%s%u",
					 used ? "," : "", c, end);
		c = end;
	}
	return buf;
}

static unsigned cpus_count(const struct check_cpus *m)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(m->bits); i++)
		n += (unsigned)__builtin_popcountll(m->bits[i]);
	return n;
}

/* Every CPU the profile pins anything to must exist and be online. */
static bool check_pins_online(struct report *r, const struct check_env *env,
			      const struct check_cpus *all)
{
	struct check_cpus online;
	char s[256], o[256];
	if (!cpus_read(env, "devices/system/cpu/online", &online))
		return true;   /* cannot tell: sched_setaffinity will say at start */
	struct check_cpus gone = cpus_minus(all, &online);
	if (cpus_empty(&gone))
		return true;
	report_fix(report_add(r, REPORT_FAIL, "CPU pinning", "CPUs %s are pinned to but not online "
			      "on this host (online: %s)", cpus_fmt(&gone, s, sizeof(s)),
			      cpus_fmt(&online, o, sizeof(o))),
		   "pin to CPUs from the online list ('lscpu -e' shows them with their cores)");
	return false;
}

static void check_pinning(struct report *r, const struct check_env *env,
			  const struct vm_config *cfg, const struct check_cpus *vcpus)
{
	struct check_cpus other = { { 0 } }, all;
	char v[256], o[256];
	cpus_from_list(&other, &cfg->pin_other);
	cpus_from_list(&other, &cfg->pin_io);
	all = *vcpus;
	for (unsigned i = 0; i < ARRAY_SIZE(all.bits); i++)
		all.bits[i] |= other.bits[i];
	if (!check_pins_online(r, env, &all))
		return;
	struct check_cpus shared = cpus_and(vcpus, &other);
	unsigned distinct = cpus_count(vcpus);
	if (!cpus_empty(&shared)) {
		report_fix(report_add(r, REPORT_WARN, "CPU pinning", "the VMM's own threads share CPUs "
				      "%s with vCPUs: they will preempt the guest",
				      cpus_fmt(&shared, v, sizeof(v))),
			   "pin the VMM threads (emulator/IO pinning) to CPUs outside %s",
			   cpus_fmt(vcpus, o, sizeof(o)));
	} else if (distinct < cfg->cpus) {
		report_fix(report_add(r, REPORT_WARN, "CPU pinning", "%u vCPUs share %u host CPUs (%s): "
				      "they take turns", cfg->cpus, distinct,
				      cpus_fmt(vcpus, v, sizeof(v))),
			   "pin each vCPU to a CPU of its own");
	} else {
		report_add(r, REPORT_OK, "CPU pinning", "vCPUs on %s%s%s", cpus_fmt(vcpus, v, sizeof(v)),
			   cpus_empty(&other) ? "" : ", VMM threads on ",
			   cpus_empty(&other) ? "" : cpus_fmt(&other, o, sizeof(o)));
	}
}

/*
 * isolcpus keeps the scheduler's other tasks off the vCPUs' CPUs, nohz_full
 * stops the timer tick there: both cut the latency spikes a game notices.
 */
static void check_isolation(struct report *r, const struct check_env *env,
			    const struct check_cpus *vcpus)
{
	struct check_cpus isolated, nohz;
	char a[256], b[256], v[256];
	cpus_read(env, "devices/system/cpu/isolated", &isolated);
	cpus_read(env, "devices/system/cpu/nohz_full", &nohz);
	/* The file exists only in kernels built with NO_HZ_FULL: without it,
	 * nohz_full= does nothing and isolcpus is all there is to ask for. */
	bool nohz_kernel = check_exists(env->sysfs_root, "devices/system/cpu/nohz_full");
	struct check_cpus not_iso = cpus_minus(vcpus, &isolated);
	struct check_cpus not_nohz = cpus_minus(vcpus, nohz_kernel ? &nohz : vcpus);
	cpus_fmt(vcpus, v, sizeof(v));
	if (cpus_empty(&not_iso) && cpus_empty(&not_nohz)) {
		report_add(r, REPORT_OK, "CPU isolation", "vCPU CPUs %s are isolated (%s)", v,
			   nohz_kernel ? "isolcpus, nohz_full" :
			   "isolcpus; this kernel has no nohz_full");
		return;
	}
	struct report_line *l;
	if (!cpus_empty(&not_iso))
		l = report_add(r, REPORT_WARN, "CPU isolation", "vCPUs are pinned to CPUs %s the "
			       "host also schedules on (isolated: %s): frame-time spikes",
			       cpus_fmt(&not_iso, a, sizeof(a)),
			       cpus_empty(&isolated) ? "none" : cpus_fmt(&isolated, b, sizeof(b)));
	else
		l = report_add(r, REPORT_WARN, "CPU isolation", "CPUs %s are isolated but keep the "
			       "timer tick (nohz_full: %s)", cpus_fmt(&not_nohz, a, sizeof(a)),
			       cpus_empty(&nohz) ? "none" : cpus_fmt(&nohz, b, sizeof(b)));
	if (nohz_kernel)
		report_fix(l, "add 'isolcpus=managed_irq,domain,%s nohz_full=%s rcu_nocbs=%s' to the "
			   "kernel command line %s", v, v, v, check_grub_hint());
	else
		report_fix(l, "add 'isolcpus=managed_irq,domain,%s rcu_nocbs=%s' to the kernel "
			   "command line %s", v, v, check_grub_hint());
}

static void check_cpus(struct report *r, const struct check_env *env,
		       const struct vm_config *cfg)
{
	struct check_cpus vcpus = { { 0 } };
	if (!cfg->pin_vcpus.n) {
		report_add(r, REPORT_OK, "CPU pinning", "vCPUs are not pinned (pinning them to "
			   "isolated CPUs steadies frame times)");
		return;
	}
	cpus_from_list(&vcpus, &cfg->pin_vcpus);
	check_pinning(r, env, cfg, &vcpus);
	check_isolation(r, env, &vcpus);
}

/* ---- locked memory ------------------------------------------------------- */

/* CAP_IPC_LOCK in the effective set of <proc>/self/status lifts the limit. */
static bool check_cap_ipc_lock(const struct check_env *env)
{
	char path[PATH_MAX];
	check_path(path, sizeof(path), env->proc_root, "self/status");
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0;
	bool has = false;
	while (getline(&line, &cap, f) > 0)
		if (!strncmp(line, "CapEff:", 7))
			has = (strtoull(line + 7, NULL, 16) >> 14) & 1;
	free(line);
	fclose(f);
	return has;
}

/*
 * VFIO pins every page of guest RAM for device DMA and charges it to
 * RLIMIT_MEMLOCK (unless CAP_IPC_LOCK): a short limit fails the start.
 */
static void check_memlock(struct report *r, const struct check_env *env,
			  const struct vm_config *cfg)
{
	char lim[32], ram[32];
	if (!vfio_config(cfg)->n) {
		report_add(r, REPORT_OK, "locked memory", "not needed: no passthrough devices");
		return;
	}
	if (check_cap_ipc_lock(env)) {
		report_add(r, REPORT_OK, "locked memory", "no limit applies (CAP_IPC_LOCK)");
		return;
	}
	report_size_text(cfg->memory, ram, sizeof(ram));
	if (env->memlock_limit == UINT64_MAX || env->memlock_limit >= cfg->memory) {
		report_add(r, REPORT_OK, "locked memory", "RLIMIT_MEMLOCK %s covers the %s of guest RAM "
			   "VFIO pins", env->memlock_limit == UINT64_MAX ? "unlimited" :
			   report_size_text(env->memlock_limit, lim, sizeof(lim)), ram);
		return;
	}
	unsigned long long kib = (cfg->memory + GiB) / KiB;
	report_fix(report_add(r, REPORT_FAIL, "locked memory", "RLIMIT_MEMLOCK is %s but VFIO pins "
			      "all %s of guest RAM", report_size_text(env->memlock_limit, lim, sizeof(lim)),
			      ram),
		   "raise it: '<user> - memlock %llu' in /etc/security/limits.conf (KiB; log in "
		   "again), or LimitMEMLOCK=infinity in a systemd unit, or run passvm as root / "
		   "with CAP_IPC_LOCK", kib);
}

/* Hyper-V enlightenments asked for: KVM must list its Hyper-V features
 * (Linux 5.11+) and, for the synthetic timers Windows uses, give a SynIC. */
static void check_hyperv(struct report *r, const struct check_env *env,
			 const struct vm_config *cfg)
{
	const struct hyperv_config *h = &cfg->hyperv;
	if (!(h->mode == HYPERV_ON || (h->mode == HYPERV_AUTO && cfg->firmware)))
		return;
	int fd = open(env->kvm_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return; /* the KVM line above says why */
	bool list = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYS_HYPERV_CPUID) > 0;
	bool synic = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV_SYNIC2) > 0;
	close(fd);
	if (!list)
		report_fix(report_add(r, REPORT_FAIL, "Hyper-V", "%s cannot list its Hyper-V "
				      "features (KVM_CAP_SYS_HYPERV_CPUID)", env->kvm_path),
			   "run a host kernel of Linux 5.11 or later, or set hyperv = off in [cpu] "
			   "(Windows then runs without enlightenments, much slower)");
	else if (!synic)
		report_fix(report_add(r, REPORT_WARN, "Hyper-V", "KVM offers no SynIC: the guest "
				      "gets no synthetic timers"),
			   "run a host kernel with KVM_CAP_HYPERV_SYNIC2 (Linux 4.14 or later)");
	else
		report_add(r, REPORT_OK, "Hyper-V", "KVM's Hyper-V emulation, SynIC and timers%s",
			   h->kvm_hidden ? "; KVM hidden" : "");
}

void check_resources(struct report *r, const struct check_env *env,
		     const struct vm_config *cfg)
{
	check_hugepages(r, env, cfg);
	check_cpus(r, env, cfg);
	check_memlock(r, env, cfg);
	check_hyperv(r, env, cfg);
}

/* The machine's resources, then each device's own lines (its VMM_OPTIONS
 * check), in the order of the profile's sections. */
void check_profile(struct report *r, const struct check_env *env, const struct vm_config *cfg)
{
	const struct vmm_options *all[VMM_OPTIONS_MAX];
	size_t n = vmm_options_all(all);
	check_resources(r, env, cfg);
	for (size_t i = 0; i < n; i++)
		if (all[i]->check)
			all[i]->check(r, env, cfg);
}
