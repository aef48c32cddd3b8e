/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to vmm/boot: what the format loaders share. */
#ifndef PASSVM_BOOT_LOADER_H
#define PASSVM_BOOT_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/boot/boot.h"
#include "vmm/boot/e820.h"
#include "vmm/memory.h"
#include "vmm/vm.h"

struct boot_file {
	const char *what;   /* "kernel", "initrd": for messages */
	const char *path;
	int fd;             /* -1 when absent */
	uint64_t size;
};

struct boot_ctx {
	const struct gmem *mem;
	const struct layout *layout;
	struct boot_file kernel;
	struct boot_file initrd;
	const char *cmdline;
	uint64_t rsdp;           /* 0: no ACPI tables */
	struct e820_map e820;
};

/* Read exactly len bytes at off; a short file is an error naming it. */
int boot_read(const struct boot_file *f, uint64_t off, void *dst, uint64_t len,
	      struct error *err);
/* Read [off, off+len) of the file into guest RAM at gpa (bounds-checked). */
int boot_read_to_guest(const struct boot_ctx *c, const struct boot_file *f, uint64_t off,
		       uint64_t len, uint64_t gpa, struct error *err);
/* Write the command line (NUL-terminated) at LAYOUT_CMDLINE; max_len is the
 * longest the kernel accepts, not counting the NUL. */
int boot_write_cmdline(const struct boot_ctx *c, uint64_t max_len, struct error *err);
/* Load the initrd page-aligned as high as possible with its end at or below
 * `limit` (and low_ram_end), not below `floor`; if it does not fit there and
 * allow_high, at the top of RAM above 4 GiB. No initrd: *addr = 0. */
int boot_load_initrd(const struct boot_ctx *c, uint64_t floor, uint64_t limit, bool allow_high,
		     uint64_t *addr, struct error *err);

bool bzimage_detect(const uint8_t *head, uint64_t len);
bool elf_detect(const uint8_t *head, uint64_t len);
int bzimage_load(const struct boot_ctx *c, struct boot_info *info,
		 struct vm_boot_entry *entry, struct error *err);
int pvh_load(const struct boot_ctx *c, struct boot_info *info,
	     struct vm_boot_entry *entry, struct error *err);

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

#endif
