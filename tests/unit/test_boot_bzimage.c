// SPDX-License-Identifier: GPL-2.0-only
/* bzImage loading (vmm/boot/bzimage.c) with synthetic images. */
#include "tests/unit/boot_fixture.h"

#include "vmm/boot/boot.h"
#include "vmm/boot/e820.h"

#define PM_MAGIC 0x5a

struct bz {
	uint16_t version;
	uint8_t setup_sects;
	uint8_t loadflags;
	uint8_t relocatable;
	uint32_t align;
	uint64_t pref;
	uint32_t init_size;
	uint32_t initrd_max;
	uint32_t cmdline_size;
	uint16_t xloadflags;
	size_t pm_size;
};

static struct bz bz_default(void)
{
	return (struct bz){
		.version = 0x020f,
		.setup_sects = 4,
		.loadflags = 0x01, /* LOADED_HIGH */
		.relocatable = 1,
		.align = 2 * MiB,
		.pref = 16 * MiB,
		.init_size = 32 * MiB,
		.initrd_max = 0x7fffffff,
		.cmdline_size = 2047,
		.xloadflags = 0x03,
		.pm_size = 64 * KiB,
	};
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Build the file: setup sectors with the header, then the protected-mode part. */
static uint8_t *bz_make(const struct bz *b, size_t *len)
{
	size_t setup = ((size_t)(b->setup_sects ? b->setup_sects : 4) + 1) * 512;
	*len = setup + b->pm_size;
	uint8_t *f = calloc(1, *len);
	assert_non_null(f);
	f[0x1f1] = b->setup_sects;
	put16(f + 0x1fe, 0xaa55);
	f[0x200] = 0xeb;
	f[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(f + 0x202, "HdrS", 4);
	put16(f + 0x206, b->version);
	put32(f + 0x214, 0x100000);
	f[0x211] = b->loadflags;
	put32(f + 0x22c, b->initrd_max);
	put32(f + 0x230, b->align);
	f[0x234] = b->relocatable;
	put16(f + 0x236, b->xloadflags);
	put32(f + 0x238, b->cmdline_size);
	put64(f + 0x258, b->pref);
	put32(f + 0x260, b->init_size);
	for (size_t i = 0; i < b->pm_size; i++)
		f[setup + i] = (uint8_t)(PM_MAGIC + i);
	return f;
}

static int bz_boot(struct boot_fixture *f, const struct bz *b, struct boot_info *info,
		   struct error *err)
{
	size_t len;
	uint8_t *img = bz_make(b, &len);
	bf_set_kernel(f, img, len);
	free(img);
	return boot_load(&f->vm, info, err);
}

static void test_good(void **state)
{
	struct boot_fixture *f = bf_new(256 * MiB);
	struct bz b = bz_default();
	uint8_t initrd[8192];
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 7);
	bf_set_initrd(f, initrd, sizeof(initrd), sizeof(initrd) + 100);
	f->cfg.cmdline = "console=ttyS0 hello";
	f->vm.acpi_rsdp = 0xe0000;
	struct boot_info info;
	struct error err = { "" };
	if (bz_boot(f, &b, &info, &err))
		fail_msg("%s", err.msg);

	/* Loaded at pref_address, entered there with %esi = zero page. */
	assert_true(f->vm.entry_set);
	assert_int_equal(f->vm.entry.rip, 16 * MiB);
	assert_int_equal(f->vm.entry.rsi, LAYOUT_BOOT_PARAMS);
	assert_int_equal(f->vm.entry.rbx, 0);
	assert_int_equal(info.format, BOOT_FORMAT_BZIMAGE);
	assert_int_equal(info.protocol, 0x020f);
	uint8_t *k = bf_ptr(f, 16 * MiB, b.pm_size);
	for (size_t i = 0; i < b.pm_size; i++)
		assert_int_equal(k[i], (uint8_t)(PM_MAGIC + i));
	assert_int_equal(info.kernel_end, 16 * MiB + 32 * MiB);

	uint8_t *zp = bf_ptr(f, LAYOUT_BOOT_PARAMS, 4096);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(zp[0x1f1], 4);
	assert_int_equal(zp[0x210], 0xff);                       /* type_of_loader */
	assert_int_equal(bf_rd32(zp + 0x214), 16 * MiB);          /* code32_start */
	assert_int_equal(bf_rd32(zp + 0x228), LAYOUT_CMDLINE);    /* cmd_line_ptr */
	assert_string_equal((char *)bf_ptr(f, LAYOUT_CMDLINE, 20), "console=ttyS0 hello");
	assert_int_equal(bf_rd64(zp + 0x070), 0xe0000);           /* acpi_rsdp_addr */

	/* The initrd: page-aligned, at the top of RAM, above the kernel's init_size. */
	uint32_t rd = bf_rd32(zp + 0x218), rd_size = bf_rd32(zp + 0x21c);
	assert_int_equal(rd_size, sizeof(initrd) + 100);
	assert_int_equal(rd % 4096, 0);
	assert_true(rd >= 48 * MiB);
	assert_true(rd + rd_size <= 256 * MiB);
	assert_true(256 * MiB - (rd + rd_size) < 4096);
	assert_int_equal(bf_rd32(zp + 0x0c0), 0);
	assert_memory_equal(bf_ptr(f, rd, sizeof(initrd)), initrd, sizeof(initrd));
	assert_int_equal(info.initrd_addr, rd);

	/* The E820 table. */
	struct e820_map m;
	assert_int_equal(e820_build(&f->vm.layout, &m, &err), 0);
	assert_int_equal(zp[0x1e8], m.nr);
	for (unsigned i = 0; i < m.nr; i++) {
		assert_int_equal(bf_rd64(zp + 0x2d0 + 20 * i), m.entries[i].addr);
		assert_int_equal(bf_rd64(zp + 0x2d0 + 20 * i + 8), m.entries[i].size);
		assert_int_equal(bf_rd32(zp + 0x2d0 + 20 * i + 16), m.entries[i].type);
	}
	bf_free(f);
}

static void test_default_cmdline(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	struct error err = { "" };
	if (bz_boot(f, &b, NULL, &err))
		fail_msg("%s", err.msg);
	assert_string_equal((char *)bf_ptr(f, LAYOUT_CMDLINE, sizeof(BOOT_DEFAULT_CMDLINE)),
			    BOOT_DEFAULT_CMDLINE);
	uint8_t *zp = bf_ptr(f, LAYOUT_BOOT_PARAMS, 4096);
	assert_int_equal(bf_rd32(zp + 0x218), 0); /* no initrd */
	assert_int_equal(bf_rd32(zp + 0x21c), 0);
	bf_free(f);
}

static void test_rsdp_needs_2_14(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	b.version = 0x020d;
	f->vm.acpi_rsdp = 0xe0000;
	struct error err = { "" };
	if (bz_boot(f, &b, NULL, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(bf_rd64(bf_ptr(f, LAYOUT_BOOT_PARAMS + 0x70, 8)), 0);
	bf_free(f);
}

static void test_not_relocatable_loads_at_1m(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	b.relocatable = 0;
	struct boot_info info;
	struct error err = { "" };
	if (bz_boot(f, &b, &info, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(f->vm.entry.rip, 1 * MiB);
	assert_int_equal(bf_rd32(bf_ptr(f, LAYOUT_BOOT_PARAMS + 0x214, 4)), 1 * MiB);
	assert_int_equal(bf_ptr(f, 1 * MiB, 1)[0], PM_MAGIC);
	/* It still runs at pref_address, so that much is claimed. */
	assert_int_equal(info.kernel_end, 16 * MiB + 32 * MiB);
	bf_free(f);
}

static void test_pref_does_not_fit_loads_at_1m(void **state)
{
	/* The image is bigger than init_size here, and only fits from 1 MiB. */
	struct boot_fixture *f = bf_new(24 * MiB);
	struct bz b = bz_default();
	b.pm_size = 12 * MiB;
	b.init_size = 4 * MiB;
	struct error err = { "" };
	if (bz_boot(f, &b, NULL, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(f->vm.entry.rip, 1 * MiB);
	bf_free(f);
}

static void test_old_protocol(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	b.version = 0x020b;
	struct error err = { "" };
	assert_int_equal(bz_boot(f, &b, NULL, &err), -1);
	assert_contains(err.msg, "protocol 2.11");
	assert_contains(err.msg, "2.12");
	assert_contains(err.msg, f->kernel_path);
	assert_false(f->vm.entry_set);
	bf_free(f);
}

static void test_bad_magic(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	size_t len;
	uint8_t *img = bz_make(&b, &len);
	memcpy(img + 0x202, "HdrZ", 4);
	bf_set_kernel(f, img, len);
	free(img);
	struct error err = { "" };
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "is neither a bzImage nor an ELF vmlinux");
	assert_contains(err.msg, f->kernel_path);
	bf_free(f);
}

static void test_bad_boot_flag(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	size_t len;
	uint8_t *img = bz_make(&b, &len);
	img[0x1fe] = 0;
	bf_set_kernel(f, img, len);
	free(img);
	struct error err = { "" };
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "boot flag");
	bf_free(f);
}

static void test_zimage(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	b.loadflags = 0;
	struct error err = { "" };
	assert_int_equal(bz_boot(f, &b, NULL, &err), -1);
	assert_contains(err.msg, "zImage");
	bf_free(f);
}

static void test_truncated(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	size_t len;
	uint8_t *img = bz_make(&b, &len);
	struct error err = { "" };

	/* Cut inside the real-mode setup: no protected-mode part at all. */
	bf_set_kernel(f, img, 0x400);
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "truncated");
	assert_contains(err.msg, f->kernel_path);

	/* Cut inside the setup header itself. */
	bf_set_kernel(f, img, 0x240);
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "truncated");

	/* Just the magic. */
	bf_set_kernel(f, img, 0x207);
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "truncated");
	free(img);
	bf_free(f);
}

static void test_init_size_beyond_ram(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	b.init_size = 240 * MiB;
	struct error err = { "" };
	assert_int_equal(bz_boot(f, &b, NULL, &err), -1);
	assert_contains(err.msg, "--memory");
	assert_contains(err.msg, "128 MiB");
	assert_false(f->vm.entry_set);

	/* An init_size near 4 GiB must not overflow into "fits". */
	b.init_size = 0xfffff000;
	assert_int_equal(bz_boot(f, &b, NULL, &err), -1);
	assert_contains(err.msg, "--memory");
	bf_free(f);
}

static void test_bad_alignment(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	b.align = 3 * MiB;
	struct error err = { "" };
	assert_int_equal(bz_boot(f, &b, NULL, &err), -1);
	assert_contains(err.msg, "kernel_alignment");
	bf_free(f);
}

static void test_huge_initrd(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	bf_set_initrd(f, "x", 1, 200 * MiB);
	struct error err = { "" };
	assert_int_equal(bz_boot(f, &b, NULL, &err), -1);
	assert_contains(err.msg, "initrd");
	assert_contains(err.msg, f->initrd_path);
	assert_contains(err.msg, "200 MiB");
	assert_contains(err.msg, "--memory");
	bf_free(f);
}

static void test_initrd_respects_initrd_addr_max(void **state)
{
	struct boot_fixture *f = bf_new(256 * MiB);
	struct bz b = bz_default();
	b.initrd_max = 64 * MiB - 1;
	bf_set_initrd(f, "abc", 3, 3 * MiB);
	struct boot_info info;
	struct error err = { "" };
	if (bz_boot(f, &b, &info, &err))
		fail_msg("%s", err.msg);
	assert_true(info.initrd_addr >= 48 * MiB);
	assert_true(info.initrd_addr + 3 * MiB <= 64 * MiB);

	/* No room below initrd_addr_max and the kernel cannot take it higher. */
	b.initrd_max = 50 * MiB - 1;
	b.xloadflags = 0x01;
	assert_int_equal(bz_boot(f, &b, NULL, &err), -1);
	assert_contains(err.msg, "initrd");
	bf_free(f);
}

static void test_initrd_above_4g(void **state)
{
	/* RAM past the hole; the initrd does not fit under initrd_addr_max but
	 * the kernel says it can be loaded above 4 GiB. */
	struct boot_fixture *f = bf_new(LAYOUT_32BIT_HOLE_START + 64 * MiB);
	struct bz b = bz_default();
	b.initrd_max = 50 * MiB - 1;
	bf_set_initrd(f, "abc", 3, 3 * MiB);
	struct boot_info info;
	struct error err = { "" };
	if (bz_boot(f, &b, &info, &err))
		fail_msg("%s", err.msg);
	assert_true(info.initrd_addr >= LAYOUT_4GIB);
	uint8_t *zp = bf_ptr(f, LAYOUT_BOOT_PARAMS, 4096);
	uint64_t addr = bf_rd32(zp + 0x218) | (uint64_t)bf_rd32(zp + 0x0c0) << 32;
	assert_int_equal(addr, info.initrd_addr);
	assert_memory_equal(bf_ptr(f, addr, 3), "abc", 3);
	bf_free(f);
}

static void test_cmdline_too_long(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct bz b = bz_default();
	b.cmdline_size = 8;
	f->cfg.cmdline = "console=ttyS0";
	struct error err = { "" };
	assert_int_equal(bz_boot(f, &b, NULL, &err), -1);
	assert_contains(err.msg, "command line");
	bf_free(f);
}

static void test_missing_files(void **state)
{
	struct boot_fixture *f = bf_new(128 * MiB);
	struct error err = { "" };
	f->cfg.kernel = "/nonexistent/bzImage";
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "/nonexistent/bzImage");
	assert_contains(err.msg, "No such file or directory");

	struct bz b = bz_default();
	size_t len;
	uint8_t *img = bz_make(&b, &len);
	bf_set_kernel(f, img, len);
	free(img);
	f->cfg.initrd = "/nonexistent/initrd.img";
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "initrd /nonexistent/initrd.img");
	assert_contains(err.msg, "No such file or directory");

	f->cfg.initrd = NULL;
	f->cfg.kernel = "/";
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "not a regular file");

	uint8_t empty = 0;
	bf_set_kernel(f, &empty, 0);
	assert_int_equal(boot_load(&f->vm, NULL, &err), -1);
	assert_contains(err.msg, "empty");
	bf_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_default_cmdline),
		cmocka_unit_test(test_rsdp_needs_2_14),
		cmocka_unit_test(test_not_relocatable_loads_at_1m),
		cmocka_unit_test(test_pref_does_not_fit_loads_at_1m),
		cmocka_unit_test(test_old_protocol),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_bad_boot_flag),
		cmocka_unit_test(test_zimage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_init_size_beyond_ram),
		cmocka_unit_test(test_bad_alignment),
		cmocka_unit_test(test_huge_initrd),
		cmocka_unit_test(test_initrd_respects_initrd_addr_max),
		cmocka_unit_test(test_initrd_above_4g),
		cmocka_unit_test(test_cmdline_too_long),
		cmocka_unit_test(test_missing_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
