// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for fw_cfg (vmm/hw/fw_cfg.c), driven as a hostile guest
 * drives it: a script of port accesses (selector, data, the DMA address
 * halves, the signature) with DMA descriptors and buffers anywhere in a
 * guest RAM of two small regions around a hole (sized exactly, so ASan
 * flags any access outside RAM). The device holds numbered items, a few
 * files and one writable file, as a VM's would.
 *
 * Input: the first 512 bytes are the start of guest RAM region 0 (the rest
 * zeros): descriptors and data the guest prepared. Then 6-byte steps:
 * [0] port offset (mod 12) [1] width 1/2/4 (low bits), 0x40: a read,
 * 0x80: start a DMA [2..6) le32 value: written to the port, or for a DMA
 * the descriptor's address (low 12 bits in region 0, or with bit 15 the
 * low 10 bits in region 1).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/hw/fw_cfg.h"
#include "vmm/memory.h"

#define R0_SIZE 4096
#define R1_GPA 0x100000000ULL
#define R1_SIZE 1024
#define IMG 512
#define STEP 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_written(void *opaque, uint32_t off, uint32_t len)
{
	(void)opaque;
	if (off > 16 || len > 16 - off)
		abort();   /* a write past the file's own bytes */
}

static struct fw_cfg *fuzz_device(const struct gmem *mem)
{
	struct error err;
	struct fw_cfg *fc = fw_cfg_new(mem, &err);
	uint16_t cpus = 4;
	uint8_t rw[16] = { 0 };
	if (!fc || fw_cfg_add_item(fc, 0x05, &cpus, 2, &err) ||
	    fw_cfg_add_file(fc, "etc/e820", "0123456789abcdefghij", 20, NULL, NULL, &err) ||
	    fw_cfg_add_file(fc, "etc/empty", "", 0, NULL, NULL, &err) ||
	    fw_cfg_add_file(fc, "etc/rw", rw, sizeof(rw), fuzz_written, NULL, &err))
		abort();
	return fc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *r0, *r1;
	if (!r0) {
		r0 = malloc(R0_SIZE);
		r1 = malloc(R1_SIZE);
		if (!r0 || !r1)
			abort();
	}
	memset(r0, 0, R0_SIZE);
	memset(r1, 0, R1_SIZE);
	memcpy(r0, data, size < IMG ? size : IMG);
	struct gmem mem = { .fd = -1, .nr_regions = 2 };
	mem.regions[0] = (struct gmem_region){ .gpa = 0, .size = R0_SIZE, .host = r0 };
	mem.regions[1] = (struct gmem_region){ .gpa = R1_GPA, .size = R1_SIZE, .host = r1 };
	struct fw_cfg *fc = fuzz_device(&mem);
	for (size_t at = IMG; at + STEP <= size; at += STEP) {
		const uint8_t *s = data + at;
		uint32_t off = s[0] % FW_CFG_PORT_LEN, width = 1u << (s[1] % 3), value;
		memcpy(&value, s + 2, 4);
		if (s[1] & 0x80) {
			/* A descriptor address as OVMF writes it: big-endian halves. */
			uint64_t gpa = (value & 0x8000) ? R1_GPA + (value & 0x3ff) : (value & 0xfff);
			uint32_t hi = __builtin_bswap32((uint32_t)(gpa >> 32));
			uint32_t lo = __builtin_bswap32((uint32_t)gpa);
			fw_cfg_pio_write(fc, 4, &hi, 4);
			fw_cfg_pio_write(fc, 8, &lo, 4);
		} else if (s[1] & 0x40) {
			uint8_t out[4];
			fw_cfg_pio_read(fc, off, out, width);
		} else {
			fw_cfg_pio_write(fc, off, &value, width);
		}
	}
	fw_cfg_free(fc);
	return 0;
}
