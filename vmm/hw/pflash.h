/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The UEFI variable store's flash: a CFI flash with Intel's command set, as
 * QEMU's pflash_cfi01 gives it and OVMF's QemuFlash.c drives it:
 *   0xFF (or 0x00, 0xF0)  read array: reads see the bytes
 *   0x50                  clear status, back to read array
 *   0x70                  read status (bit 7: ready; bits 4-5: errors)
 *   0x10 / 0x40, DATA     program: the next write stores DATA at its address
 *   0x20, 0xD0            erase the block (4 KiB) the confirm names: all 0xFF
 *   0x90                  read identifier (Intel, 0x18)
 * OVMF detects flash by writing 0x50 and 0x70 and reading 0x00 back.
 *
 * This is the command set on the store's bytes alone (unit tests and the
 * fuzz target use it without a VM). The device (pflash_device.c) maps the
 * bytes read-only into the guest while the flash is in read-array mode, so
 * reads cost no exit, and traps every access in the other modes.
 *
 * The guest is hostile: any offset and width is checked against the store;
 * a program or erase outside it sets the error bits and changes nothing.
 */
#ifndef PASSVM_PFLASH_H
#define PASSVM_PFLASH_H

#include <stdbool.h>
#include <stdint.h>

#define PFLASH_BLOCK 4096u

enum pflash_mode {
	PFLASH_ARRAY,       /* reads see the store */
	PFLASH_STATUS,      /* reads see the status register */
	PFLASH_PROGRAM,     /* the next write is data */
	PFLASH_ERASE,       /* the next write must be the confirm (0xD0) */
	PFLASH_ID,          /* reads see the identifier */
};

struct pflash {
	uint8_t *bytes;            /* the store (the device: a shared mapping of the vars file) */
	uint64_t size;             /* a whole number of blocks */
	enum pflash_mode mode;
	uint8_t status;
	/* What changed since pflash_take_dirty(): [dirty_lo, dirty_hi). */
	uint64_t dirty_lo, dirty_hi;
};

void pflash_init(struct pflash *f, uint8_t *bytes, uint64_t size);
/* A guest write of `len` bytes (1, 2, 4 or 8) at `off` into the store. */
void pflash_write(struct pflash *f, uint64_t off, uint64_t value, uint32_t len);
/* A guest read in any mode (in read-array mode, the store's bytes). */
uint64_t pflash_read(const struct pflash *f, uint64_t off, uint32_t len);
/* The range changed since the last call ([*lo, *hi); false: none). */
bool pflash_take_dirty(struct pflash *f, uint64_t *lo, uint64_t *hi);

#endif
