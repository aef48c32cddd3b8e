/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host's CPUs as sysfs describes them, for `pin = auto` and
 * `topology = auto`: which threads share a core (topology/
 * thread_siblings_list), which cores share an L3 cache (cache/index*, level
 * 3, shared_cpu_list; the package when there is none), and, on hybrid Intel
 * CPUs, which cores are P-cores (SYSFS/devices/cpu_core/cpus) and which
 * E-cores (devices/cpu_atom/cpus).
 *
 * The sysfs root is a parameter (vm_config.sysfs_root, env
 * PASSVM_SYSFS_ROOT) so tests run on fake trees.
 */
#ifndef PASSVM_HOSTCPU_H
#define PASSVM_HOSTCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/config.h"

#define HOSTCPU_MAX_THREADS 8  /* SMT threads per core */

struct hostcpu_core {
	uint16_t cpu[HOSTCPU_MAX_THREADS]; /* its sibling threads, ascending */
	unsigned nr_threads;
	long l3;                /* L3 group: lowest CPU sharing it, or -1 - package */
	bool efficient;         /* hybrid E-core */
};

struct hostcpu_map {
	struct cpuset_list online;
	unsigned nr_cores;
	struct hostcpu_core *cores;  /* ordered by lowest CPU */
	bool hybrid;                 /* P-cores and E-cores */
};

int hostcpu_read(struct hostcpu_map *m, const char *sysfs_root, struct error *err);
void hostcpu_free(struct hostcpu_map *m);

/* Threads per core of the cores placement uses (the P-cores of a hybrid). */
unsigned hostcpu_smt_width(const struct hostcpu_map *m);

/*
 * Choose host CPUs for `cores` guest cores of `threads` threads each and
 * write them to `out` in vCPU order: each guest core gets `threads` sibling
 * threads of one host core (the first `threads` of them), all cores of one
 * L3 group where they fit. P-cores only on a hybrid. The core of the lowest
 * online CPU is left to the host when the rest suffice, and a group without
 * it is preferred.
 */
int hostcpu_place(const struct hostcpu_map *m, unsigned cores, unsigned threads,
		  struct cpuset_list *out, struct error *err);

/* The online CPUs not in `used`, ascending. */
void hostcpu_rest(const struct hostcpu_map *m, const struct cpuset_list *used,
		  struct cpuset_list *out);

/* Whether vCPUs 0..n-1 pinned by `pin` form groups of `threads` consecutive
 * vCPUs on the sibling threads of one host core each (and nothing else). */
bool hostcpu_pin_is_smt(const struct hostcpu_map *m, const struct cpuset_list *pin,
			unsigned n, unsigned threads);

#endif
