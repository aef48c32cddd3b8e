// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest CPU topology: APIC ids for power-of-two and odd core/thread counts
 * (the gaps odd counts leave), and the CPUID leaves topology_cpuid writes
 * into a small table shaped like KVM_GET_SUPPORTED_CPUID's.
 */
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/topology.h"

static struct cpu_topology topo(unsigned s, unsigned c, unsigned t)
{
	return (struct cpu_topology){ .sockets = s, .cores = c, .threads = t };
}

static void expect_apic_ids(struct cpu_topology t, const uint32_t *want, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (topology_apic_id(&t, i) != want[i])
			fail_msg("%u/%u/%u vCPU %u: APIC id %u, expected %u", t.sockets, t.cores,
				 t.threads, i, topology_apic_id(&t, i), want[i]);
}

static void test_apic_ids(void **state)
{
	(void)state;
	/* 1/4/2: every id used, siblings differ in bit 0. */
	expect_apic_ids(topo(1, 4, 2), (const uint32_t[]){ 0, 1, 2, 3, 4, 5, 6, 7 }, 8);
	/* 1/3/1: two core bits, one socket: no gap yet. */
	expect_apic_ids(topo(1, 3, 1), (const uint32_t[]){ 0, 1, 2 }, 3);
	/* 2/3/1: the second socket starts at 4; 3 is never used. */
	expect_apic_ids(topo(2, 3, 1), (const uint32_t[]){ 0, 1, 2, 4, 5, 6 }, 6);
	/* 2/3/2: 3 bits per socket, ids 6-7 and 14-15 unused. */
	expect_apic_ids(topo(2, 3, 2),
			(const uint32_t[]){ 0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13 }, 12);
	/* 1/2/3: two thread bits, id 3 skipped inside the first core. */
	expect_apic_ids(topo(1, 2, 3), (const uint32_t[]){ 0, 1, 2, 4, 5, 6 }, 6);
	struct cpu_topology t = topo(2, 3, 2);
	assert_int_equal(topology_thread_bits(&t), 1);
	assert_int_equal(topology_core_bits(&t), 2);
}

static void test_effective_check_parse(void **state)
{
	(void)state;
	struct cpu_topology zero = { 0 }, t;
	struct error err = { "" };
	t = topology_effective(&zero, 6);
	assert_int_equal(t.sockets, 1);
	assert_int_equal(t.cores, 6);
	assert_int_equal(t.threads, 1);
	assert_int_equal(topology_check(&zero, 6, &err), 0);
	t = topo(1, 4, 2);
	assert_int_equal(topology_check(&t, 8, &err), 0);
	assert_int_not_equal(topology_check(&t, 6, &err), 0);
	assert_non_null(strstr(err.msg, "1/4/2"));
	assert_non_null(strstr(err.msg, "8 vCPUs"));
	assert_int_equal(topology_parse("2/3/2", &t, &err), 0);
	assert_int_equal(t.sockets, 2);
	assert_int_equal(t.cores, 3);
	assert_int_equal(t.threads, 2);
	static const char *const bad[] = { "", "1/4", "1/4/2/1", "0/4/2", "1/-4/2", "1/4/x",
					   "1/ 4/2", "1/4/2 ", "1/999/1" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!topology_parse(bad[i], &t, &err))
			fail_msg("'%s' parsed", bad[i]);
}

/* ---- CPUID ----------------------------------------------------------------------- */

enum {
	L1_EAX = 1 | 1 << 5,      /* data cache, level 1 */
	L1I_EAX = 2 | 1 << 5,     /* instruction cache, level 1 */
	L2_EAX = 3 | 2 << 5,      /* unified, level 2 */
	L3_EAX = 3 | 3 << 5,      /* unified, level 3 */
	JUNK = 0x3fc000,          /* stale sharing bits the host's table may hold */
};

/* A host-like table: leaves 1, 4 (four caches and the end), 0xB and 0x1F
 * (three subleaves each), and AMD's 0x80000008, 0x8000001D, 0x8000001E. */
static size_t cpuid_table(struct kvm_cpuid_entry2 *e)
{
	size_t n = 0;
	e[n++] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x906a3, .ebx = 0xff120800,
					    .ecx = 0x7ffafbff, .edx = 0xbfebfbff };
	static const uint32_t caches[] = { L1_EAX, L1I_EAX, L2_EAX, L3_EAX, 0 };
	for (uint32_t i = 0; i < 5; i++)
		e[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = i,
						    .eax = caches[i] ? caches[i] | JUNK | 0xfc000000u
							   : 0, .ebx = 0x1c0003f };
	for (uint32_t i = 0; i < 3; i++) {
		e[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = i, .eax = 7,
						    .ebx = 99, .ecx = 0x5555, .edx = 77 };
		e[n++] = (struct kvm_cpuid_entry2){ .function = 0x1f, .index = i, .eax = 7,
						    .ebx = 99, .ecx = 0x5555, .edx = 77 };
	}
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .eax = 0x3030,
					    .ecx = 0x0001f00f };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001d, .index = 0,
					    .eax = L1_EAX | JUNK };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001d, .index = 1,
					    .eax = L3_EAX | JUNK };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001e, .eax = 1, .ebx = 0x0100ffff,
					    .ecx = 0xffffffff, .edx = 5 };
	return n;
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid_entry2 *e, size_t n,
					   uint32_t fn, uint32_t index)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == index)
			return &e[i];
	fail_msg("no leaf %#x.%u", fn, index);
	return NULL;
}

/* 1/3/2, vCPU 5: core 2, thread 1, APIC id 5; 1 thread bit, 2 core bits. */
static void test_cpuid_1s3c2t(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[32];
	size_t n = cpuid_table(e);
	struct cpu_topology t = topo(1, 3, 2);
	topology_cpuid(e, n, &t, 5);

	const struct kvm_cpuid_entry2 *l = leaf(e, n, 1, 0);
	assert_int_equal(l->ebx >> 24, 5);               /* initial APIC id */
	assert_int_equal((l->ebx >> 16) & 0xff, 6);      /* logical processors per package */
	assert_int_equal(l->ebx & 0xffff, 0x0800);       /* CLFLUSH size and brand kept */
	assert_true(l->edx & 1u << 28);                  /* HTT */
	assert_true(l->ecx & 1u << 31);                  /* hypervisor */
	assert_int_equal(l->eax, 0x906a3);

	/* Leaf 4: L1/L2 per core (2 ids), L3 per package (8 ids); 4 core ids. */
	static const uint32_t types[] = { L1_EAX, L1I_EAX, L2_EAX, L3_EAX };
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t eax = leaf(e, n, 4, i)->eax;
		assert_int_equal(eax & 0x3fff, types[i]);
		assert_int_equal((eax >> 14) & 0xfff, i < 3 ? 1 : 7);
		assert_int_equal(eax >> 26, 3);
	}
	assert_int_equal(leaf(e, n, 4, 4)->eax, 0);      /* the end marker untouched */

	for (uint32_t fn = 0xb; fn <= 0x1f; fn += 0x1f - 0xb) {
		l = leaf(e, n, fn, 0);                   /* SMT level */
		assert_int_equal(l->eax, 1);
		assert_int_equal(l->ebx, 2);
		assert_int_equal(l->ecx, 0x100);
		assert_int_equal(l->edx, 5);
		l = leaf(e, n, fn, 1);                   /* core level */
		assert_int_equal(l->eax, 3);
		assert_int_equal(l->ebx, 6);
		assert_int_equal(l->ecx, 0x201);
		assert_int_equal(l->edx, 5);
		l = leaf(e, n, fn, 2);                   /* the end: type 0 */
		assert_int_equal(l->eax, 0);
		assert_int_equal(l->ebx, 0);
		assert_int_equal(l->ecx, 2);
		assert_int_equal(l->edx, 5);
	}

	l = leaf(e, n, 0x80000008, 0);
	assert_int_equal(l->ecx & 0xff, 5);              /* threads per package - 1 */
	assert_int_equal((l->ecx >> 12) & 0xf, 3);       /* APIC id bits */
	assert_int_equal(l->ecx & ~0xf0ffu, 0x0001f00f & ~0xf0ffu);
	assert_int_equal(l->eax, 0x3030);

	assert_int_equal((leaf(e, n, 0x8000001d, 0)->eax >> 14) & 0xfff, 1);
	assert_int_equal((leaf(e, n, 0x8000001d, 1)->eax >> 14) & 0xfff, 7);
	assert_int_equal(leaf(e, n, 0x8000001d, 1)->eax & 0x3fff, L3_EAX);

	l = leaf(e, n, 0x8000001e, 0);
	assert_int_equal(l->eax, 5);                     /* extended APIC id */
	assert_int_equal(l->ebx & 0xff, 2);              /* core id */
	assert_int_equal((l->ebx >> 8) & 0xff, 1);       /* threads per core - 1 */
	assert_int_equal(l->ebx >> 16, 0x0100);
	assert_int_equal(l->ecx & 0x7ff, 0);             /* node 0, one node */
}

/* 2/3/2, vCPU 7: socket 1, core 0, thread 1: APIC id 9, past the 6-7 gap. */
static void test_cpuid_second_socket(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[32];
	size_t n = cpuid_table(e);
	struct cpu_topology t = topo(2, 3, 2);
	topology_cpuid(e, n, &t, 7);
	assert_int_equal(leaf(e, n, 1, 0)->ebx >> 24, 9);
	assert_int_equal((leaf(e, n, 1, 0)->ebx >> 16) & 0xff, 6);
	assert_int_equal(leaf(e, n, 0xb, 1)->ebx, 6);
	assert_int_equal(leaf(e, n, 0xb, 1)->edx, 9);
	assert_int_equal(leaf(e, n, 0x8000001e, 0)->eax, 9);
	assert_int_equal(leaf(e, n, 0x8000001e, 0)->ebx & 0xff, 0);
	assert_int_equal(leaf(e, n, 0x8000001e, 0)->ecx & 0xff, 1);
}

/* One vCPU: no HTT, single-processor levels. */
static void test_cpuid_single(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[32];
	size_t n = cpuid_table(e);
	struct cpu_topology t = topo(1, 1, 1);
	topology_cpuid(e, n, &t, 0);
	const struct kvm_cpuid_entry2 *l = leaf(e, n, 1, 0);
	assert_false(l->edx & 1u << 28);
	assert_int_equal((l->ebx >> 16) & 0xff, 1);
	assert_int_equal(l->ebx >> 24, 0);
	assert_int_equal(leaf(e, n, 0xb, 0)->eax, 0);
	assert_int_equal(leaf(e, n, 0xb, 0)->ebx, 1);
	assert_int_equal(leaf(e, n, 0xb, 1)->ebx, 1);
	assert_int_equal((leaf(e, n, 4, 3)->eax >> 14) & 0xfff, 0);
	assert_int_equal(leaf(e, n, 4, 3)->eax >> 26, 0);
	assert_int_equal(leaf(e, n, 0x80000008, 0)->ecx & 0xff, 0);
}

/* Leaf 0 with a vendor string, 0x80000000 (max extended leaf), 0x80000001. */
static uint32_t vendor_table(struct kvm_cpuid_entry2 *e, const char vendor[12])
{
	uint32_t n = 0;
	struct kvm_cpuid_entry2 v = { .function = 0, .eax = 0x10 };
	memcpy(&v.ebx, vendor, 4);
	memcpy(&v.edx, vendor + 4, 4);
	memcpy(&v.ecx, vendor + 8, 4);
	e[n++] = v;
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000008 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .ecx = 0x1 };
	return n;
}

/* AMD without TOPOEXT (a nested host): SMT needs the bit and leaf 0x8000001E. */
static void test_cpuid_prepare_amd_smt(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[8];
	uint32_t n = vendor_table(e, "AuthenticAMD");
	struct cpu_topology t = topo(1, 2, 2);
	assert_int_equal(topology_cpuid_prepare(e, &n, 8, &t), 0);
	assert_int_equal(n, 4);
	assert_int_equal(leaf(e, n, 0x80000000, 0)->eax, 0x8000001e);
	assert_true(leaf(e, n, 0x80000001, 0)->ecx & 1u << 22);
	assert_true(leaf(e, n, 0x80000001, 0)->ecx & 1u);      /* other bits kept */
	/* vCPU 3 = core 1, thread 1: its leaf says 2 threads per core, core 1. */
	topology_cpuid(e, n, &t, 3);
	const struct kvm_cpuid_entry2 *l = leaf(e, n, 0x8000001e, 0);
	assert_int_equal(l->eax, 3);
	assert_int_equal((l->ebx >> 8) & 0xff, 1);
	assert_int_equal(l->ebx & 0xff, 1);
	/* Twice is the same as once: the leaf is not added again. */
	assert_int_equal(topology_cpuid_prepare(e, &n, 8, &t), 0);
	assert_int_equal(n, 4);
	/* A full table cannot take the leaf. */
	uint32_t m = vendor_table(e, "HygonGenuine");
	assert_int_equal(topology_cpuid_prepare(e, &m, 3, &t), -1);
}

/* Intel, or no SMT: the table is left as it is. */
static void test_cpuid_prepare_untouched(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[8];
	uint32_t n = vendor_table(e, "GenuineIntel");
	struct cpu_topology t = topo(1, 2, 2);
	assert_int_equal(topology_cpuid_prepare(e, &n, 8, &t), 0);
	assert_int_equal(n, 3);
	assert_false(leaf(e, n, 0x80000001, 0)->ecx & 1u << 22);
	n = vendor_table(e, "AuthenticAMD");
	t = topo(2, 2, 1);
	assert_int_equal(topology_cpuid_prepare(e, &n, 8, &t), 0);
	assert_int_equal(n, 3);
	assert_int_equal(leaf(e, n, 0x80000000, 0)->eax, 0x80000008);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apic_ids),
		cmocka_unit_test(test_effective_check_parse),
		cmocka_unit_test(test_cpuid_1s3c2t),
		cmocka_unit_test(test_cpuid_second_socket),
		cmocka_unit_test(test_cpuid_single),
		cmocka_unit_test(test_cpuid_prepare_amd_smt),
		cmocka_unit_test(test_cpuid_prepare_untouched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
