// SPDX-License-Identifier: GPL-2.0-only
/* bootinfo: the PVH boot contract Linux relies on, checked strictly:
 * entry state (PE on, PG off, IF off, flat segments), hvm_start_info
 * version >= 1 with a memory map that holds us, cmdline, RSDP. */
#include "rt.h"

const char payload_name[] = "bootinfo";

extern const uint8_t __image_start[], __image_end[];

static const char *e820_name(uint32_t t)
{
	switch (t) {
	case 1: return "RAM";
	case 2: return "reserved";
	case 3: return "ACPI";
	case 4: return "NVS";
	default: return "?";
	}
}

int main(const struct hvm_start_info *si)
{
	pr("entry: ebx 0x%08x esi 0x%08x esp 0x%08x cr0 0x%08x cr4 0x%08x eflags 0x%08x "
	   "cs 0x%x ds 0x%x ss 0x%x\n",
	   rt_entry_ebx, rt_entry_esi, rt_entry_esp, rt_entry_cr0, rt_entry_cr4,
	   rt_entry_eflags, rt_entry_cs, rt_entry_ds, rt_entry_ss);
	CHECK(rt_entry_cr0 & 1, "entered with CR0.PE clear (cr0 0x%08x)", rt_entry_cr0);
	CHECK(!(rt_entry_cr0 & 0x80000000u), "entered with paging on (cr0 0x%08x)", rt_entry_cr0);
	CHECK(!(rt_entry_eflags & 0x200), "entered with interrupts enabled (eflags 0x%08x)",
	      rt_entry_eflags);
	CHECK(!(rt_entry_eflags & 0x400), "entered with EFLAGS.DF set");
	if (rt_entry_cs != 0x10 || rt_entry_ds != 0x18)
		warn("entry selectors cs 0x%x ds 0x%x (passvm documents 0x10/0x18)", rt_entry_cs,
		     rt_entry_ds);

	pr("start_info: version %u flags 0x%x nr_modules %u cmdline 0x%llx rsdp 0x%llx "
	   "memmap 0x%llx x %u\n",
	   si->version, si->flags, si->nr_modules, si->cmdline_paddr, si->rsdp_paddr,
	   si->memmap_paddr, si->memmap_entries);
	CHECK(si->version >= 1 && si->memmap_entries,
	      "start_info version %u with %u memmap entries: Linux needs version >= 1 and "
	      "a memory map (it would fall back to a Xen hypercall)",
	      si->version, si->memmap_entries);
	CHECK(si->memmap_paddr && si->memmap_paddr < 0xA0000,
	      "memmap at 0x%llx, expected in low RAM", si->memmap_paddr);

	const struct hvm_memmap_entry *m =
		(const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
	bool covers_us = false, covers_low = false;
	uint64_t ram = 0, prev_end = 0;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		uint64_t end = m[i].addr + m[i].size;
		pr("  memmap %u: 0x%012llx-0x%012llx %s\n", i, m[i].addr, end - 1,
		   e820_name(m[i].type));
		CHECK(m[i].size, "memmap entry %u has size 0", i);
		CHECK(m[i].addr >= prev_end, "memmap entry %u overlaps or is out of order", i);
		prev_end = end;
		if (m[i].type != 1)
			continue;
		ram += m[i].size;
		if (m[i].addr <= (uintptr_t)__image_start && end >= (uintptr_t)__image_end)
			covers_us = true;
		if (m[i].addr == 0 && end >= 0x9F000)
			covers_low = true;
		CHECK(!(m[i].addr < 0xB0000000ull && end > 0xB0000000ull),
		      "RAM entry %u runs into the PCI hole at 0xB0000000", i);
	}
	CHECK(covers_us, "no RAM entry covers the loaded image 0x%08x-0x%08x",
	      (uint32_t)(uintptr_t)__image_start, (uint32_t)(uintptr_t)__image_end);
	CHECK(covers_low, "no RAM entry for low memory 0-0x9F000");
	pr("  RAM total %llu MiB\n", ram >> 20);

	CHECK(si->rsdp_paddr >= 0xE0000 && si->rsdp_paddr < 0x100000,
	      "rsdp_paddr 0x%llx, expected in the BIOS area 0xE0000-0xFFFFF", si->rsdp_paddr);
	CHECK(!memcmp((const void *)(uintptr_t)si->rsdp_paddr, "RSD PTR ", 8),
	      "no 'RSD PTR ' signature at rsdp_paddr 0x%llx", si->rsdp_paddr);

	if (si->cmdline_paddr) {
		CHECK(si->cmdline_paddr < 0xA0000, "cmdline at 0x%llx not in low RAM",
		      si->cmdline_paddr);
		const char *c = (const char *)(uintptr_t)si->cmdline_paddr;
		pr("  cmdline: \"%s\"\n", c);
		const char *want = cmdline_get("bootinfo_token");
		if (want)
			CHECK(!strncmp(want, "xyzzy", 5), "cmdline token mangled: %s", want);
	} else {
		warn("no command line (cmdline_paddr 0)");
	}

	/* The loader must zero-fill .bss (p_memsz > p_filesz). */
	static volatile uint32_t bss_probe[256];
	for (unsigned i = 0; i < 256; i++)
		CHECK(!bss_probe[i], ".bss not zero at %p: 0x%x", (void *)&bss_probe[i],
		      bss_probe[i]);
	return 0;
}
