// SPDX-License-Identifier: GPL-2.0-only
/* fw_cfg as OVMF's QemuFwCfgLib reads it: the signature and ID through the
 * ports, the DMA signature, the file directory and etc/e820 by DMA (the RAM
 * in it must be the RAM of the PVH memory map), the CPU count, and a DMA
 * into a buffer outside RAM, which must end with the error bit while the
 * device goes on serving.
 * Command line: expect_cpus=N (default 1). */
#include "rt.h"

const char payload_name[] = "fw_cfg";

#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_DMA_HI 0x514
#define FW_CFG_DMA_LO 0x518
#define FW_CFG_ID 0x01
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_FILE_DIR 0x19
#define DMA_ERROR 0x01
#define DMA_READ 0x02
#define DMA_SELECT 0x08

struct dma_access {
	uint32_t control, length;   /* big-endian */
	uint32_t addr_hi, addr_lo;  /* a big-endian 64-bit address */
} __attribute__((aligned(16)));

struct dir_entry {
	uint32_t size;              /* big-endian */
	uint16_t select;            /* big-endian */
	uint16_t reserved;
	char name[56];
};

static struct dma_access desc;
static uint8_t buf[4096];

static uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
static uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }

/* One DMA transfer into `dst` (any guest address); returns the control word
 * the device left (0: done). */
static uint32_t fw_dma(uint32_t control, uint32_t len, uint64_t dst)
{
	desc.control = be32(control);
	desc.length = be32(len);
	desc.addr_hi = be32((uint32_t)(dst >> 32));
	desc.addr_lo = be32((uint32_t)dst);
	mb();
	outl(FW_CFG_DMA_HI, 0);
	outl(FW_CFG_DMA_LO, be32((uint32_t)(uintptr_t)&desc));
	mb();
	return be32(desc.control);
}

static void fw_read_port(uint16_t key, void *dst, unsigned len)
{
	outw(FW_CFG_SEL, key);
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)dst)[i] = inb(FW_CFG_DATA);
}

static const struct dir_entry *fw_find(const char *name, unsigned n)
{
	const struct dir_entry *e = (const void *)(buf + 4);
	for (unsigned i = 0; i < n; i++)
		if (!strncmp(e[i].name, name, sizeof(e[i].name)))
			return &e[i];
	return NULL;
}

/* Each RAM range of etc/e820 ({le64 addr, le64 size, le32 type}) is a RAM
 * range of the PVH memory map. */
static void check_e820(const struct hvm_start_info *si, const uint8_t *e820, uint32_t len)
{
	const struct hvm_memmap_entry *mm = (const void *)(uintptr_t)si->memmap_paddr;
	CHECK(len && len % 20 == 0, "etc/e820 is %u bytes, not whole 20-byte entries", len);
	for (uint32_t at = 0; at < len; at += 20) {
		uint64_t addr, size;
		uint32_t type;
		memcpy(&addr, e820 + at, 8);
		memcpy(&size, e820 + at + 8, 8);
		memcpy(&type, e820 + at + 16, 4);
		bool found = false;
		for (uint32_t i = 0; i < si->memmap_entries; i++)
			found |= mm[i].type == 1 && mm[i].addr == addr && mm[i].size == size;
		pr("etc/e820: 0x%llx +0x%llx type %u\n", addr, size, type);
		CHECK(type == 1 && found, "etc/e820 entry 0x%llx +0x%llx type %u is not RAM of "
		      "the memory map", addr, size, type);
	}
}

int main(const struct hvm_start_info *si)
{
	char sig[5] = { 0 };
	fw_read_port(0x00, sig, 4);
	CHECK(!memcmp(sig, "QEMU", 4), "fw_cfg signature '%s', want QEMU", sig);
	uint32_t id = 0;
	fw_read_port(FW_CFG_ID, &id, 4);
	CHECK(id & 2, "fw_cfg ID 0x%x has no DMA bit", id);
	char dsig[9] = { 0 };
	uint32_t hi = inl(FW_CFG_DMA_HI), lo = inl(FW_CFG_DMA_LO);
	memcpy(dsig, &hi, 4);
	memcpy(dsig + 4, &lo, 4);
	CHECK(!memcmp(dsig, "QEMU CFG", 8), "DMA signature '%s'", dsig);

	uint16_t cpus = 0;
	fw_read_port(FW_CFG_NB_CPUS, &cpus, 2);
	unsigned want = parse_u32(cmdline_get("expect_cpus"), 1);
	CHECK(cpus == want, "FW_CFG_NB_CPUS %u, want %u", cpus, want);

	CHECK(!fw_dma(DMA_SELECT | DMA_READ | FW_CFG_FILE_DIR << 16, sizeof(buf),
		      (uintptr_t)buf), "DMA read of the file directory failed");
	uint32_t n;
	memcpy(&n, buf, 4);
	n = be32(n);
	CHECK(n >= 1 && n < 60, "%u files in the directory", n);
	const struct dir_entry *e = fw_find("etc/e820", n);
	CHECK(e, "no etc/e820 among %u files", n);
	uint32_t len = be32(e->size);
	uint16_t key = be16(e->select);
	static uint8_t e820[512];
	CHECK(len <= sizeof(e820), "etc/e820 is %u bytes", len);
	CHECK(!fw_dma(DMA_SELECT | DMA_READ | (uint32_t)key << 16, len, (uintptr_t)e820),
	      "DMA read of etc/e820 failed");
	check_e820(si, e820, len);

	/* Hostile: a buffer in the PCI hole, and one far above RAM. */
	CHECK(fw_dma(DMA_SELECT | DMA_READ | (uint32_t)key << 16, len, 0xFEB00000u) & DMA_ERROR,
	      "a DMA into the PCI hole did not fail");
	CHECK(fw_dma(DMA_SELECT | DMA_READ | (uint32_t)key << 16, 16, 0x7000000000000ull) &
	      DMA_ERROR, "a DMA far above RAM did not fail");
	fw_read_port(0x00, sig, 4);
	CHECK(!memcmp(sig, "QEMU", 4), "fw_cfg stopped answering after bad DMA");
	pr("fw_cfg: %u files, %u CPUs, etc/e820 %u bytes\n", n, cpus, len);
	return 0;
}
