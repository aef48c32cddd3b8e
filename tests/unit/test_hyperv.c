// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's hypervisor CPUID leaves (vmm/hyperv.c) from a KVM-like
 * supported list, without KVM: where KVM's leaves go, which Hyper-V features
 * are offered, the vendor id, and a table with no room. (What a real guest
 * makes of them: the lab's passvm-hyperv-* tests.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/hyperv.h"

#define ROOM 32

static uint32_t sig(const char *s)
{
	uint32_t v;
	memcpy(&v, s, 4);
	return v;
}

/* KVM_GET_SUPPORTED_CPUID's tail: leaf 0 and 1, then KVM's two leaves. */
static uint32_t base_table(struct kvm_cpuid_entry2 *e)
{
	memset(e, 0, ROOM * sizeof(*e));
	e[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd };
	e[1] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 1u << 31 };
	e[2] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001,
					  .ebx = sig("KVMK"), .ecx = sig("VMKV"), .edx = sig("M\0\0\0") };
	e[3] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0x01007afb };
	return 4;
}

/* KVM_GET_SUPPORTED_HV_CPUID-like: 0x40000000-5 and a syndbg leaf. */
static const struct kvm_cpuid_entry2 hv[] = {
	{ .function = 0x40000000, .eax = 0x40000082, .ebx = 0x756e694c, .ecx = 0x564b2078,
	  .edx = 0x7648204d },                        /* "Linux KVM Hv" */
	{ .function = 0x40000001, .eax = 0x31237648 }, /* "Hv#1" */
	{ .function = 0x40000002, .eax = 0x3839 },
	{ .function = 0x40000003, .eax = 0xeff, .ebx = 0x1, .edx = (1u << 11) | (1u << 19) | 1 },
	{ .function = 0x40000004, .eax = 0x2e },
	{ .function = 0x40000005, .eax = 0xffffffff },
	{ .function = 0x40000080, .eax = 0x1 },
};
#define NHV (sizeof(hv) / sizeof(hv[0]))

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid_entry2 *e, uint32_t n,
					   uint32_t f)
{
	for (uint32_t i = 0; i < n; i++)
		if (e[i].function == f)
			return &e[i];
	return NULL;
}

static void test_off_keeps_kvm(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[ROOM];
	uint32_t n = base_table(e);
	struct error err = { "" };
	struct hyperv_opts o = { 0 };
	assert_int_equal(hyperv_cpuid_build(e, &n, ROOM, hv, NHV, &o, &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(find(e, n, 0x40000000)->ebx, sig("KVMK"));
	assert_int_equal(find(e, n, 0x40000000)->eax, 0x40000001);
	assert_null(find(e, n, 0x40000100));
	/* Leaves outside the hypervisor range are untouched. */
	assert_int_equal(find(e, n, 1)->ecx, 1u << 31);
}

static void test_on_moves_kvm(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[ROOM];
	uint32_t n = base_table(e);
	struct error err = { "" };
	struct hyperv_opts o = { .on = true, .synic = true };
	assert_int_equal(hyperv_cpuid_build(e, &n, ROOM, hv, NHV, &o, &err), 0);
	const struct kvm_cpuid_entry2 *b = find(e, n, 0x40000000);
	assert_non_null(b);
	assert_int_equal(b->ebx, 0x7263694d);  /* KVM's name replaced: "Micr"osoft Hv */
	assert_int_equal(b->edx, 0x76482074);
	/* The synthetic debugger leaves are left out: the highest is 5. */
	assert_int_equal(b->eax, 0x40000005);
	assert_null(find(e, n, 0x40000080));
	assert_int_equal(find(e, n, 0x40000001)->eax, sig("Hv#1"));
	const struct kvm_cpuid_entry2 *f = find(e, n, 0x40000003);
	assert_int_equal(f->eax, 0xeff);                 /* SynIC + timers kept */
	assert_int_equal(f->edx, (1u << 19) | 1);        /* debug MSRs gone */
	/* KVM's leaves at 0x40000100, their own maximum moved with them. */
	const struct kvm_cpuid_entry2 *k = find(e, n, 0x40000100);
	assert_non_null(k);
	assert_int_equal(k->ebx, sig("KVMK"));
	assert_int_equal(k->eax, 0x40000101);
	assert_int_equal(find(e, n, 0x40000101)->eax, 0x01007afb);
	assert_int_equal(n, 2 + 6 + 2);
}

static void test_hidden_vendor_nosynic(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[ROOM];
	uint32_t n = base_table(e);
	struct error err = { "" };
	struct hyperv_opts o = { .on = true, .kvm_hidden = true, .vendor_id = "PassvmTest1" };
	assert_int_equal(hyperv_cpuid_build(e, &n, ROOM, hv, NHV, &o, &err), 0);
	const struct kvm_cpuid_entry2 *b = find(e, n, 0x40000000);
	char v[13] = { 0 };
	memcpy(v, &b->ebx, 4);
	memcpy(v + 4, &b->ecx, 4);
	memcpy(v + 8, &b->edx, 4);
	assert_string_equal(v, "PassvmTest1");
	assert_null(find(e, n, 0x40000100));
	assert_null(find(e, n, 0x40000101));
	/* No SynIC to give: neither it nor its timers (nor direct mode). */
	const struct kvm_cpuid_entry2 *f = find(e, n, 0x40000003);
	assert_int_equal(f->eax, 0xeff & ~0xcu);
	assert_int_equal(f->edx, 1);

	/* KVM hidden without Hyper-V: no hypervisor leaves at all. */
	n = base_table(e);
	struct hyperv_opts h = { .kvm_hidden = true };
	assert_int_equal(hyperv_cpuid_build(e, &n, ROOM, hv, NHV, &h, &err), 0);
	assert_int_equal(n, 2);
	assert_null(find(e, n, 0x40000000));
}

static void test_errors(void **state)
{
	(void)state;
	struct kvm_cpuid_entry2 e[ROOM];
	uint32_t n = base_table(e);
	struct error err = { "" };
	struct hyperv_opts o = { .on = true, .vendor_id = "ThirteenChars" };
	assert_int_equal(hyperv_cpuid_build(e, &n, ROOM, hv, NHV, &o, &err), -1);
	assert_non_null(strstr(err.msg, "longer than 12"));
	/* KVM without Hyper-V emulation. */
	o.vendor_id = NULL;
	n = base_table(e);
	assert_int_equal(hyperv_cpuid_build(e, &n, ROOM, hv, 0, &o, &err), -1);
	assert_non_null(strstr(err.msg, "turn hyperv off"));
	/* A table without room for the Hyper-V leaves: an error, no overflow. */
	n = base_table(e);
	assert_int_equal(hyperv_cpuid_build(e, &n, 5, hv, NHV, &o, &err), -1);
	assert_non_null(strstr(err.msg, "CPUID table full"));
	assert_true(n <= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_keeps_kvm),
		cmocka_unit_test(test_on_moves_kvm),
		cmocka_unit_test(test_hidden_vendor_nosynic),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
