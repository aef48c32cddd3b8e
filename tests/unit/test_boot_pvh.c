// SPDX-License-Identifier: GPL-2.0-only
/* PVH loading of ELF kernels (vmm/boot/pvh.c) with synthetic ELF files. */
#include <elf.h>

#include "tests/unit/boot_fixture.h"

#include "vmm/boot/boot.h"
#include "vmm/boot/e820.h"

#define NOTE_OFF  0x200
#define DATA_OFF  0x1000
#define MAX_SEGS  4

struct seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

struct elf_spec {
	bool is64;
	uint16_t machine;
	unsigned nr;
	struct seg segs[MAX_SEGS];
	/* The note: 0 = none; else its descsz (4 or 8) */
	unsigned note_desc;
	uint64_t entry;
	uint32_t note_namesz;  /* 0: the normal 4 */
	size_t file_size;
};

/* One PT_LOAD at 1 MiB with bss, plus the PT_NOTE with the entry. */
static struct elf_spec spec_default(bool is64)
{
	struct elf_spec s = {
		.is64 = is64,
		.machine = is64 ? EM_X86_64 : EM_386,
		.nr = 2,
		.note_desc = is64 ? 8 : 4,
		.entry = 1 * MiB + 0x10,
		.file_size = DATA_OFF + 0x1000,
	};
	s.segs[0] = (struct seg){ PT_LOAD, DATA_OFF, 1 * MiB, 0x1000, 0x3000, 0x1000 };
	s.segs[1] = (struct seg){ PT_NOTE, NOTE_OFF, 0, 0, 0, 4 };
	return s;
}

static uint8_t *elf_make(struct elf_spec *s, size_t *len)
{
	uint8_t *f = calloc(1, s->file_size);
	assert_non_null(f);
	*len = s->file_size;
	/* The note (also the size of the PT_NOTE segment). */
	size_t note_len = 0;
	if (s->note_desc) {
		uint8_t *n = f + NOTE_OFF;
		/* a foreign note first, to be skipped */
		uint32_t gnu[3] = { 4, 4, 1 };
		memcpy(n, gnu, 12);
		memcpy(n + 12, "GNU\0", 4);
		memcpy(n + 16, "abcd", 4);
		n += 20;
		uint32_t hdr[3] = { s->note_namesz ? s->note_namesz : 4, s->note_desc, 18 };
		memcpy(n, hdr, 12);
		memcpy(n + 12, "Xen\0", 4);
		memcpy(n + 16, &s->entry, s->note_desc);
		note_len = 20 + 16 + s->note_desc;
	}
	for (unsigned i = 0; i < s->nr; i++)
		if (s->segs[i].type == PT_NOTE && !s->segs[i].filesz)
			s->segs[i].filesz = note_len;
	for (size_t i = DATA_OFF; i < s->file_size; i++)
		f[i] = (uint8_t)(i * 3 + 1);

	if (s->is64) {
		Elf64_Ehdr h = { .e_type = ET_EXEC, .e_machine = s->machine, .e_version = EV_CURRENT,
				 .e_entry = s->entry, .e_phoff = sizeof(Elf64_Ehdr),
				 .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
				 .e_phnum = (uint16_t)s->nr };
		memcpy(h.e_ident, ELFMAG, SELFMAG);
		h.e_ident[EI_CLASS] = ELFCLASS64;
		h.e_ident[EI_DATA] = ELFDATA2LSB;
		h.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(f, &h, sizeof(h));
		for (unsigned i = 0; i < s->nr; i++) {
			const struct seg *g = &s->segs[i];
			Elf64_Phdr p = { .p_type = g->type, .p_offset = g->offset,
					 .p_vaddr = g->paddr + 0xffffffff80000000ULL,
					 .p_paddr = g->paddr, .p_filesz = g->filesz,
					 .p_memsz = g->memsz, .p_align = g->align };
			memcpy(f + sizeof(h) + i * sizeof(p), &p, sizeof(p));
		}
	} else {
		Elf32_Ehdr h = { .e_type = ET_EXEC, .e_machine = s->machine, .e_version = EV_CURRENT,
				 .e_entry = (uint32_t)s->entry, .e_phoff = sizeof(Elf32_Ehdr),
				 .e_ehsize = sizeof(Elf32_Ehdr), .e_phentsize = sizeof(Elf32_Phdr),
				 .e_phnum = (uint16_t)s->nr };
		memcpy(h.e_ident, ELFMAG, SELFMAG);
		h.e_ident[EI_CLASS] = ELFCLASS32;
		h.e_ident[EI_DATA] = ELFDATA2LSB;
		h.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(f, &h, sizeof(h));
		for (unsigned i = 0; i < s->nr; i++) {
			const struct seg *g = &s->segs[i];
			Elf32_Phdr p = { .p_type = g->type, .p_offset = (uint32_t)g->offset,
					 .p_vaddr = (uint32_t)g->paddr, .p_paddr = (uint32_t)g->paddr,
					 .p_filesz = (uint32_t)g->filesz,
					 .p_memsz = (uint32_t)g->memsz, .p_align = (uint32_t)g->align };
			memcpy(f + sizeof(h) + i * sizeof(p), &p, sizeof(p));
		}
	}
	return f;
}

static int pvh_boot(struct boot_fixture *f, struct elf_spec *s, struct boot_info *info,
		    struct error *err)
{
	size_t len;
	uint8_t *img = elf_make(s, &len);
	bf_set_kernel(f, img, len);
	free(img);
	return boot_load(&f->vm, info, err);
}

static void check_good(bool is64)
{
	struct boot_fixture *f = bf_new(64 * MiB);
	struct elf_spec s = spec_default(is64);
	/* Garbage where the bss goes: the loader must zero it. */
	memset(bf_ptr(f, 1 * MiB, 0x3000), 0xaa, 0x3000);
	uint8_t initrd[5000];
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5c);
	bf_set_initrd(f, initrd, sizeof(initrd), sizeof(initrd));
	f->cfg.cmdline = "console=ttyS0 pvh";
	f->vm.acpi_rsdp = 0xe0000;
	struct boot_info info;
	struct error err = { "" };
	if (pvh_boot(f, &s, &info, &err))
		fail_msg("%s", err.msg);

	assert_true(f->vm.entry_set);
	assert_int_equal(f->vm.entry.rip, 1 * MiB + 0x10);
	assert_int_equal(f->vm.entry.rbx, LAYOUT_PVH_START_INFO);
	assert_int_equal(info.format, BOOT_FORMAT_PVH);
	assert_int_equal(info.kernel_addr, 1 * MiB);
	assert_int_equal(info.kernel_end, 1 * MiB + 0x3000);

	/* Segment contents and zeroed bss. */
	uint8_t *k = bf_ptr(f, 1 * MiB, 0x3000);
	for (size_t i = 0; i < 0x1000; i++)
		assert_int_equal(k[i], (uint8_t)((DATA_OFF + i) * 3 + 1));
	for (size_t i = 0x1000; i < 0x3000; i++)
		assert_int_equal(k[i], 0);

	/* hvm_start_info, version 1. */
	uint8_t *si = bf_ptr(f, LAYOUT_PVH_START_INFO, 0x38);
	assert_int_equal(bf_rd32(si + 0x00), 0x336ec578);
	assert_int_equal(bf_rd32(si + 0x04), 1);
	assert_int_equal(bf_rd32(si + 0x08), 0);
	assert_int_equal(bf_rd32(si + 0x0c), 1);
	assert_int_equal(bf_rd64(si + 0x10), LAYOUT_PVH_MODLIST);
	assert_int_equal(bf_rd64(si + 0x18), LAYOUT_CMDLINE);
	assert_int_equal(bf_rd64(si + 0x20), 0xe0000);
	assert_int_equal(bf_rd64(si + 0x28), LAYOUT_PVH_MEMMAP);
	assert_int_equal(bf_rd32(si + 0x34), 0);
	assert_string_equal((char *)bf_ptr(f, LAYOUT_CMDLINE, 18), "console=ttyS0 pvh");

	/* The memory map matches the E820 builder, 24-byte entries. */
	struct e820_map m;
	assert_int_equal(e820_build(&f->vm.layout, &m, &err), 0);
	assert_int_equal(bf_rd32(si + 0x30), m.nr);
	uint8_t *mm = bf_ptr(f, LAYOUT_PVH_MEMMAP, 24 * m.nr);
	for (unsigned i = 0; i < m.nr; i++) {
		assert_int_equal(bf_rd64(mm + 24 * i), m.entries[i].addr);
		assert_int_equal(bf_rd64(mm + 24 * i + 8), m.entries[i].size);
		assert_int_equal(bf_rd32(mm + 24 * i + 16), m.entries[i].type);
		assert_int_equal(bf_rd32(mm + 24 * i + 20), 0);
	}

	/* The module list: the initrd, page-aligned at the top of RAM. */
	uint8_t *mod = bf_ptr(f, LAYOUT_PVH_MODLIST, 32);
	uint64_t rd = bf_rd64(mod), rd_size = bf_rd64(mod + 8);
	assert_int_equal(rd_size, sizeof(initrd));
	assert_int_equal(rd % 4096, 0);
	assert_true(rd >= 1 * MiB + 0x3000);
	assert_true(rd + rd_size <= 64 * MiB);
	assert_memory_equal(bf_ptr(f, rd, sizeof(initrd)), initrd, sizeof(initrd));
	assert_int_equal(bf_rd64(mod + 16), 0);
	bf_free(f);
}

static void test_elf32_good(void **state)
{
	check_good(false);
}

static void test_elf64_good(void **state)
{
	check_good(true);
}

static void test_no_initrd(void **state)
{
	struct boot_fixture *f = bf_new(64 * MiB);
	struct elf_spec s = spec_default(true);
	struct error err = { "" };
	if (pvh_boot(f, &s, NULL, &err))
		fail_msg("%s", err.msg);
	uint8_t *si = bf_ptr(f, LAYOUT_PVH_START_INFO, 0x38);
	assert_int_equal(bf_rd32(si + 0x0c), 0);
	assert_int_equal(bf_rd64(si + 0x10), 0);
	assert_int_equal(bf_rd64(si + 0x20), 0); /* no ACPI built: rsdp 0 */
	assert_string_equal((char *)bf_ptr(f, LAYOUT_CMDLINE, sizeof(BOOT_DEFAULT_CMDLINE)),
			    BOOT_DEFAULT_CMDLINE);
	bf_free(f);
}

static void expect_error(struct elf_spec *s, uint64_t ram, const char *what)
{
	struct boot_fixture *f = bf_new(ram);
	struct error err = { "" };
	assert_int_equal(pvh_boot(f, s, NULL, &err), -1);
	assert_contains(err.msg, what);
	assert_contains(err.msg, f->kernel_path);
	assert_false(f->vm.entry_set);
	bf_free(f);
}

static void test_segment_outside_ram(void **state)
{
	struct elf_spec s = spec_default(true);
	s.segs[0].paddr = 1 * GiB;
	s.entry = 1 * GiB;
	expect_error(&s, 64 * MiB, "outside guest RAM");

	/* The bss runs past the end of RAM. */
	s = spec_default(false);
	s.segs[0].memsz = 64 * MiB;
	expect_error(&s, 64 * MiB, "outside guest RAM");

	/* Below 1 MiB, where the boot structures and ACPI tables live. */
	s = spec_default(false);
	s.segs[0].paddr = 0x8000;
	s.entry = 0x8010;
	expect_error(&s, 64 * MiB, "outside guest RAM");

	/* paddr + memsz wraps around. */
	s = spec_default(true);
	s.segs[0].paddr = 2 * MiB;
	s.segs[0].memsz = UINT64_MAX - 1 * MiB;
	s.entry = 2 * MiB;
	expect_error(&s, 64 * MiB, "outside guest RAM");
}

static void test_file_range_overflow(void **state)
{
	struct elf_spec s = spec_default(true);
	s.segs[0].filesz = 0x2000; /* past the end of the file */
	expect_error(&s, 64 * MiB, "truncated or corrupt");

	s = spec_default(true);
	s.segs[0].offset = UINT64_MAX - 0x10; /* offset + filesz wraps */
	expect_error(&s, 64 * MiB, "truncated or corrupt");

	s = spec_default(false);
	s.segs[0].filesz = 0x4000; /* filesz > memsz */
	s.segs[0].memsz = 0x3000;
	s.file_size = DATA_OFF + 0x4000;
	expect_error(&s, 64 * MiB, "p_filesz");
}

static void test_missing_note(void **state)
{
	struct elf_spec s = spec_default(true);
	s.note_desc = 0;
	s.nr = 1;
	expect_error(&s, 64 * MiB, "without a PVH entry note");

	/* A note with the right type but another owner does not count. */
	s = spec_default(false);
	s.note_namesz = 3;
	expect_error(&s, 64 * MiB, "without a PVH entry note");
}

static void test_bad_notes(void **state)
{
	struct elf_spec s = spec_default(true);
	s.note_desc = 2;
	expect_error(&s, 64 * MiB, "4 or 8");

	/* A PT_NOTE pointing past the end of the file. */
	s = spec_default(true);
	s.segs[1].offset = 0x100000;
	expect_error(&s, 64 * MiB, "truncated");

	/* A namesz that runs past the segment. */
	s = spec_default(true);
	s.note_namesz = 0x7fffffff;
	expect_error(&s, 64 * MiB, "malformed ELF note");
}

static void test_entry_outside_segments(void **state)
{
	struct elf_spec s = spec_default(false);
	s.entry = 1 * MiB + 0x2000; /* in the bss, not in the file-backed part */
	expect_error(&s, 64 * MiB, "not inside any loaded ELF segment");
}

static void test_not_x86(void **state)
{
	struct elf_spec s = spec_default(true);
	s.machine = EM_AARCH64;
	expect_error(&s, 64 * MiB, "not x86");
}

static void test_no_load_segments(void **state)
{
	struct elf_spec s = spec_default(true);
	s.segs[0].type = PT_NULL;
	expect_error(&s, 64 * MiB, "no loadable");
}

static void test_initrd_too_big(void **state)
{
	struct boot_fixture *f = bf_new(64 * MiB);
	struct elf_spec s = spec_default(false);
	bf_set_initrd(f, "x", 1, 100 * MiB);
	struct error err = { "" };
	assert_int_equal(pvh_boot(f, &s, NULL, &err), -1);
	assert_contains(err.msg, "initrd");
	assert_contains(err.msg, "100 MiB");
	bf_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf32_good),
		cmocka_unit_test(test_elf64_good),
		cmocka_unit_test(test_no_initrd),
		cmocka_unit_test(test_segment_outside_ram),
		cmocka_unit_test(test_file_range_overflow),
		cmocka_unit_test(test_missing_note),
		cmocka_unit_test(test_bad_notes),
		cmocka_unit_test(test_entry_outside_segments),
		cmocka_unit_test(test_not_x86),
		cmocka_unit_test(test_no_load_segments),
		cmocka_unit_test(test_initrd_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
