// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the variable store's CFI flash commands
 * (vmm/hw/pflash.c): a hostile guest's writes and reads at any offset and
 * width on a store malloc'd to its exact size, so ASan flags any access
 * outside it. The dirty range must always lie inside the store.
 *
 * Input: 12-byte steps: [0] width code (1/2/4/8; bit 7: a read)
 * [1..4) offset (le24, may run past the store) [4..12) value (le64).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/hw/pflash.h"

#define STORE (4 * PFLASH_BLOCK)
#define STEP 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *store = malloc(STORE);
	if (!store)
		abort();
	memset(store, 0xFF, STORE);
	struct pflash f;
	pflash_init(&f, store, STORE);
	for (size_t at = 0; at + STEP <= size; at += STEP) {
		const uint8_t *s = data + at;
		uint32_t len = 1u << (s[0] & 3);
		uint64_t off = (uint64_t)s[1] | (uint64_t)s[2] << 8 | (uint64_t)s[3] << 16, value;
		memcpy(&value, s + 4, 8);
		if (s[0] & 0x80)
			(void)pflash_read(&f, off, len);
		else
			pflash_write(&f, off, value, len);
		uint64_t lo, hi;
		if (pflash_take_dirty(&f, &lo, &hi) && (lo >= hi || hi > STORE))
			abort();
	}
	free(store);
	return 0;
}
