// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host CPU map from a fake sysfs (fake_sysfs.h) and `pin = auto`
 * placement: a hybrid Intel CPU (P-cores with SMT, E-cores, one L3), an AMD
 * CPU with two CCDs (two L3 groups), two packages without an L3, offline
 * CPUs, and sysfs trees that are broken.
 */
#include "tests/unit/fake_sysfs.h"

#include "vmm/config.h"
#include "vmm/hostcpu.h"

struct th {
	struct fake_host *h;
	struct hostcpu_map m;
};

static int th_setup(void **state)
{
	struct th *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->h = fh_new();
	*state = t;
	return 0;
}

static int th_teardown(void **state)
{
	struct th *t = *state;
	hostcpu_free(&t->m);
	fh_free(t->h);
	free(t);
	return 0;
}

/* 8 P-cores with two threads each (CPUs 0-15, siblings 2k and 2k+1), 8
 * E-cores (CPUs 16-23), one L3 over all: Alder/Raptor Lake i7 numbering. */
static void th_hybrid(struct fake_host *h)
{
	char sib[32];
	fh_write(h->sys, "devices/system/cpu/online", "0-23\n");
	for (unsigned c = 0; c < 8; c++) {
		fh_fmt(sib, sizeof(sib), "%u-%u", 2 * c, 2 * c + 1);
		fh_cpu(h, 2 * c, sib, c * 4, 0, "0-23");
		fh_cpu(h, 2 * c + 1, sib, c * 4, 0, "0-23");
	}
	for (unsigned e = 16; e < 24; e++) {
		fh_fmt(sib, sizeof(sib), "%u", e);
		fh_cpu(h, e, sib, 32 + e, 0, "0-23");
	}
	fh_write(h->sys, "devices/cpu_core/cpus", "0-15\n");
	fh_write(h->sys, "devices/cpu_atom/cpus", "16-23\n");
}

/* 16 cores in two CCDs of 8, SMT siblings n and n+16 (Linux's AMD numbering):
 * L3 0-7,16-23 and 8-15,24-31. */
static void th_two_ccds(struct fake_host *h)
{
	char sib[32];
	fh_write(h->sys, "devices/system/cpu/online", "0-31\n");
	for (unsigned c = 0; c < 16; c++) {
		const char *l3 = c < 8 ? "0-7,16-23" : "8-15,24-31";
		fh_fmt(sib, sizeof(sib), "%u,%u", c, c + 16);
		fh_cpu(h, c, sib, c, 0, l3);
		fh_cpu(h, c + 16, sib, c, 0, l3);
	}
}

static void th_expect_list(const struct cpuset_list *l, const char *want)
{
	struct cpuset_list w;
	assert_int_equal(cpuset_parse(want, &w, NULL), 0);
	char got[512] = "";
	size_t used = 0;
	for (unsigned i = 0; i < l->n && used < sizeof(got) - 8; i++)
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%u", i ? "," : "",
					 l->cpus[i]);
	if (l->n != w.n || memcmp(l->cpus, w.cpus, w.n * sizeof(w.cpus[0])))
		fail_msg("CPU list %s, expected %s", got, want);
}

static void th_place(const struct hostcpu_map *m, unsigned cores, unsigned threads,
		     const char *want)
{
	struct cpuset_list out;
	struct error err = { "" };
	if (hostcpu_place(m, cores, threads, &out, &err))
		fail_msg("hostcpu_place(%u, %u): %s", cores, threads, err.msg);
	th_expect_list(&out, want);
}

static void th_place_fails(const struct hostcpu_map *m, unsigned cores, unsigned threads,
			   const char *const *words)
{
	struct cpuset_list out;
	struct error err = { "" };
	assert_int_not_equal(hostcpu_place(m, cores, threads, &out, &err), 0);
	for (unsigned i = 0; words[i]; i++)
		if (!strstr(err.msg, words[i]))
			fail_msg("error lacks '%s': %s", words[i], err.msg);
}

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- hybrid ------------------------------------------------------------------ */

static void test_hybrid_map(void **state)
{
	struct th *t = *state;
	struct error err = { "" };
	th_hybrid(t->h);
	assert_int_equal(hostcpu_read(&t->m, t->h->sys, &err), 0);
	assert_true(t->m.hybrid);
	assert_int_equal(t->m.nr_cores, 16);
	for (unsigned i = 0; i < 8; i++) {
		assert_false(t->m.cores[i].efficient);
		assert_int_equal(t->m.cores[i].nr_threads, 2);
		assert_int_equal(t->m.cores[i].cpu[0], 2 * i);
		assert_int_equal(t->m.cores[i].cpu[1], 2 * i + 1);
		assert_int_equal(t->m.cores[i].l3, 0);
	}
	for (unsigned i = 8; i < 16; i++) {
		assert_true(t->m.cores[i].efficient);
		assert_int_equal(t->m.cores[i].nr_threads, 1);
		assert_int_equal(t->m.cores[i].cpu[0], 8 + i);
	}
	assert_int_equal(hostcpu_smt_width(&t->m), 2);
}

/* (e) vCPUs on sibling pairs of P-cores, the first core left to the host. */
static void test_hybrid_place(void **state)
{
	struct th *t = *state;
	th_hybrid(t->h);
	assert_int_equal(hostcpu_read(&t->m, t->h->sys, NULL), 0);
	th_place(&t->m, 6, 2, "2-13");
	th_place(&t->m, 7, 2, "2-15");
	/* All 8 P-cores asked for: the host's core too, E-cores never. */
	th_place(&t->m, 8, 2, "0-15");
	/* One thread per core: the first thread of each P-core. */
	th_place(&t->m, 4, 1, "2,4,6,8");
	th_place_fails(&t->m, 9, 2, W("9 host P-cores", "has 8", "lower vcpus to 16"));
	th_place_fails(&t->m, 2, 4, W("4 threads per core", "P-cores have 2", "threads = 2"));

	struct cpuset_list used, rest;
	assert_int_equal(hostcpu_place(&t->m, 6, 2, &used, NULL), 0);
	hostcpu_rest(&t->m, &used, &rest);
	th_expect_list(&rest, "0-1,14-23");
	assert_true(hostcpu_pin_is_smt(&t->m, &used, 12, 2));
}

static void test_pin_is_smt(void **state)
{
	struct th *t = *state;
	th_hybrid(t->h);
	assert_int_equal(hostcpu_read(&t->m, t->h->sys, NULL), 0);
	struct cpuset_list pin;
	assert_int_equal(cpuset_parse("2,3,4,5", &pin, NULL), 0);
	assert_true(hostcpu_pin_is_smt(&t->m, &pin, 4, 2));
	assert_int_equal(cpuset_parse("2,4,3,5", &pin, NULL), 0);
	assert_false(hostcpu_pin_is_smt(&t->m, &pin, 4, 2));
	assert_int_equal(cpuset_parse("2,2,4,5", &pin, NULL), 0);
	assert_false(hostcpu_pin_is_smt(&t->m, &pin, 4, 2));
	assert_int_equal(cpuset_parse("16,17", &pin, NULL), 0);   /* E-cores: one thread */
	assert_false(hostcpu_pin_is_smt(&t->m, &pin, 2, 2));
	assert_int_equal(cpuset_parse("2,3,4", &pin, NULL), 0);
	assert_false(hostcpu_pin_is_smt(&t->m, &pin, 3, 2));
}

/* pin = auto and topology = auto through config_finalize, as a profile sets them. */
static void test_config_auto(void **state)
{
	struct th *t = *state;
	struct vm_config c;
	struct error err = { "" };
	th_hybrid(t->h);
	config_defaults(&c);
	c.sysfs_root = t->h->sys;
	c.cpus = 12;
	c.cpu_auto = (struct cpu_auto){ .topology = true, .pin = true, .emulator_pin = true };
	if (config_finalize(&c, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(c.topology.sockets, 1);
	assert_int_equal(c.topology.cores, 6);
	assert_int_equal(c.topology.threads, 2);
	th_expect_list(&c.pin_vcpus, "2-13");
	th_expect_list(&c.pin_other, "0-1,14-23");
	th_expect_list(&c.pin_io, "0-1,14-23");
	config_release(&c);
}

/* ---- AMD, two L3 groups ----------------------------------------------------------- */

static void test_two_ccds_place(void **state)
{
	struct th *t = *state;
	th_two_ccds(t->h);
	assert_int_equal(hostcpu_read(&t->m, t->h->sys, NULL), 0);
	assert_false(t->m.hybrid);
	assert_int_equal(t->m.nr_cores, 16);
	assert_int_equal(t->m.cores[3].cpu[1], 19);
	assert_int_equal(t->m.cores[3].l3, 0);
	assert_int_equal(t->m.cores[12].l3, 8);
	/* 4 cores fit in either CCD: the one without the host's core. */
	th_place(&t->m, 4, 2, "8,24,9,25,10,26,11,27");
	th_place(&t->m, 8, 2, "8,24,9,25,10,26,11,27,12,28,13,29,14,30,15,31");
	/* 12 cores fit in no CCD alone: the fuller one first, then the other. */
	th_place(&t->m, 12, 2, "8,24,9,25,10,26,11,27,12,28,13,29,14,30,15,31,"
		 "1,17,2,18,3,19,4,20");
	th_place(&t->m, 3, 1, "8,9,10");
}

/* No L3 in sysfs (some VMs): the package groups cores instead. */
static void test_packages_without_l3(void **state)
{
	struct th *t = *state;
	char sib[8];
	fh_write(t->h->sys, "devices/system/cpu/online", "0-7\n");
	for (unsigned c = 0; c < 8; c++) {
		fh_fmt(sib, sizeof(sib), "%u", c);
		fh_cpu(t->h, c, sib, c % 4, c / 4, NULL);
	}
	assert_int_equal(hostcpu_read(&t->m, t->h->sys, NULL), 0);
	assert_int_equal(t->m.cores[0].l3, -1);
	assert_int_equal(t->m.cores[5].l3, -2);
	assert_int_equal(hostcpu_smt_width(&t->m), 1);
	th_place(&t->m, 3, 1, "4-6");
	th_place(&t->m, 4, 1, "4-7");
	th_place(&t->m, 6, 1, "4-7,1-2");
}

/* Offline CPUs are neither cores nor siblings. */
static void test_offline_cpus(void **state)
{
	struct th *t = *state;
	th_two_ccds(t->h);
	fh_write(t->h->sys, "devices/system/cpu/online", "0-8,16-23\n");
	assert_int_equal(hostcpu_read(&t->m, t->h->sys, NULL), 0);
	assert_int_equal(t->m.nr_cores, 9);
	assert_int_equal(t->m.cores[8].nr_threads, 1);   /* 24 is offline */
	assert_int_equal(t->m.cores[8].cpu[0], 8);
	/* Only one core of CCD1 is left with two threads: CCD0 takes it all. */
	th_place(&t->m, 3, 2, "1,17,2,18,3,19");
}

/* ---- broken trees ------------------------------------------------------------------ */

static void test_broken_sysfs(void **state)
{
	struct th *t = *state;
	struct error err = { "" };
	assert_int_not_equal(hostcpu_read(&t->m, t->h->sys, &err), 0);
	assert_non_null(strstr(err.msg, "devices/system/cpu/online"));

	fh_write(t->h->sys, "devices/system/cpu/online", "0-3,x\n");
	assert_int_not_equal(hostcpu_read(&t->m, t->h->sys, &err), 0);
	assert_non_null(strstr(err.msg, "devices/system/cpu/online"));

	th_hybrid(t->h);
	fh_remove(t->h->sys, "devices/system/cpu/cpu6/topology/thread_siblings_list");
	assert_int_not_equal(hostcpu_read(&t->m, t->h->sys, &err), 0);
	assert_non_null(strstr(err.msg, "cpu6/topology/thread_siblings_list"));

	th_hybrid(t->h);
	fh_write(t->h->sys, "devices/system/cpu/cpu4/cache/index3/shared_cpu_list", "\n");
	assert_int_not_equal(hostcpu_read(&t->m, t->h->sys, &err), 0);
	assert_non_null(strstr(err.msg, "cpu4/cache/index3/shared_cpu_list"));

	/* A sibling list naming a CPU out of range. */
	th_hybrid(t->h);
	fh_write(t->h->sys, "devices/system/cpu/cpu2/topology/thread_siblings_list", "2-3,9999\n");
	assert_int_not_equal(hostcpu_read(&t->m, t->h->sys, &err), 0);
	assert_non_null(strstr(err.msg, "cpu2/topology/thread_siblings_list"));

	/* Placement on an empty map says so rather than crashing. */
	struct hostcpu_map empty = { .nr_cores = 0 };
	struct cpuset_list out;
	assert_int_not_equal(hostcpu_place(&empty, 1, 1, &out, &err), 0);
	assert_int_not_equal(hostcpu_place(&empty, 1, 0, &out, &err), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, th_setup, th_teardown)
	const struct CMUnitTest tests[] = {
		T(test_hybrid_map),
		T(test_hybrid_place),
		T(test_pin_is_smt),
		T(test_config_auto),
		T(test_two_ccds_place),
		T(test_packages_without_l3),
		T(test_offline_cpus),
		T(test_broken_sysfs),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
