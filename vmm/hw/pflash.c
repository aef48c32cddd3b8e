// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CFI flash command set (pflash.h) on the store's bytes. Behaviour
 * follows QEMU's pflash_cfi01, which OVMF is built and tested against: a
 * program stores the value as given (not an AND), reads after a program or
 * erase show the status until the guest asks for read array again.
 */
#include "vmm/hw/pflash.h"

#include <string.h>

#define CMD_READ_ARRAY   0xFF
#define CMD_RESET        0xF0
#define CMD_PROGRAM      0x10
#define CMD_PROGRAM_ALT  0x40
#define CMD_ERASE        0x20
#define CMD_CONFIRM      0xD0
#define CMD_CLEAR_STATUS 0x50
#define CMD_READ_STATUS  0x70
#define CMD_READ_ID      0x90

#define STATUS_READY      0x80
#define STATUS_ERASE_ERR  0x20
#define STATUS_PROGRAM_ERR 0x10
#define STATUS_SEQ_ERR    (STATUS_ERASE_ERR | STATUS_PROGRAM_ERR)

#define PFLASH_ID_MANUFACTURER 0x89   /* Intel */
#define PFLASH_ID_DEVICE       0x18

void pflash_init(struct pflash *f, uint8_t *bytes, uint64_t size)
{
	*f = (struct pflash){ .bytes = bytes, .size = size, .mode = PFLASH_ARRAY };
}

static bool pflash_in(const struct pflash *f, uint64_t off, uint64_t len)
{
	return off < f->size && len <= f->size - off;
}

static void pflash_mark(struct pflash *f, uint64_t off, uint64_t len)
{
	if (f->dirty_hi == f->dirty_lo) {
		f->dirty_lo = off;
		f->dirty_hi = off + len;
		return;
	}
	if (off < f->dirty_lo)
		f->dirty_lo = off;
	if (off + len > f->dirty_hi)
		f->dirty_hi = off + len;
}

static void pflash_program(struct pflash *f, uint64_t off, uint64_t value, uint32_t len)
{
	f->mode = PFLASH_STATUS;
	if (!pflash_in(f, off, len)) {
		f->status |= STATUS_PROGRAM_ERR | STATUS_READY;
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		f->bytes[off + i] = (uint8_t)(value >> (8 * i));   /* little-endian, as the bus */
	pflash_mark(f, off, len);
	f->status |= STATUS_READY;
}

static void pflash_erase(struct pflash *f, uint64_t off, uint8_t cmd)
{
	f->mode = PFLASH_STATUS;
	if (cmd != CMD_CONFIRM) {
		f->status |= STATUS_SEQ_ERR | STATUS_READY;
		f->mode = PFLASH_ARRAY;
		return;
	}
	uint64_t block = off - off % PFLASH_BLOCK;
	if (!pflash_in(f, block, PFLASH_BLOCK)) {
		f->status |= STATUS_ERASE_ERR | STATUS_READY;
		return;
	}
	memset(f->bytes + block, 0xFF, PFLASH_BLOCK);
	pflash_mark(f, block, PFLASH_BLOCK);
	f->status |= STATUS_READY;
}

/* A write when no data or confirm is expected: a command. */
static void pflash_command(struct pflash *f, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_ARRAY:
	case CMD_RESET:
	case 0x00:
		f->mode = PFLASH_ARRAY;
		break;
	case CMD_CLEAR_STATUS:
		f->status = 0;
		f->mode = PFLASH_ARRAY;
		break;
	case CMD_READ_STATUS:
		f->mode = PFLASH_STATUS;
		break;
	case CMD_PROGRAM:
	case CMD_PROGRAM_ALT:
		f->mode = PFLASH_PROGRAM;
		break;
	case CMD_ERASE:
		f->mode = PFLASH_ERASE;
		break;
	case CMD_READ_ID:
		f->mode = PFLASH_ID;
		break;
	default:   /* buffered writes, lock bits, CFI query: not offered */
		f->status |= STATUS_SEQ_ERR;
		f->mode = PFLASH_ARRAY;
		break;
	}
}

void pflash_write(struct pflash *f, uint64_t off, uint64_t value, uint32_t len)
{
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return;
	switch (f->mode) {
	case PFLASH_PROGRAM:
		pflash_program(f, off, value, len);
		break;
	case PFLASH_ERASE:
		pflash_erase(f, off, (uint8_t)value);
		break;
	default:
		pflash_command(f, (uint8_t)value);
		break;
	}
}

static uint8_t pflash_read_byte(const struct pflash *f, uint64_t off)
{
	switch (f->mode) {
	case PFLASH_ARRAY:
		return off < f->size ? f->bytes[off] : 0xFF;
	case PFLASH_ID:
		return off % 2 ? PFLASH_ID_DEVICE : PFLASH_ID_MANUFACTURER;
	default:
		return f->status;
	}
}

uint64_t pflash_read(const struct pflash *f, uint64_t off, uint32_t len)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < len && i < 8; i++) {
		uint8_t b = off + i < off ? 0xFF : pflash_read_byte(f, off + i);   /* no wrap */
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

bool pflash_take_dirty(struct pflash *f, uint64_t *lo, uint64_t *hi)
{
	if (f->dirty_hi == f->dirty_lo)
		return false;
	*lo = f->dirty_lo;
	*hi = f->dirty_hi;
	f->dirty_lo = f->dirty_hi = 0;
	return true;
}
