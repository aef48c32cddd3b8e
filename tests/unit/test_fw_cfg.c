// SPDX-License-Identifier: GPL-2.0-only
/*
 * fw_cfg (vmm/hw/fw_cfg.c) as OVMF's QemuFwCfgLib drives it, on guest RAM
 * without a VM: the signature and ID through the ports, the file directory,
 * DMA reads with select/skip, writes to a writable file, and a hostile
 * guest's descriptors (outside RAM, past an item, read-only items).
 */
#include <endian.h>
#include <linux/qemu_fw_cfg.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/hw/fw_cfg.h"
#include "vmm/layout.h"
#include "vmm/memory.h"

#define DESC 0x10000u     /* the guest's DMA descriptor */
#define BUF 0x20000u      /* the guest's buffer */

struct env {
	struct layout l;
	struct gmem mem;
	struct fw_cfg *fc;
	unsigned writes, last_off, last_len;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct error err;
	if (!e || layout_compute(&e->l, 64 * MiB, 40) ||
	    gmem_create(&e->mem, &e->l, GMEM_HUGE_NONE, NULL, &err))
		return -1;
	e->fc = fw_cfg_new(&e->mem, &err);
	*state = e;
	return e->fc ? 0 : -1;
}

static int teardown(void **state)
{
	struct env *e = *state;
	fw_cfg_free(e->fc);
	gmem_destroy(&e->mem);
	free(e);
	return 0;
}

static void port_select(struct env *e, uint16_t key)
{
	uint16_t le = htole16(key);
	fw_cfg_pio_write(e->fc, 0, &le, 2);
}

static uint8_t port_byte(struct env *e)
{
	uint8_t b;
	fw_cfg_pio_read(e->fc, 1, &b, 1);
	return b;
}

/* A descriptor at DESC, started the way OVMF does: high half, then low. */
static uint32_t dma(struct env *e, uint32_t control, uint32_t len, uint64_t addr)
{
	struct fw_cfg_dma_access d = { htobe32(control), htobe32(len), htobe64(addr) };
	assert_int_equal(gmem_write(&e->mem, DESC, &d, sizeof(d)), 0);
	uint32_t hi = htobe32(0), lo = htobe32(DESC);
	fw_cfg_pio_write(e->fc, 4, &hi, 4);
	fw_cfg_pio_write(e->fc, 8, &lo, 4);
	assert_int_equal(gmem_read(&e->mem, DESC, &d, sizeof(d)), 0);
	return be32toh(d.control);
}

static void test_signature_and_id(void **state)
{
	struct env *e = *state;
	port_select(e, FW_CFG_SIGNATURE);
	char sig[5] = { 0 };
	for (int i = 0; i < 4; i++)
		sig[i] = (char)port_byte(e);
	assert_string_equal(sig, "QEMU");
	assert_int_equal(port_byte(e), 0);          /* past the end: zeros */
	port_select(e, FW_CFG_ID);
	assert_int_equal(port_byte(e) & (FW_CFG_VERSION | FW_CFG_VERSION_DMA), 3);
	uint8_t dsig[8];
	fw_cfg_pio_read(e->fc, 4, dsig, 4);
	fw_cfg_pio_read(e->fc, 8, dsig + 4, 4);
	assert_memory_equal(dsig, "QEMU CFG", 8);
	port_select(e, 0x1234);                      /* no such item */
	assert_int_equal(port_byte(e), 0);
}

static void on_write(void *opaque, uint32_t off, uint32_t len)
{
	struct env *e = opaque;
	e->writes++;
	e->last_off = off;
	e->last_len = len;
}

static void test_files_and_dma(void **state)
{
	struct env *e = *state;
	struct error err;
	assert_int_equal(fw_cfg_add_file(e->fc, "opt/zeta", "zz", 2, NULL, NULL, &err), 0);
	assert_int_equal(fw_cfg_add_file(e->fc, "etc/alpha", "hello, firmware", 15, NULL, NULL,
					 &err), 0);
	uint8_t feat[4] = { 0 };
	assert_int_equal(fw_cfg_add_file(e->fc, "etc/smi/features-ok", feat, 4, on_write, e, &err), 0);

	/* The directory: three files, sorted by name, sizes and keys. */
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | FW_CFG_FILE_DIR << 16,
			     4 + 3 * 64, BUF), 0);
	uint8_t *dir = gmem_ptr(&e->mem, BUF, 4 + 3 * 64);
	assert_int_equal(be32toh(*(uint32_t *)dir), 3);
	struct fw_cfg_file f[3];
	memcpy(f, dir + 4, sizeof(f));
	assert_string_equal(f[0].name, "etc/alpha");
	assert_string_equal(f[1].name, "etc/smi/features-ok");
	assert_string_equal(f[2].name, "opt/zeta");
	assert_int_equal(be32toh(f[0].size), 15);

	/* Select by DMA, skip 7 bytes, read 8 (the last 8), then 4 more: zeros. */
	uint16_t alpha = be16toh(f[0].select);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP | (uint32_t)alpha << 16,
			     7, 0), 0);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 12, BUF), 0);
	assert_memory_equal(gmem_ptr(&e->mem, BUF, 12), "firmware\0\0\0\0", 12);

	/* The ports and DMA share one offset. */
	port_select(e, alpha);
	assert_int_equal(port_byte(e), 'h');
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 4, BUF), 0);
	assert_memory_equal(gmem_ptr(&e->mem, BUF, 4), "ello", 4);

	/* A writable file takes the guest's bytes and tells its owner. */
	uint32_t ok = htole32(1);
	gmem_write(&e->mem, BUF, &ok, 4);
	uint16_t fok = be16toh(f[1].select);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE | (uint32_t)fok << 16,
			     4, BUF), 0);
	assert_int_equal(e->writes, 1);
	assert_int_equal(e->last_len, 4);
	uint32_t len;
	const uint8_t *data = fw_cfg_file_data(e->fc, "etc/smi/features-ok", &len);
	assert_int_equal(len, 4);
	assert_int_equal(data[0], 1);
}

static void test_hostile_guest(void **state)
{
	struct env *e = *state;
	struct error err;
	assert_int_equal(fw_cfg_add_file(e->fc, "etc/ro", "abcd", 4, NULL, NULL, &err), 0);
	uint8_t w[4] = { 0 };
	assert_int_equal(fw_cfg_add_file(e->fc, "etc/rw", w, 4, on_write, e, &err), 0);
	uint16_t ro = FW_CFG_FILE_FIRST, rw = FW_CFG_FILE_FIRST + 1;
	uint32_t sel_read = FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
	uint32_t sel_write = FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE;

	/* Buffers outside RAM, across the end of RAM, wrapping around. */
	assert_int_equal(dma(e, sel_read | (uint32_t)ro << 16, 4, 0xF0000000ull),
			 FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(e, sel_read | (uint32_t)ro << 16, 0x100000, 64 * MiB - 16),
			 FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(e, sel_read | (uint32_t)ro << 16, 0xFFFFFFFF, UINT64_MAX - 8),
			 FW_CFG_DMA_CTL_ERROR);
	/* Writes to a read-only file, past a writable one's end, from outside RAM. */
	assert_int_equal(dma(e, sel_write | (uint32_t)ro << 16, 4, BUF), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(e, sel_write | (uint32_t)rw << 16, 5, BUF), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP | (uint32_t)rw << 16,
			     3, 0), 0);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_WRITE, 2, BUF), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(e, sel_write | (uint32_t)rw << 16, 4, 0xF0000000ull),
			 FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(e->writes, 0);
	uint32_t len;
	assert_memory_equal(fw_cfg_file_data(e->fc, "etc/ro", &len), "abcd", 4);
	/* A descriptor outside RAM is ignored; the device goes on. */
	uint32_t hi = htobe32(0x12345678), lo = htobe32(0);
	fw_cfg_pio_write(e->fc, 4, &hi, 4);
	fw_cfg_pio_write(e->fc, 8, &lo, 4);
	assert_int_equal(dma(e, sel_read | (uint32_t)ro << 16, 4, BUF), 0);
	assert_memory_equal(gmem_ptr(&e->mem, BUF, 4), "abcd", 4);
	/* Odd port accesses change nothing. */
	uint8_t b = 0x55;
	fw_cfg_pio_write(e->fc, 0, &b, 1);
	fw_cfg_pio_write(e->fc, 1, &b, 1);
	fw_cfg_pio_write(e->fc, 9, &b, 1);
	port_select(e, ro);
	assert_int_equal(port_byte(e), 'a');
}

static void test_limits(void **state)
{
	struct env *e = *state;
	struct error err;
	char name[80];
	memset(name, 'x', 56);
	name[56] = '\0';
	assert_int_equal(fw_cfg_add_file(e->fc, name, "", 0, NULL, NULL, &err), -1);
	assert_int_equal(fw_cfg_add_file(e->fc, "", "", 0, NULL, NULL, &err), -1);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_FILE_DIR, "", 0, &err), -1);
	for (int i = 0; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(fw_cfg_add_file(e->fc, name, "", 0, NULL, NULL, &err), 0);
	}
	assert_int_equal(fw_cfg_add_file(e->fc, "one-more", "", 0, NULL, NULL, &err), -1);
	/* The same name again replaces the file, it adds none. */
	assert_int_equal(fw_cfg_add_file(e->fc, "f3", "new", 3, NULL, NULL, &err), 0);
	uint32_t len;
	assert_memory_equal(fw_cfg_file_data(e->fc, "f3", &len), "new", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signature_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_and_dma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
