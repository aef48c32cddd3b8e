// SPDX-License-Identifier: GPL-2.0-only
/*
 * The variable store's CFI flash commands (vmm/hw/pflash.c) as OVMF's
 * QemuFlash.c uses them: the detection probe, byte programs, block erases,
 * the dirty range the device syncs, and a hostile guest's sequences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/hw/pflash.h"

#define SIZE (4 * PFLASH_BLOCK)

static uint8_t store[SIZE];

static void reset(struct pflash *f)
{
	memset(store, 0xAB, sizeof(store));
	pflash_init(f, store, sizeof(store));
}

/* QemuFlashDetected(): 0x50 must not read back (it is not RAM), 0x70 reads 0. */
static void test_ovmf_detects_flash(void **state)
{
	struct pflash f;
	reset(&f);
	uint8_t original = (uint8_t)pflash_read(&f, 0, 1);
	pflash_write(&f, 0, 0x50, 1);
	assert_int_equal(f.mode, PFLASH_ARRAY);
	assert_int_equal(pflash_read(&f, 0, 1), original);
	pflash_write(&f, 0, 0x70, 1);
	assert_int_equal(f.mode, PFLASH_STATUS);
	assert_int_equal(pflash_read(&f, 0, 1), 0x00);
	pflash_write(&f, 0, 0xFF, 1);
	assert_int_equal(f.mode, PFLASH_ARRAY);
	uint64_t lo, hi;
	assert_false(pflash_take_dirty(&f, &lo, &hi));   /* probing writes nothing */
	assert_int_equal(store[0], 0xAB);
}

/* QemuFlashWrite(): 0x10 + byte per byte, then read array. */
static void test_program_and_erase(void **state)
{
	struct pflash f;
	reset(&f);
	const char msg[] = "PassVM";
	for (unsigned i = 0; i < sizeof(msg); i++) {
		pflash_write(&f, 0x1000 + i, 0x10, 1);
		pflash_write(&f, 0x1000 + i, (uint8_t)msg[i], 1);
		assert_int_equal(pflash_read(&f, 0x1000, 1) & 0x80, 0x80);   /* status: ready */
	}
	pflash_write(&f, 0x1000, 0xFF, 1);
	assert_memory_equal(store + 0x1000, msg, sizeof(msg));
	assert_int_equal(pflash_read(&f, 0x1000, 4), 0x73736150);   /* "Pass", little-endian */
	uint64_t lo, hi;
	assert_true(pflash_take_dirty(&f, &lo, &hi));
	assert_int_equal(lo, 0x1000);
	assert_int_equal(hi, 0x1000 + sizeof(msg));
	assert_false(pflash_take_dirty(&f, &lo, &hi));

	/* QemuFlashEraseBlock(): 0x20, 0xD0 anywhere in the block. */
	pflash_write(&f, 0x1234, 0x20, 1);
	pflash_write(&f, 0x1234, 0xD0, 1);
	assert_int_equal(pflash_read(&f, 0x1234, 1), 0x80);
	pflash_write(&f, 0, 0xFF, 1);
	for (unsigned i = 0; i < PFLASH_BLOCK; i++)
		assert_int_equal(store[0x1000 + i], 0xFF);
	assert_int_equal(store[0x0FFF], 0xAB);
	assert_int_equal(store[0x2000], 0xAB);
	assert_true(pflash_take_dirty(&f, &lo, &hi));
	assert_int_equal(lo, 0x1000);
	assert_int_equal(hi, 0x2000);
	/* The ID, then back. */
	pflash_write(&f, 0, 0x90, 1);
	assert_int_equal(pflash_read(&f, 0, 2), 0x1889);
	pflash_write(&f, 0, 0xFF, 1);
	assert_int_equal(pflash_read(&f, 0, 1), 0xAB);
}

static void test_hostile_sequences(void **state)
{
	struct pflash f;
	reset(&f);
	/* A program that runs past the end changes nothing and says so. */
	pflash_write(&f, SIZE - 2, 0x40, 1);
	pflash_write(&f, SIZE - 2, 0x11223344, 4);
	assert_int_equal(pflash_read(&f, 0, 1) & 0x10, 0x10);
	assert_int_equal(store[SIZE - 2], 0xAB);
	/* Erase without its confirm: a sequence error, back to read array. */
	pflash_write(&f, 0, 0x50, 1);
	pflash_write(&f, 0, 0x20, 1);
	pflash_write(&f, 0, 0x10, 1);
	assert_int_equal(f.mode, PFLASH_ARRAY);
	assert_int_equal(f.status & 0x30, 0x30);
	assert_int_equal(store[0], 0xAB);
	/* Unknown commands and odd widths: no change to the store. */
	pflash_write(&f, 0, 0xE8, 1);
	pflash_write(&f, 0, 0x98, 1);
	pflash_write(&f, 0, 0x10, 3);
	assert_int_equal(f.mode, PFLASH_ARRAY);
	uint64_t lo, hi;
	assert_false(pflash_take_dirty(&f, &lo, &hi));
	/* A read far outside reads erased flash. */
	assert_int_equal(pflash_read(&f, UINT64_MAX - 2, 8), 0xFFFFFFFFFFFFFFFFull);
	/* A program of 8 bytes at the very end is in range. */
	pflash_write(&f, SIZE - 8, 0x10, 1);
	pflash_write(&f, SIZE - 8, 0x0807060504030201ull, 8);
	pflash_write(&f, 0, 0xFF, 1);
	assert_int_equal(store[SIZE - 1], 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ovmf_detects_flash),
		cmocka_unit_test(test_program_and_erase),
		cmocka_unit_test(test_hostile_sequences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
