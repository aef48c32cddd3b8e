// SPDX-License-Identifier: GPL-2.0-only
/* The E820 map built from the layout (vmm/boot/e820.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/boot/e820.h"
#include "vmm/layout.h"

static void build(uint64_t ram, struct e820_map *m)
{
	struct layout l;
	assert_int_equal(layout_compute(&l, ram, 46), 0);
	struct error err = { "" };
	if (e820_build(&l, m, &err))
		fail_msg("e820_build: %s", err.msg);
	/* Always sorted, non-empty and non-overlapping. */
	for (unsigned i = 0; i < m->nr; i++) {
		assert_true(m->entries[i].size > 0);
		if (i)
			assert_true(m->entries[i - 1].addr + m->entries[i - 1].size <=
				    m->entries[i].addr);
	}
}

static const struct e820_entry *find(const struct e820_map *m, uint64_t addr)
{
	for (unsigned i = 0; i < m->nr; i++)
		if (m->entries[i].addr == addr)
			return &m->entries[i];
	return NULL;
}

static uint64_t ram_total(const struct e820_map *m)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < m->nr; i++)
		if (m->entries[i].type == E820_RAM)
			t += m->entries[i].size;
	return t;
}

static void check_low(const struct e820_map *m, uint64_t low_end)
{
	const struct e820_entry *e = &m->entries[0];
	assert_int_equal(e->addr, 0);
	assert_int_equal(e->size, LAYOUT_EBDA_START);
	assert_int_equal(e->type, E820_RAM);
	e = &m->entries[1];
	assert_int_equal(e->addr, LAYOUT_EBDA_START);
	assert_int_equal(e->addr + e->size, LAYOUT_HIGH_MEM_START);
	assert_int_equal(e->type, E820_RESERVED);
	/* The ACPI area is inside that reserved entry. */
	assert_true(e->addr <= LAYOUT_BIOS_START && LAYOUT_BIOS_END <= e->addr + e->size);
	e = &m->entries[2];
	assert_int_equal(e->addr, LAYOUT_HIGH_MEM_START);
	assert_int_equal(e->addr + e->size, low_end);
	assert_int_equal(e->type, E820_RAM);
	e = find(m, LAYOUT_ECAM_BASE);
	assert_non_null(e);
	assert_int_equal(e->size, LAYOUT_ECAM_SIZE);
	assert_int_equal(e->type, E820_RESERVED);
	e = find(m, LAYOUT_KVM_IDENTITY_MAP);
	assert_non_null(e);
	assert_int_equal(e->type, E820_RESERVED);
}

static void test_small_ram(void **state)
{
	struct e820_map m;
	build(64 * MiB, &m);
	check_low(&m, 64 * MiB);
	assert_null(find(&m, LAYOUT_4GIB));
	assert_int_equal(m.nr, 5);
	/* All RAM but the EBDA..1 MiB hole is usable. */
	assert_int_equal(ram_total(&m), 64 * MiB - (LAYOUT_HIGH_MEM_START - LAYOUT_EBDA_START));
}

static void test_ram_exactly_at_hole(void **state)
{
	struct e820_map m;
	build(LAYOUT_32BIT_HOLE_START, &m);
	check_low(&m, LAYOUT_32BIT_HOLE_START);
	assert_null(find(&m, LAYOUT_4GIB));
	/* The low RAM entry ends exactly where ECAM begins. */
	assert_int_equal(m.entries[2].addr + m.entries[2].size, m.entries[3].addr);
}

static void test_ram_just_over_hole(void **state)
{
	struct e820_map m;
	build(LAYOUT_32BIT_HOLE_START + 1 * MiB, &m);
	check_low(&m, LAYOUT_32BIT_HOLE_START);
	const struct e820_entry *e = find(&m, LAYOUT_4GIB);
	assert_non_null(e);
	assert_int_equal(e->size, 1 * MiB);
	assert_int_equal(e->type, E820_RAM);
	assert_int_equal(m.entries[m.nr - 1].addr, LAYOUT_4GIB);
}

static void test_large_ram(void **state)
{
	struct e820_map m;
	build(64 * GiB, &m);
	check_low(&m, LAYOUT_32BIT_HOLE_START);
	const struct e820_entry *e = find(&m, LAYOUT_4GIB);
	assert_non_null(e);
	assert_int_equal(e->size, 64 * GiB - LAYOUT_32BIT_HOLE_START);
	assert_int_equal(ram_total(&m),
			 64 * GiB - (LAYOUT_HIGH_MEM_START - LAYOUT_EBDA_START));
}

static void test_bad_layout(void **state)
{
	struct layout l = { .ram_size = 512 * KiB, .low_ram_end = 512 * KiB };
	struct e820_map m;
	struct error err = { "" };
	assert_int_equal(e820_build(&l, &m, &err), -1);
	assert_non_null(strstr(err.msg, "1 MiB"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_ram),
		cmocka_unit_test(test_ram_exactly_at_hole),
		cmocka_unit_test(test_ram_just_over_hole),
		cmocka_unit_test(test_large_ram),
		cmocka_unit_test(test_bad_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
