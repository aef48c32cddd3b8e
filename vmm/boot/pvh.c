// SPDX-License-Identifier: GPL-2.0-only
/*
 * PVH direct boot of an uncompressed ELF kernel (Xen's x86/HVM direct boot
 * ABI, xen/include/public/arch-x86/hvm/start_info.h): the entry point is the
 * physical address in the ELF note ("Xen", XEN_ELFNOTE_PHYS32_ENTRY), entered
 * in 32-bit flat protected mode with %ebx = hvm_start_info.
 *
 * Linux's vmlinux is ELF64 (its note value is 8 bytes); our freestanding
 * test payloads are ELF32 with a 4-byte note. Both are loaded by physical
 * address (p_paddr), which must lie in RAM between 1 MiB and the PCI hole.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/loader.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578
#define HVM_START_VERSION        1
#define HVM_START_INFO_SIZE      0x38
#define HVM_MODLIST_ENTRY_SIZE   32
#define HVM_MEMMAP_ENTRY_SIZE    24

#define PVH_MAX_PHDRS   128
#define PVH_MAX_NOTES   (64 * 1024) /* bytes in one PT_NOTE segment */
#define PVH_CMDLINE_MAX 2047        /* Linux x86 COMMAND_LINE_SIZE - 1 */

_Static_assert(E820_MAX_ENTRIES * HVM_MEMMAP_ENTRY_SIZE <=
	       LAYOUT_PVH_MODLIST - LAYOUT_PVH_MEMMAP, "PVH memmap overflows into the modlist");
_Static_assert(LAYOUT_PVH_START_INFO + HVM_START_INFO_SIZE <= LAYOUT_PVH_MEMMAP,
	       "PVH start_info overflows into the memmap");

struct pvh_seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

struct pvh_elf {
	bool is64;
	unsigned nr;
	struct pvh_seg segs[PVH_MAX_PHDRS];
};

static int pvh_read_headers(const struct boot_ctx *c, struct pvh_elf *e, struct error *err)
{
	const char *path = c->kernel.path;
	unsigned char ident[EI_NIDENT];
	if (c->kernel.size < sizeof(Elf32_Ehdr))
		return err_setf(err, "kernel %s is truncated: %llu bytes, too short for an ELF header",
				path, (unsigned long long)c->kernel.size);
	if (boot_read(&c->kernel, 0, ident, sizeof(ident), err))
		return -1;
	if (ident[EI_DATA] != ELFDATA2LSB || ident[EI_VERSION] != EV_CURRENT ||
	    (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64))
		return err_setf(err, "kernel %s is not a little-endian ELF32/ELF64 file", path);
	e->is64 = ident[EI_CLASS] == ELFCLASS64;

	uint64_t phoff;
	unsigned phnum, phentsize, machine, type;
	if (e->is64) {
		Elf64_Ehdr h;
		if (boot_read(&c->kernel, 0, &h, sizeof(h), err))
			return -1;
		phoff = h.e_phoff;
		phnum = h.e_phnum;
		phentsize = h.e_phentsize;
		machine = h.e_machine;
		type = h.e_type;
	} else {
		Elf32_Ehdr h;
		if (boot_read(&c->kernel, 0, &h, sizeof(h), err))
			return -1;
		phoff = h.e_phoff;
		phnum = h.e_phnum;
		phentsize = h.e_phentsize;
		machine = h.e_machine;
		type = h.e_type;
	}
	if (machine != EM_X86_64 && machine != EM_386)
		return err_setf(err, "kernel %s is an ELF file for machine %u, not x86", path, machine);
	if (type != ET_EXEC)
		return err_setf(err, "kernel %s is not an ELF executable (e_type %u)", path, type);
	size_t want = e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (phentsize < want)
		return err_setf(err, "kernel %s: ELF program header size %u is too small (%zu)", path,
				phentsize, want);
	if (phnum == 0 || phnum > PVH_MAX_PHDRS)
		return err_setf(err, "kernel %s has %u ELF program headers (1 to %d supported)", path,
				phnum, PVH_MAX_PHDRS);
	e->nr = phnum;
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t off = phoff + (uint64_t)i * phentsize;
		if (off < phoff) /* overflow */
			return err_setf(err, "kernel %s: ELF program headers out of range", path);
		struct pvh_seg *s = &e->segs[i];
		if (e->is64) {
			Elf64_Phdr p;
			if (boot_read(&c->kernel, off, &p, sizeof(p), err))
				return -1;
			*s = (struct pvh_seg){ p.p_type, p.p_offset, p.p_paddr, p.p_filesz,
					       p.p_memsz, p.p_align };
		} else {
			Elf32_Phdr p;
			if (boot_read(&c->kernel, off, &p, sizeof(p), err))
				return -1;
			*s = (struct pvh_seg){ p.p_type, p.p_offset, p.p_paddr, p.p_filesz,
					       p.p_memsz, p.p_align };
		}
	}
	return 0;
}

/* Search the PT_NOTE segments for the PVH entry note. *found = false if absent. */
static int pvh_find_entry(const struct boot_ctx *c, const struct pvh_elf *e, uint64_t *entry,
			  bool *found, struct error *err)
{
	const char *path = c->kernel.path;
	*found = false;
	for (unsigned i = 0; i < e->nr && !*found; i++) {
		const struct pvh_seg *s = &e->segs[i];
		if (s->type != PT_NOTE || !s->filesz)
			continue;
		if (s->filesz > PVH_MAX_NOTES)
			return err_setf(err, "kernel %s: ELF note segment %u is %llu bytes (at most %d)",
					path, i, (unsigned long long)s->filesz, PVH_MAX_NOTES);
		uint8_t *buf = malloc(s->filesz);
		if (!buf)
			return err_setf(err, "out of memory");
		if (boot_read(&c->kernel, s->offset, buf, s->filesz, err)) {
			free(buf);
			return err_prefix(err, "ELF note segment %u", i);
		}
		uint64_t a = s->align == 8 ? 8 : 4;
		uint64_t pos = 0;
		int ret = 0;
		while (pos + 12 <= s->filesz) {
			uint64_t namesz = le32(buf + pos), descsz = le32(buf + pos + 4);
			uint32_t type = le32(buf + pos + 8);
			uint64_t name = pos + 12;
			uint64_t desc = name + ALIGN_UP(namesz, a);
			if (namesz > s->filesz - name || descsz > s->filesz || desc > s->filesz - descsz) {
				ret = err_setf(err, "kernel %s: malformed ELF note at offset %llu of "
					       "segment %u", path, (unsigned long long)pos, i);
				break;
			}
			pos = desc + ALIGN_UP(descsz, a);
			if (type != XEN_ELFNOTE_PHYS32_ENTRY || namesz != 4 ||
			    memcmp(buf + name, "Xen", 4))
				continue;
			if (descsz == 4)
				*entry = le32(buf + desc);
			else if (descsz == 8)
				*entry = le64(buf + desc);
			else {
				ret = err_setf(err, "kernel %s: the PVH entry note has a %llu-byte value "
					       "(4 or 8 expected)", path, (unsigned long long)descsz);
				break;
			}
			*found = true;
			break;
		}
		free(buf);
		if (ret)
			return ret;
	}
	return 0;
}

int pvh_load(const struct boot_ctx *c, struct boot_info *info, struct vm_boot_entry *entry,
	     struct error *err)
{
	const char *path = c->kernel.path;
	struct pvh_elf *e = calloc(1, sizeof(*e));
	if (!e)
		return err_setf(err, "out of memory");
	int ret = -1;
	if (pvh_read_headers(c, e, err))
		goto out;

	uint64_t pvh_entry = 0;
	bool found;
	if (pvh_find_entry(c, e, &pvh_entry, &found, err))
		goto out;
	if (!found) {
		err_setf(err, "kernel %s is an ELF file without a PVH entry note "
			 "(XEN_ELFNOTE_PHYS32_ENTRY): build it with CONFIG_PVH=y or boot its bzImage",
			 path);
		goto out;
	}

	/* Check every loadable segment before touching guest RAM. */
	uint64_t low_end = c->layout->low_ram_end;
	uint64_t lo = UINT64_MAX, hi = 0;
	bool entry_ok = false;
	for (unsigned i = 0; i < e->nr; i++) {
		const struct pvh_seg *s = &e->segs[i];
		if (s->type != PT_LOAD || !s->memsz)
			continue;
		if (s->filesz > s->memsz) {
			err_setf(err, "kernel %s: ELF segment %u has p_filesz 0x%llx larger than "
				 "p_memsz 0x%llx", path, i, (unsigned long long)s->filesz,
				 (unsigned long long)s->memsz);
			goto out;
		}
		if (s->offset > c->kernel.size || s->filesz > c->kernel.size - s->offset) {
			err_setf(err, "kernel %s is truncated or corrupt: ELF segment %u needs file bytes "
				 "0x%llx+0x%llx but the file has %llu", path, i,
				 (unsigned long long)s->offset, (unsigned long long)s->filesz,
				 (unsigned long long)c->kernel.size);
			goto out;
		}
		if (s->paddr < LAYOUT_HIGH_MEM_START || s->paddr >= low_end ||
		    s->memsz > low_end - s->paddr) {
			err_setf(err, "kernel %s: ELF segment %u (0x%llx+0x%llx) is outside guest RAM "
				 "between 1 MiB and %llu MiB: give more --memory or link it elsewhere",
				 path, i, (unsigned long long)s->paddr, (unsigned long long)s->memsz,
				 (unsigned long long)(low_end / MiB));
			goto out;
		}
		lo = MIN(lo, s->paddr);
		hi = MAX(hi, s->paddr + s->memsz);
		if (pvh_entry >= s->paddr && pvh_entry - s->paddr < s->filesz)
			entry_ok = true;
	}
	if (hi == 0) {
		err_setf(err, "kernel %s has no loadable ELF segments", path);
		goto out;
	}
	if (!entry_ok) {
		err_setf(err, "kernel %s: the PVH entry 0x%llx is not inside any loaded ELF segment",
			 path, (unsigned long long)pvh_entry);
		goto out;
	}

	if (boot_write_cmdline(c, PVH_CMDLINE_MAX, err)) {
		err_prefix(err, "kernel %s", path);
		goto out;
	}
	uint64_t initrd_addr = 0;
	if (boot_load_initrd(c, hi, low_end, true, &initrd_addr, err))
		goto out;

	for (unsigned i = 0; i < e->nr; i++) {
		const struct pvh_seg *s = &e->segs[i];
		if (s->type != PT_LOAD || !s->memsz)
			continue;
		if (boot_read_to_guest(c, &c->kernel, s->offset, s->filesz, s->paddr, err))
			goto out;
		/* bss: checked above to be RAM */
		memset((uint8_t *)gmem_ptr(c->mem, s->paddr, s->memsz) + s->filesz, 0,
		       s->memsz - s->filesz);
	}

	/* hvm_start_info, version 1 (with the memory map), and the module list. */
	uint8_t si[HVM_START_INFO_SIZE] = { 0 };
	put32(si + 0x00, HVM_START_MAGIC);
	put32(si + 0x04, HVM_START_VERSION);
	put32(si + 0x0c, initrd_addr ? 1 : 0);
	put64(si + 0x10, initrd_addr ? LAYOUT_PVH_MODLIST : 0);
	put64(si + 0x18, LAYOUT_CMDLINE);
	put64(si + 0x20, c->rsdp);
	put64(si + 0x28, LAYOUT_PVH_MEMMAP);
	put32(si + 0x30, c->e820.nr);

	uint8_t mm[E820_MAX_ENTRIES * HVM_MEMMAP_ENTRY_SIZE] = { 0 };
	for (unsigned i = 0; i < c->e820.nr; i++) {
		uint8_t *m = mm + i * HVM_MEMMAP_ENTRY_SIZE;
		put64(m, c->e820.entries[i].addr);
		put64(m + 8, c->e820.entries[i].size);
		put32(m + 16, c->e820.entries[i].type);
	}
	uint8_t mod[HVM_MODLIST_ENTRY_SIZE] = { 0 };
	put64(mod, initrd_addr);
	put64(mod + 8, initrd_addr ? c->initrd.size : 0);

	if (gmem_write(c->mem, LAYOUT_PVH_START_INFO, si, sizeof(si)) ||
	    gmem_write(c->mem, LAYOUT_PVH_MEMMAP, mm, sizeof(mm)) ||
	    gmem_write(c->mem, LAYOUT_PVH_MODLIST, mod, sizeof(mod))) {
		err_setf(err, "cannot write the PVH start info at 0x%llx: not guest RAM",
			 (unsigned long long)LAYOUT_PVH_START_INFO);
		goto out;
	}

	*entry = (struct vm_boot_entry){
		.rip = pvh_entry,
		.rsi = 0,
		.rbx = LAYOUT_PVH_START_INFO,
		.rsp = LAYOUT_BOOT_STACK,
	};
	*info = (struct boot_info){
		.format = BOOT_FORMAT_PVH,
		.kernel_addr = lo,
		.kernel_end = hi,
		.initrd_addr = initrd_addr,
		.initrd_size = initrd_addr ? c->initrd.size : 0,
		.cmdline_addr = LAYOUT_CMDLINE,
		.params_addr = LAYOUT_PVH_START_INFO,
	};
	ret = 0;
out:
	free(e);
	return ret;
}
