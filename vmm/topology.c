// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/topology.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

struct topology_pos {
	unsigned socket, core, thread;
};

struct cpu_topology topology_effective(const struct cpu_topology *t, unsigned cpus)
{
	struct cpu_topology r = *t;
	if (!r.sockets)
		r.sockets = 1;
	if (!r.threads)
		r.threads = 1;
	if (!r.cores)
		r.cores = MAX(1u, cpus / (r.sockets * r.threads));
	return r;
}

int topology_check(const struct cpu_topology *t, unsigned cpus, struct error *err)
{
	if (!t->sockets && !t->cores && !t->threads)
		return 0;
	struct cpu_topology e = topology_effective(t, cpus);
	unsigned long long n = (unsigned long long)e.sockets * e.cores * e.threads;
	if (n != cpus)
		return err_setf(err, "topology %u/%u/%u (sockets/cores/threads) is %llu vCPUs, "
				"not %u", e.sockets, e.cores, e.threads, n, cpus);
	return 0;
}

static int topology_parse_part(const char **s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(*s, &end, 10);
	if (errno || end == *s || **s < '0' || **s > '9' || v < 1 || v > CONFIG_MAX_CPUS)
		return -1;
	*out = (unsigned)v;
	*s = end;
	return 0;
}

int topology_parse(const char *s, struct cpu_topology *out, struct error *err)
{
	const char *p = s;
	struct cpu_topology t;
	if (topology_parse_part(&p, &t.sockets) || *p++ != '/' ||
	    topology_parse_part(&p, &t.cores) || *p++ != '/' ||
	    topology_parse_part(&p, &t.threads) || *p)
		return err_setf(err, "expected SOCKETS/CORES/THREADS, e.g. 1/4/2, each 1 to %d",
				CONFIG_MAX_CPUS);
	*out = t;
	return 0;
}

static unsigned topology_bits(unsigned n)
{
	unsigned bits = 0;
	while ((1u << bits) < n)
		bits++;
	return bits;
}

unsigned topology_thread_bits(const struct cpu_topology *t)
{
	return topology_bits(t->threads);
}

unsigned topology_core_bits(const struct cpu_topology *t)
{
	return topology_bits(t->cores);
}

static struct topology_pos topology_pos_of(const struct cpu_topology *t, unsigned index)
{
	return (struct topology_pos){ .thread = index % t->threads,
				      .core = index / t->threads % t->cores,
				      .socket = index / (t->threads * t->cores) };
}

uint32_t topology_apic_id(const struct cpu_topology *t, unsigned index)
{
	struct topology_pos p = topology_pos_of(t, index);
	unsigned tb = topology_thread_bits(t), cb = topology_core_bits(t);
	return (uint32_t)(p.socket << (cb + tb) | p.core << tb | p.thread);
}

/* ---- CPUID ------------------------------------------------------------- */

/* What every leaf needs to know about one vCPU. */
struct topology_cpuid_ctx {
	const struct cpu_topology *t;
	struct topology_pos pos;
	uint32_t apic_id;
	unsigned thread_bits, core_bits;
	unsigned per_pkg;        /* logical processors per socket */
};

#define CPUID_HTT (1u << 28)          /* leaf 1 EDX: EBX[23:16] is valid */
#define CPUID_HYPERVISOR (1u << 31)   /* leaf 1 ECX */
#define CPUID_LEVEL_SMT 1
#define CPUID_LEVEL_CORE 2

static void topology_leaf1(struct kvm_cpuid_entry2 *e, const struct topology_cpuid_ctx *c)
{
	unsigned count = MIN(c->per_pkg, 255u);
	e->ebx = (e->ebx & 0x0000ffff) | (c->apic_id & 0xff) << 24 | count << 16;
	e->ecx |= CPUID_HYPERVISOR;
	if (c->per_pkg > 1)
		e->edx |= CPUID_HTT;
	else
		e->edx &= ~CPUID_HTT;
}

/*
 * Caches are modelled as L1/L2 per core and L3 per socket. The sharing
 * counts are the power-of-two APIC id ranges, not the exact thread counts:
 * guests derive cache ids as apic_id >> log2(count), and only the ranges
 * make that agree with the APIC id layout when cores or threads are not a
 * power of two.
 */
static unsigned topology_cache_sharing(const struct topology_cpuid_ctx *c, unsigned level)
{
	return level <= 2 ? 1u << c->thread_bits : 1u << (c->thread_bits + c->core_bits);
}

/* Intel leaf 4: EAX[25:14] sharing - 1, EAX[31:26] cores per package - 1. */
static void topology_leaf4(struct kvm_cpuid_entry2 *e, const struct topology_cpuid_ctx *c)
{
	if (!(e->eax & 0x1f)) /* cache type 0: no more caches */
		return;
	unsigned share = topology_cache_sharing(c, (e->eax >> 5) & 7) - 1;
	unsigned cores = (1u << c->core_bits) - 1;
	e->eax = (e->eax & 0x3fff) | (share & 0xfff) << 14 | (cores & 0x3f) << 26;
}

/* AMD 0x8000001D: the same sharing field, no core count. */
static void topology_leaf_8000001d(struct kvm_cpuid_entry2 *e,
				   const struct topology_cpuid_ctx *c)
{
	if (!(e->eax & 0x1f))
		return;
	unsigned share = topology_cache_sharing(c, (e->eax >> 5) & 7) - 1;
	e->eax = (e->eax & ~(0xfffu << 14)) | (share & 0xfff) << 14;
}

/* Leaves 0xB and 0x1F: subleaf 0 the SMT level, 1 the core level, then none.
 * EAX is the shift to the next level's id, EBX the processors at this level. */
static void topology_leaf_b(struct kvm_cpuid_entry2 *e, const struct topology_cpuid_ctx *c)
{
	e->edx = c->apic_id;
	if (e->index == 0) {
		e->eax = c->thread_bits;
		e->ebx = c->t->threads;
		e->ecx = 0 | CPUID_LEVEL_SMT << 8;
	} else if (e->index == 1) {
		e->eax = c->thread_bits + c->core_bits;
		e->ebx = c->per_pkg;
		e->ecx = 1 | CPUID_LEVEL_CORE << 8;
	} else {
		e->eax = e->ebx = 0;
		e->ecx = e->index & 0xff; /* level type 0: invalid, the end */
	}
}

/* AMD 0x80000008 ECX: [7:0] threads per package - 1, [15:12] APIC id bits
 * of the thread within the package. */
static void topology_leaf_80000008(struct kvm_cpuid_entry2 *e,
				   const struct topology_cpuid_ctx *c)
{
	unsigned nc = MIN(c->per_pkg, 256u) - 1;
	e->ecx = (e->ecx & ~0xf0ffu) | (c->thread_bits + c->core_bits) << 12 | nc;
}

/* AMD 0x8000001E: extended APIC id; core id and threads per core; node id
 * (one node per socket). */
static void topology_leaf_8000001e(struct kvm_cpuid_entry2 *e,
				   const struct topology_cpuid_ctx *c)
{
	e->eax = c->apic_id;
	e->ebx = (e->ebx & ~0xffffu) | ((c->t->threads - 1) & 0xff) << 8 | (c->pos.core & 0xff);
	e->ecx = (e->ecx & ~0x7ffu) | (c->pos.socket & 0xff);
	e->edx = 0;
}

void topology_cpuid(struct kvm_cpuid_entry2 *entries, size_t nent,
		    const struct cpu_topology *t, unsigned index)
{
	struct topology_cpuid_ctx c = {
		.t = t,
		.pos = topology_pos_of(t, index),
		.apic_id = topology_apic_id(t, index),
		.thread_bits = topology_thread_bits(t),
		.core_bits = topology_core_bits(t),
		.per_pkg = t->cores * t->threads,
	};
	for (size_t i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];
		switch (e->function) {
		case 1: topology_leaf1(e, &c); break;
		case 4: topology_leaf4(e, &c); break;
		case 0xb:
		case 0x1f: topology_leaf_b(e, &c); break;
		case 0x80000008: topology_leaf_80000008(e, &c); break;
		case 0x8000001d: topology_leaf_8000001d(e, &c); break;
		case 0x8000001e: topology_leaf_8000001e(e, &c); break;
		}
	}
}

#define CPUID_EXT_TOPOEXT (1u << 22)  /* 0x80000001 ECX */
#define CPUID_LEAF_AMD_TOPOLOGY 0x8000001eu

static struct kvm_cpuid_entry2 *topology_find_leaf(struct kvm_cpuid_entry2 *entries,
						   uint32_t nent, uint32_t function)
{
	for (uint32_t i = 0; i < nent; i++)
		if (entries[i].function == function && entries[i].index == 0)
			return &entries[i];
	return NULL;
}

/* Leaf 0's vendor string is EBX, EDX, ECX: "AuthenticAMD", "HygonGenuine". */
static bool topology_vendor_amd(struct kvm_cpuid_entry2 *entries, uint32_t nent)
{
	const struct kvm_cpuid_entry2 *v = topology_find_leaf(entries, nent, 0);
	if (!v)
		return false;
	char s[13];
	memcpy(s, &v->ebx, 4);
	memcpy(s + 4, &v->edx, 4);
	memcpy(s + 8, &v->ecx, 4);
	s[12] = '\0';
	return !strcmp(s, "AuthenticAMD") || !strcmp(s, "HygonGenuine");
}

int topology_cpuid_prepare(struct kvm_cpuid_entry2 *entries, uint32_t *nent, uint32_t cap,
			   const struct cpu_topology *t)
{
	if (t->threads < 2 || !topology_vendor_amd(entries, *nent))
		return 0;
	struct kvm_cpuid_entry2 *ext_max = topology_find_leaf(entries, *nent, 0x80000000u);
	struct kvm_cpuid_entry2 *ext_feat = topology_find_leaf(entries, *nent, 0x80000001u);
	if (!ext_max || !ext_feat)
		return 0; /* no extended leaves at all: nothing to announce TOPOEXT in */
	if (!topology_find_leaf(entries, *nent, CPUID_LEAF_AMD_TOPOLOGY)) {
		if (*nent >= cap)
			return -1;
		entries[(*nent)++] = (struct kvm_cpuid_entry2){ .function = CPUID_LEAF_AMD_TOPOLOGY };
	}
	if (ext_max->eax < CPUID_LEAF_AMD_TOPOLOGY)
		ext_max->eax = CPUID_LEAF_AMD_TOPOLOGY;
	ext_feat->ecx |= CPUID_EXT_TOPOEXT;
	return 0;
}
