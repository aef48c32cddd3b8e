// SPDX-License-Identifier: GPL-2.0-only
/*
 * bzImage loader, x86 boot protocol 2.12+ (Linux 3.8+), 32-bit entry
 * (Documentation/arch/x86/boot.rst, "32-bit boot protocol").
 *
 * The real-mode setup code is not run: we copy the setup header into a
 * zeroed zero page, fill what a boot loader fills (loader type, command
 * line, initrd, E820 map, RSDP) and enter the protected-mode part at its
 * load address with %esi = zero page.
 */
#include <string.h>

#include "vmm/boot/loader.h"

/* Offsets in the file (setup header at 0x1f1) and in the zero page alike. */
#define BZ_SETUP_SECTS      0x1f1
#define BZ_BOOT_FLAG        0x1fe
#define BZ_JUMP             0x200
#define BZ_HEADER           0x202
#define BZ_VERSION          0x206
#define BZ_TYPE_OF_LOADER   0x210
#define BZ_LOADFLAGS        0x211
#define BZ_CODE32_START     0x214
#define BZ_RAMDISK_IMAGE    0x218
#define BZ_RAMDISK_SIZE     0x21c
#define BZ_CMD_LINE_PTR     0x228
#define BZ_INITRD_ADDR_MAX  0x22c
#define BZ_KERNEL_ALIGNMENT 0x230
#define BZ_RELOCATABLE      0x234
#define BZ_XLOADFLAGS       0x236
#define BZ_CMDLINE_SIZE     0x238
#define BZ_SETUP_DATA       0x250
#define BZ_PREF_ADDRESS     0x258
#define BZ_INIT_SIZE        0x260
#define BZ_HDR_MIN_END      0x268 /* protocol 2.12 has fields up to here */
#define BZ_HDR_MAX_END      0x290 /* boot_params.hdr ends here */

/* Zero page fields outside the setup header. */
#define ZP_ACPI_RSDP_ADDR   0x070
#define ZP_EXT_RAMDISK_IMG  0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_E820_ENTRIES     0x1e8
#define ZP_E820_TABLE       0x2d0
#define ZP_E820_MAX         128
#define ZP_SIZE             0x1000

#define LOADED_HIGH         0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02
#define BZ_MIN_PROTOCOL     0x020c
#define BZ_RSDP_PROTOCOL    0x020e

int bzimage_load(const struct boot_ctx *c, struct boot_info *info,
		 struct vm_boot_entry *entry, struct error *err)
{
	const char *path = c->kernel.path;
	uint64_t fsize = c->kernel.size;
	uint8_t hdr[BZ_HDR_MAX_END] = { 0 };
	uint64_t have = MIN(fsize, sizeof(hdr));
	if (have < BZ_VERSION + 2)
		return err_setf(err, "kernel %s is truncated: %llu bytes, too short for a bzImage header",
				path, (unsigned long long)fsize);
	if (boot_read(&c->kernel, 0, hdr, have, err))
		return -1;
	if (memcmp(hdr + BZ_HEADER, "HdrS", 4))
		return err_setf(err, "kernel %s is not a bzImage (no \"HdrS\" magic at 0x202)", path);
	if (le16(hdr + BZ_BOOT_FLAG) != 0xaa55)
		return err_setf(err, "kernel %s has a bad bzImage boot flag 0x%04x (expected 0xaa55)",
				path, le16(hdr + BZ_BOOT_FLAG));
	unsigned version = le16(hdr + BZ_VERSION);
	if (version < BZ_MIN_PROTOCOL)
		return err_setf(err, "kernel %s uses x86 boot protocol %u.%02u; passvm needs 2.12 or "
				"newer (Linux 3.8+)", path, version >> 8, version & 0xff);

	/* The setup header's own length: 0x202 + the jump's 8-bit displacement. */
	uint64_t hdr_end = BZ_HEADER + (uint64_t)hdr[BZ_JUMP + 1];
	hdr_end = MIN(hdr_end, (uint64_t)BZ_HDR_MAX_END);
	if (hdr_end < BZ_HDR_MIN_END)
		return err_setf(err, "kernel %s: its setup header ends at 0x%llx, too short for boot "
				"protocol %u.%02u", path, (unsigned long long)hdr_end,
				version >> 8, version & 0xff);
	if (hdr_end > have)
		return err_setf(err, "kernel %s is truncated: %llu bytes, its setup header ends at 0x%llx",
				path, (unsigned long long)fsize, (unsigned long long)hdr_end);
	if (!(hdr[BZ_LOADFLAGS] & LOADED_HIGH))
		return err_setf(err, "kernel %s is a zImage (loads below 1 MiB); passvm boots bzImages",
				path);

	unsigned setup_sects = hdr[BZ_SETUP_SECTS] ? hdr[BZ_SETUP_SECTS] : 4;
	uint64_t setup_size = (setup_sects + 1ULL) * 512;
	if (setup_size >= fsize)
		return err_setf(err, "kernel %s is truncated: %llu bytes, but its real-mode setup alone "
				"is %llu bytes", path, (unsigned long long)fsize,
				(unsigned long long)setup_size);
	uint64_t pm_size = fsize - setup_size;

	bool relocatable = hdr[BZ_RELOCATABLE] != 0;
	uint64_t align = le32(hdr + BZ_KERNEL_ALIGNMENT);
	uint64_t pref = le64(hdr + BZ_PREF_ADDRESS);
	uint64_t init_size = le32(hdr + BZ_INIT_SIZE);
	uint64_t initrd_max = le32(hdr + BZ_INITRD_ADDR_MAX);
	uint64_t cmdline_size = le32(hdr + BZ_CMDLINE_SIZE);
	uint64_t low_end = c->layout->low_ram_end;
	uint16_t xloadflags = le16(hdr + BZ_XLOADFLAGS);

	if (relocatable && (align < 4096 || (align & (align - 1)) || align > 1 * GiB))
		return err_setf(err, "kernel %s: kernel_alignment 0x%llx is not a power of two between "
				"4 KiB and 1 GiB", path, (unsigned long long)align);
	if (pref < LAYOUT_HIGH_MEM_START || pref >= LAYOUT_4GIB)
		pref = LAYOUT_HIGH_MEM_START; /* none given (or nonsense): the traditional 1 MiB */
	uint64_t footprint = MAX(init_size, pm_size);

	/*
	 * Where to load, and where the kernel will run (boot.rst, init_size):
	 * a relocatable kernel runs at align_up(max(load, pref), alignment),
	 * a fixed one at pref_address. Load at pref_address when the whole
	 * footprint fits there, else at 1 MiB.
	 */
	uint64_t load = LAYOUT_HIGH_MEM_START;
	if (relocatable && pref <= low_end && footprint <= low_end - pref)
		load = pref;
	uint64_t runtime = relocatable ? ALIGN_UP(MAX(load, pref), align) : pref;
	if (pm_size > low_end - load || runtime > low_end || init_size > low_end - runtime)
		return err_setf(err, "kernel %s needs guest RAM up to %llu MiB (%llu MiB of image and "
				"working space from 0x%llx) but RAM below 4 GiB ends at %llu MiB: "
				"give more --memory", path,
				(unsigned long long)((MAX(load + pm_size, runtime + init_size) + MiB - 1) / MiB),
				(unsigned long long)((footprint + MiB - 1) / MiB),
				(unsigned long long)runtime, (unsigned long long)(low_end / MiB));
	uint64_t kernel_end = MAX(load + pm_size, runtime + init_size);

	/* The command line: cmdline_size is the longest string without the NUL. */
	if (boot_write_cmdline(c, cmdline_size ? cmdline_size : 255, err))
		return err_prefix(err, "kernel %s", path);

	/* Initrd: as high as the kernel allows, above everything the kernel
	 * claims; above 4 GiB only if it does not fit below and the kernel can
	 * take it there. */
	uint64_t initrd_addr = 0;
	if (boot_load_initrd(c, kernel_end, MIN(initrd_max + 1, low_end),
			     (xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G) != 0, &initrd_addr, err))
		return -1;

	if (boot_read_to_guest(c, &c->kernel, setup_size, pm_size, load, err))
		return -1;

	/* The zero page: header copied as the kernel gave it, the rest zero. */
	uint8_t zp[ZP_SIZE] = { 0 };
	memcpy(zp + BZ_SETUP_SECTS, hdr + BZ_SETUP_SECTS, hdr_end - BZ_SETUP_SECTS);
	zp[BZ_TYPE_OF_LOADER] = 0xff; /* "undefined" boot loader */
	put32(zp + BZ_CODE32_START, (uint32_t)load);
	put32(zp + BZ_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE);
	uint64_t initrd_size = initrd_addr ? c->initrd.size : 0;
	put32(zp + BZ_RAMDISK_IMAGE, (uint32_t)initrd_addr);
	put32(zp + BZ_RAMDISK_SIZE, (uint32_t)initrd_size);
	put32(zp + ZP_EXT_RAMDISK_IMG, (uint32_t)(initrd_addr >> 32));
	put32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));
	put64(zp + BZ_SETUP_DATA, 0);
	if (version >= BZ_RSDP_PROTOCOL)
		put64(zp + ZP_ACPI_RSDP_ADDR, c->rsdp);
	if (c->e820.nr > ZP_E820_MAX)
		return err_setf(err, "internal error: %u E820 entries do not fit the zero page",
				c->e820.nr);
	zp[ZP_E820_ENTRIES] = (uint8_t)c->e820.nr;
	for (unsigned i = 0; i < c->e820.nr; i++) {
		uint8_t *e = zp + ZP_E820_TABLE + 20 * i;
		put64(e, c->e820.entries[i].addr);
		put64(e + 8, c->e820.entries[i].size);
		put32(e + 16, c->e820.entries[i].type);
	}
	if (gmem_write(c->mem, LAYOUT_BOOT_PARAMS, zp, sizeof(zp)))
		return err_setf(err, "cannot write the zero page at 0x%llx: not guest RAM",
				(unsigned long long)LAYOUT_BOOT_PARAMS);

	*entry = (struct vm_boot_entry){
		.rip = load,
		.rsi = LAYOUT_BOOT_PARAMS,
		.rbx = 0,
		.rsp = LAYOUT_BOOT_STACK,
	};
	*info = (struct boot_info){
		.format = BOOT_FORMAT_BZIMAGE,
		.protocol = version,
		.kernel_addr = load,
		.kernel_end = kernel_end,
		.initrd_addr = initrd_addr,
		.initrd_size = initrd_size,
		.cmdline_addr = LAYOUT_CMDLINE,
		.params_addr = LAYOUT_BOOT_PARAMS,
	};
	return 0;
}
