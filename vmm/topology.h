/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest CPU topology: which socket, core and thread each vCPU is, the APIC id
 * that follows from it, and the CPUID leaves that describe it to the guest.
 *
 * vCPU index i is thread (i % threads) of core (i / threads % cores) of
 * socket (i / (threads * cores)): sibling threads have consecutive indexes.
 * The APIC id packs the same three numbers into bit fields, as on hardware
 * (Intel SDM vol. 3A "Hierarchical Mapping of Shared Resources", AMD APM
 * vol. 2 "Multiple processor support"):
 *
 *   apic_id = socket << (core_bits + thread_bits) | core << thread_bits | thread
 *   thread_bits = ceil(log2(threads)), core_bits = ceil(log2(cores))
 *
 * KVM takes the vCPU id given to KVM_CREATE_VCPU as the vCPU's APIC id, the
 * MADT lists APIC ids, and CPUID reports them: vcpu.c and acpi.c all call
 * topology_apic_id() so the three cannot disagree.
 */
#ifndef PASSVM_TOPOLOGY_H
#define PASSVM_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/config.h"

struct kvm_cpuid_entry2;

/* The topology to use for `cpus` vCPUs: zero fields are filled in (an all
 * zero topology is one socket of `cpus` single-thread cores). */
struct cpu_topology topology_effective(const struct cpu_topology *t, unsigned cpus);
/* 0 when t (as given, all zero allowed) describes exactly `cpus` vCPUs. */
int topology_check(const struct cpu_topology *t, unsigned cpus, struct error *err);
/* Parse "SOCKETS/CORES/THREADS", e.g. "1/4/2" (the --topology flag). */
int topology_parse(const char *s, struct cpu_topology *out, struct error *err);

unsigned topology_thread_bits(const struct cpu_topology *t);
unsigned topology_core_bits(const struct cpu_topology *t);
/* APIC id of vCPU `index`; t must be topology_effective()'s result. */
uint32_t topology_apic_id(const struct cpu_topology *t, unsigned index);

/*
 * Rewrite the topology fields of one vCPU's CPUID table (a copy of
 * KVM_GET_SUPPORTED_CPUID): leaf 1 (initial APIC id, logical count, HTT),
 * leaf 4 (cache sharing, cores per package), leaves 0xB and 0x1F (SMT and
 * core levels, x2APIC id), AMD 0x80000008 ECX, 0x8000001D, 0x8000001E.
 * Leaves the table does not have are left out, not added.
 */
void topology_cpuid(struct kvm_cpuid_entry2 *entries, size_t nent,
		    const struct cpu_topology *t, unsigned index);

/*
 * Before topology_cpuid(), once per VM: make the table able to describe SMT
 * to the guest. On AMD (and Hygon) CPUs Linux learns which threads share a
 * core only from leaf 0x8000001E, which it reads only when 0x80000001 ECX
 * announces TOPOEXT; without it every thread is a core of its own. Hosts
 * (nested ones above all) may lack TOPOEXT, so with threads > 1 this sets
 * the bit and adds the leaf (topology_cpuid fills it), as QEMU's +topoext
 * does: both only describe, the CPU does nothing different.
 * `nent` is the table's entry count, updated; `cap` the room it has.
 * Returns -1 when the table is full.
 */
int topology_cpuid_prepare(struct kvm_cpuid_entry2 *entries, uint32_t *nent, uint32_t cap,
			   const struct cpu_topology *t);

#endif
