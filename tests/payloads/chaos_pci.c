// SPDX-License-Identifier: GPL-2.0-only
/*
 * chaos_pci: a guest writing garbage to PCI config space and device
 * registers must not crash the VMM. With a seeded PRNG (`seed=N`):
 *
 *  A. config space (`cfg_iters=N`): every function on bus 0, absent
 *     functions, other buses, registers past the 256-byte space; through
 *     CF8/CFC (odd CF8 values, byte/word accesses to 0xCF8-0xCFB, unaligned
 *     CFC+1..3 accesses that spill past 0xCFF, rep ins/outs) and ECAM
 *     (anywhere in the 256 MiB window, unaligned, across 4 KiB pages, rep
 *     movs/stos); BARs get all-ones, 0, window and random values, the
 *     command register and MSI-X enable/function-mask bits toggle, and the
 *     virtio PCI_CFG window is pointed at random registers and used.
 *     Checks: absent functions and other buses read all ones, read-only
 *     registers never change, every byte outside the writable registers is
 *     as it was at boot.
 *  B. device registers (`bar_iters=N`), BARs restored first: random
 *     reads/writes of every width and alignment into the virtio BARs
 *     (common cfg, ISR, device cfg, notify, MSI-X table and PBA, unused
 *     space, across the BAR's end) and pvpanic's, while BARs move between
 *     free spots, above 4 GiB and back, decode toggles and MSI-X toggles.
 *     Checks: a moved BAR answers at its new address and leaves all ones
 *     behind; a BAR with decode off reads all ones.
 *  C. random ports (`pio_iters=N`) and unclaimed MMIO in the PCI hole.
 *  Then every BAR and register is restored, the config spaces are compared
 *  with the boot snapshot again, and virtio-rng (and virtio-blk when there
 *  is one) must serve a valid request.
 *
 * What is held back, because it would legitimately end the test: writes to
 * the reset/power-off ports (0xCF9 bit 2, PM1a 0x600-0x607, i8042 0x64, port
 * 0x92), the MCH's PCIEXBAR (it would take away the ECAM window the checks
 * read through), pvpanic's "panicked" bit, MSI messages with NMI/SMI/INIT delivery
 * modes, and ring addresses that would let a device DMA into this image
 * (see chaos.h: every address a device gets is in scratch or not RAM).
 */
#include "chaos.h"

const char payload_name[] = "chaos_pci";

#define MAX_FNS 32
#define MCH_DEVICE 0x29c0   /* the q35 host bridge at 00:00.0 */
#define MCH_PCIEXBAR 0x60
#define LPC_VENDOR 0x8086   /* the ICH9 LPC bridge at 00:1f.0 */
#define LPC_DEVICE 0x2918
#define PVPANIC_VENDOR 0x1b36
#define PVPANIC_DEVICE 0x0011

struct fn {
	uint32_t bdf;
	uint16_t vendor, device;
	uint8_t orig[256];
	bool virtio, pvpanic, express, lpc, mch;
	uint64_t bar_size[6]; /* 0: the device has no such BAR (or the upper half of a 64-bit one) */
	bool bar_upper[6];
	unsigned msix_cap, msix_n, pcicfg;
	uint32_t msix_tbl, msix_pba; /* BAR offsets */
	uint32_t common, notify, isr, devcfg, devcfg_len;
	uint16_t nq;
	uint8_t ident; /* pvpanic: byte 0 of its BAR */
	/* Phase B: where BAR0 decodes now (0: not below 4 GiB) and where it was. */
	uint32_t bar_lo, bar_hi;
	bool mem_on;
	uint32_t last_addr;
	unsigned slot_base;
};

static struct fn fns[MAX_FNS];
static unsigned nfn;
static struct prng P;
static uint32_t latch; /* 0xCF8 as read back */
static bool use_strings;

static struct {
	uint32_t ecam_rd, ecam_wr, cf8_rd, cf8_wr, cf8_odd, window, strings, skipped, sanitized;
	uint32_t bar_rd, bar_wr, moves, toggles, pio, mmio_hole, absent_checked, ro_checked;
} st;

static uint32_t ones(unsigned len)
{
	return len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
}

static uint32_t get_le(const uint8_t *p, unsigned len)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static struct fn *fn_at(unsigned bus, unsigned devfn)
{
	if (bus)
		return NULL;
	for (unsigned i = 0; i < nfn; i++)
		if ((fns[i].bdf & 0xff) == devfn)
			return &fns[i];
	return NULL;
}

static void outx(uint16_t port, unsigned len, uint32_t v)
{
	if (len == 1)
		outb(port, (uint8_t)v);
	else if (len == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

static uint32_t inx(uint16_t port, unsigned len)
{
	return len == 1 ? inb(port) : len == 2 ? inw(port) : inl(port);
}

static void mmio_wr(uintptr_t a, unsigned len, uint32_t v)
{
	if (len == 1)
		mmio_write8(a, (uint8_t)v);
	else if (len == 2)
		mmio_write16(a, (uint16_t)v);
	else
		mmio_write32(a, v);
}

static uint32_t mmio_rd(uintptr_t a, unsigned len)
{
	return len == 1 ? mmio_read8(a) : len == 2 ? mmio_read16(a) : mmio_read32(a);
}

/* ---- the guards: what a write may carry -------------------------------------- */

/* The 24 bytes of ring addresses in a virtio common cfg (desc, avail, used). */
#define RING_REGS_OFF 0x20u
#define RING_REGS_END 0x38u

/*
 * A virtio BAR write at BAR offset `rel`: ring addresses get safe values
 * (a whole aligned dword: a safe half; anything partial: 0xff bytes, which
 * are safe however a VMM might merge them), MSI-X data keeps fixed delivery.
 */
static uint32_t sanitize_virtio(const struct fn *f, uint64_t rel, unsigned len, uint32_t v)
{
	uint64_t rs = f->common + RING_REGS_OFF, re = f->common + RING_REGS_END;
	if (rel < re && rel + len > rs) {
		st.sanitized++;
		if (len == 4 && !((rel - rs) & 3))
			return ((rel - rs) & 4) ? safe_hi(&P) : safe_lo(&P);
		return 0xffffffffu;
	}
	if (f->msix_n) {
		uint64_t ts = f->msix_tbl, te = ts + 16ull * f->msix_n;
		for (unsigned i = 0; i < len; i++) {
			uint64_t b = rel + i;
			/* byte 1 of the message data: delivery mode in bits 8-10 */
			if (b >= ts && b < te && (b - ts) % 16 == 9 && (v >> (8 * i)) & 0x7) {
				v &= ~(7u << (8 * i));
				st.sanitized++;
			}
		}
	}
	return v;
}

/* Any byte of [reg, reg+len) in the MCH's PCIEXBAR (held back: it would turn
 * the ECAM window off under the checks). */
static bool mch_pciexbar(const struct fn *f, unsigned reg, unsigned len)
{
	return f && f->mch && (reg & 0xff) < MCH_PCIEXBAR + 8 && (reg & 0xff) + len > MCH_PCIEXBAR;
}

/*
 * A config write of `len` bytes at `reg` of bus/devfn: returns false to skip
 * it, may change *val. Only the virtio PCI_CFG window's data field is
 * dangerous: a write there is a BAR write at whatever the window points to.
 */
static bool guard_cfg(unsigned bus, unsigned devfn, unsigned reg, unsigned len, uint32_t *val)
{
	struct fn *f = fn_at(bus, devfn);
	if (mch_pciexbar(f, reg, len)) {
		st.skipped++;
		return false;
	}
	if (!f || !f->pcicfg)
		return true;
	unsigned d = f->pcicfg + 16, r = reg & 0xff;
	/* Also as if a VMM dropped the extended register bits: conservative. */
	if (!(r < d + 4 && d < r + len) && !(reg < d + 4 && d < reg + len))
		return true;
	uint32_t woff = ecam_read(f->bdf, f->pcicfg + 8, 4);
	uint32_t wlen = ecam_read(f->bdf, f->pcicfg + 12, 4);
	if (wlen > 8)
		wlen = 8;
	uint64_t rs = f->common + RING_REGS_OFF, re = f->common + RING_REGS_END;
	if (woff < re && (uint64_t)woff + wlen > rs) {
		if (reg == d && len == 4 && wlen == 4 && !((woff - rs) & 3)) {
			*val = ((woff - rs) & 4) ? safe_hi(&P) : safe_lo(&P);
			st.sanitized++;
			return true;
		}
		st.skipped++;
		return false;
	}
	if (f->msix_n && woff < f->msix_tbl + 16u * f->msix_n && woff + wlen > f->msix_tbl) {
		st.skipped++; /* unreachable through the window today; be safe */
		return false;
	}
	return true;
}

/* Any byte of [reg, reg+len) in a PCI_CFG data field or the PCIEXBAR (for rep
 * outs/stos). */
static bool cfg_sensitive(unsigned bus, unsigned devfn, unsigned reg, unsigned len)
{
	struct fn *f = fn_at(bus, devfn);
	if (mch_pciexbar(f, reg, len))
		return true;
	if (!f || !f->pcicfg)
		return false;
	unsigned d = f->pcicfg + 16;
	return ((reg & 0xff) < d + 4 && d < (reg & 0xff) + len) || (reg < d + 4 && d < reg + len);
}

/* Phase B: the decoded BAR0 of f, 0 if none below 4 GiB. */
static uint32_t decoded(const struct fn *f)
{
	if (!f->mem_on || f->bar_hi || !f->bar_lo)
		return 0;
	return f->bar_lo;
}

/*
 * A BAR (MMIO) write at `a`: KVM splits an access that crosses a 4 KiB page
 * into two exits, so each part is checked where it lands.
 */
static uint32_t guard_mmio(uintptr_t a, unsigned len, uint32_t v)
{
	unsigned first = len;
	if ((a & 0xfff) + len > 0x1000)
		first = 0x1000 - (unsigned)(a & 0xfff);
	for (unsigned part = 0; part < 2; part++) {
		uintptr_t fa = part ? a + first : a;
		unsigned flen = part ? len - first : first, sh = part ? 8 * first : 0;
		if (!flen)
			continue;
		uint32_t fv = (v >> sh) & ones(flen);
		for (unsigned i = 0; i < nfn; i++) {
			struct fn *f = &fns[i];
			uint32_t b = decoded(f);
			if (!b || !f->bar_size[0] || fa < b || fa >= b + f->bar_size[0])
				continue;
			if (f->virtio)
				fv = sanitize_virtio(f, fa - b, flen, fv);
			else if (f->pvpanic && fa == b && (fv & 1)) {
				fv &= ~1u; /* "guest panicked" ends the VM: legitimately */
				st.sanitized++;
			}
		}
		v = (v & ~(ones(flen) << sh)) | (fv << sh);
	}
	return v;
}

/* ---- config access, both mechanisms -------------------------------------------- */

static void cf8_set(uint32_t v)
{
	outl(0xCF8, v);
	latch = inl(0xCF8);
}

static void cf8_decode(unsigned k, unsigned *bus, unsigned *devfn, unsigned *reg)
{
	*bus = (latch >> 16) & 0xff;
	*devfn = (latch >> 8) & 0xff;
	*reg = (latch & 0xfc) | ((latch >> 16) & 0xf00) | k;
}

/* Read/write through 0xCFC+k with the current latch. */
static uint32_t cfc_rw(unsigned k, unsigned len, bool wr, uint32_t v)
{
	uint16_t port = (uint16_t)(0xCFC + k);
	if (!wr) {
		st.cf8_rd++;
		return inx(port, len);
	}
	unsigned bus, devfn, reg;
	cf8_decode(k, &bus, &devfn, &reg);
	if ((latch & 0x80000000u) && !guard_cfg(bus, devfn, reg, len, &v))
		return 0;
	st.cf8_wr++;
	outx(port, len, v);
	return 0;
}

/* ECAM access at offset `off` of the window; never past its end. */
static uint32_t ecam_rw(uint32_t off, unsigned len, bool wr, uint32_t v)
{
	if (off + len > 0x10000000u)
		off = 0x10000000u - len;
	uintptr_t a = ECAM_BASE + off;
	if (!wr) {
		st.ecam_rd++;
		return mmio_rd(a, len);
	}
	unsigned first = len;
	if ((off & 0xfff) + len > 0x1000)
		first = 0x1000 - (off & 0xfff);
	uint32_t v1 = v & ones(first);
	if (!guard_cfg(off >> 20, (off >> 12) & 0xff, off & 0xfff, first, &v1))
		return 0;
	if (first < len) {
		uint32_t o2 = off + first, v2 = v >> (8 * first);
		if (!guard_cfg(o2 >> 20, (o2 >> 12) & 0xff, o2 & 0xfff, len - first, &v2))
			return 0;
	} else {
		v = v1;
	}
	st.ecam_wr++;
	mmio_wr(a, len, v);
	return 0;
}

static uint32_t ecam_off(unsigned bus, unsigned devfn, unsigned reg)
{
	return ((uint32_t)bus << 20) | ((uint32_t)devfn << 12) | (reg & 0xfff);
}

/* A plain (guarded) config write through ECAM or CF8. */
static void cfg_write(const struct fn *f, unsigned reg, unsigned len, uint32_t v, bool via_cf8)
{
	if (via_cf8) {
		cf8_set(0x80000000u | (f->bdf << 8) | (reg & 0xfc) | ((reg & 0xf00) << 16));
		cfc_rw(reg & 3, len, true, v);
	} else {
		ecam_rw(ecam_off(0, f->bdf & 0xff, reg), len, true, v);
	}
}

/* ---- discovery -------------------------------------------------------------------- */

static uint32_t orig32(const struct fn *f, unsigned off)
{
	return get_le(f->orig + off, 4);
}

static void discover(void)
{
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		uint32_t id = cf8_read(devfn, 0, 4);
		if ((id & 0xffff) == 0xffff)
			continue;
		CHECK(nfn < MAX_FNS, "too many PCI functions");
		struct fn *f = &fns[nfn++];
		memset(f, 0, sizeof(*f));
		f->bdf = devfn;
		f->vendor = (uint16_t)id;
		f->device = (uint16_t)(id >> 16);
		for (unsigned o = 0; o < 256; o += 4) {
			uint32_t v = ecam_read(devfn, o, 4);
			memcpy(f->orig + o, &v, 4);
		}
		f->virtio = f->vendor == VIRTIO_VENDOR && f->device >= 0x1040 && f->device < 0x1080;
		f->pvpanic = f->vendor == PVPANIC_VENDOR && f->device == PVPANIC_DEVICE;
		f->lpc = f->vendor == LPC_VENDOR && f->device == LPC_DEVICE;
		f->mch = f->vendor == LPC_VENDOR && f->device == MCH_DEVICE;
		for (unsigned i = 0; i < 6;) {
			struct pci_bar b;
			int used = pci_bar_probe(devfn, i, &b);
			f->bar_size[i] = b.size;
			if (used == 2)
				f->bar_upper[i + 1] = true;
			i += (unsigned)used;
		}
		unsigned p = (f->orig[PCI_STATUS] & PCI_STATUS_CAP_LIST) ? f->orig[PCI_CAP_PTR] : 0;
		for (unsigned n = 0; p && n < 48; n++, p = f->orig[p + 1]) {
			CHECK(p >= 0x40 && p < 0xfc && !(p & 3), "%02x.%u: bad capability pointer 0x%x",
			      devfn >> 3, devfn & 7, p);
			uint8_t cid = f->orig[p];
			if (cid == 0x10)
				f->express = true;
			if (cid == PCI_CAP_ID_MSIX) {
				f->msix_cap = p;
				f->msix_n = (get_le(f->orig + p + 2, 2) & 0x7ff) + 1u;
				f->msix_tbl = orig32(f, p + 4) & ~7u;
				f->msix_pba = orig32(f, p + 8) & ~7u;
				CHECK((orig32(f, p + 4) & 7) == 0 && (orig32(f, p + 8) & 7) == 0,
				      "%02x.%u: MSI-X table/PBA not in BAR0", devfn >> 3, devfn & 7);
			}
			if (cid == PCI_CAP_ID_VNDR && f->virtio) {
				uint8_t type = f->orig[p + 3];
				uint32_t off = orig32(f, p + 8), len = orig32(f, p + 12);
				if (type != 5)
					CHECK(f->orig[p + 4] == 0, "virtio cap type %u not in BAR0", type);
				switch (type) {
				case 1: f->common = off; break;
				case 2: f->notify = off; break;
				case 3: f->isr = off; break;
				case 4: f->devcfg = off; f->devcfg_len = len; break;
				case 5: f->pcicfg = p; break;
				}
			}
		}
		uint32_t bar0 = (uint32_t)pci_bar_addr(devfn, 0);
		if (f->virtio) {
			CHECK(bar0 && f->bar_size[0], "virtio %02x.%u: BAR0 unassigned", devfn >> 3, devfn & 7);
			f->nq = mmio_read16(bar0 + f->common + VCC_NUM_QUEUES);
		}
		if (f->pvpanic)
			f->ident = mmio_read8(bar0);
		pr("  %02x.%u %04x:%04x%s%s BAR0 0x%08x/0x%llx msix %u%s\n", devfn >> 3, devfn & 7,
		   f->vendor, f->device, f->virtio ? " virtio" : "", f->pvpanic ? " pvpanic" : "",
		   bar0, f->bar_size[0], f->msix_n, f->pcicfg ? " pci_cfg-window" : "");
	}
	CHECK(nfn >= 2, "only %u PCI functions", nfn);
}

/* ---- the writable bytes (everything else must never change) ------------------------ */

/* The LPC bridge's own registers (vmm/hw/lpc.c): PMBASE, ACPI_CNTL, the PIRQ
 * routes, GEN_PMCON, RCBA. Scribbling on them moves or stops the ACPI PM
 * block under the guest: passvm must take it, and restore_config puts it back. */
struct reg_mask {
	uint8_t off, mask;
};

static const struct reg_mask lpc_regs[] = {
	{ 0x40, 0x80 }, { 0x41, 0xff }, { 0x44, 0x87 },
	{ 0x60, 0x8f }, { 0x61, 0x8f }, { 0x62, 0x8f }, { 0x63, 0x8f },
	{ 0x68, 0x8f }, { 0x69, 0x8f }, { 0x6a, 0x8f }, { 0x6b, 0x8f },
	{ 0xa0, 0xff }, { 0xa1, 0xff }, { 0xa2, 0xff }, { 0xa3, 0xff }, { 0xa4, 0xff }, { 0xa5, 0xff },
	{ 0xf0, 0x01 }, { 0xf1, 0xc0 }, { 0xf2, 0xff }, { 0xf3, 0xff },
};

/* The MCH's PAM and SMRAM registers (vmm/pci_host.c): held as written. */
static const struct reg_mask mch_regs[] = {
	{ 0x90, 0x30 }, { 0x91, 0x33 }, { 0x92, 0x33 }, { 0x93, 0x33 }, { 0x94, 0x33 },
	{ 0x95, 0x33 }, { 0x96, 0x33 }, { 0x9d, 0x78 }, { 0x9e, 0x07 },
};

#define NREGS(t) (sizeof(t) / sizeof((t)[0]))

/* The writable bits of register o in a device's table (0: none). */
static uint8_t reg_writable(const struct reg_mask *t, unsigned n, unsigned o)
{
	for (unsigned i = 0; i < n; i++)
		if (t[i].off == o)
			return t[i].mask;
	return 0;
}

static uint8_t writable_mask(const struct fn *f, unsigned o)
{
	uint8_t m = f->lpc ? reg_writable(lpc_regs, NREGS(lpc_regs), o)
		  : f->mch ? reg_writable(mch_regs, NREGS(mch_regs), o) : 0;
	if (m)
		return m;
	if (o == 0x04 || o == 0x05 || o == 0x06 || o == 0x07 || o == 0x0c || o == 0x3c)
		return 0xff;
	if (o >= 0x10 && o < 0x28) {
		unsigned i = (o - 0x10) / 4;
		if (f->bar_upper[i])
			return 0xff;
		if (!f->bar_size[i])
			return 0;
		return (o & 3) ? 0xff : 0xf0; /* type bits stay */
	}
	if (f->msix_cap && o == f->msix_cap + 3)
		return 0xc0;
	if (f->pcicfg && (o == f->pcicfg + 4 || (o >= f->pcicfg + 8 && o < f->pcicfg + 20)))
		return 0xff;
	return 0;
}

static void check_config(const char *when)
{
	unsigned checked = 0;
	for (unsigned i = 0; i < nfn; i++) {
		struct fn *f = &fns[i];
		for (unsigned o = 0; o < 256; o += 4) {
			uint32_t e = ecam_read(f->bdf, o, 4);
			uint32_t c = (f->pcicfg && o == f->pcicfg + 16) ? e : cf8_read(f->bdf, o, 4);
			CHECK(e == c, "%s: %02x.%u config 0x%02x: ECAM 0x%08x, CF8 0x%08x", when,
			      f->bdf >> 3, f->bdf & 7, o, e, c);
			for (unsigned b = 0; b < 4; b++) {
				uint8_t ro = (uint8_t)~writable_mask(f, o + b);
				uint8_t now = (uint8_t)(e >> (8 * b)), was = f->orig[o + b];
				CHECK((now & ro) == (was & ro),
				      "%s: %02x.%u config byte 0x%02x changed 0x%02x -> 0x%02x (read-only bits 0x%02x)",
				      when, f->bdf >> 3, f->bdf & 7, o + b, was, now, ro);
				checked++;
			}
		}
		if (!f->express) {
			uint32_t x = ecam_read(f->bdf, 0x100 + 4 * rnd_below(&P, 0x3c0), 4);
			CHECK(x == 0xffffffffu, "%s: %02x.%u: extended config reads 0x%08x, want all ones "
			      "(no PCIe capability)", when, f->bdf >> 3, f->bdf & 7, x);
		}
	}
	pr("  %s: %u functions, %u config bytes: read-only bits unchanged, ECAM == CF8\n", when, nfn,
	   checked);
}

/* Back to the boot state: decode off, BARs and writable registers, decode on (twice:
 * a BAR refused while another one still sat in its way is retried). */
static void restore_config(void)
{
	for (unsigned i = 0; i < nfn; i++)
		pci_write16(fns[i].bdf, PCI_COMMAND, 0);
	for (unsigned i = 0; i < nfn; i++) {
		struct fn *f = &fns[i];
		for (unsigned o = 0x10; o < 0x28; o += 4)
			pci_write32(f->bdf, o, orig32(f, o));
		pci_write8(f->bdf, 0x0c, f->orig[0x0c]);
		pci_write8(f->bdf, 0x3c, f->orig[0x3c]);
		for (unsigned r = 0; f->lpc && r < NREGS(lpc_regs); r++)
			pci_write8(f->bdf, lpc_regs[r].off, f->orig[lpc_regs[r].off]);
		for (unsigned r = 0; f->mch && r < NREGS(mch_regs); r++)
			pci_write8(f->bdf, mch_regs[r].off, f->orig[mch_regs[r].off]);
		if (f->msix_cap)
			pci_write16(f->bdf, f->msix_cap + 2, (uint16_t)get_le(f->orig + f->msix_cap + 2, 2));
		if (f->pcicfg) {
			pci_write8(f->bdf, f->pcicfg + 4, f->orig[f->pcicfg + 4]);
			pci_write32(f->bdf, f->pcicfg + 8, orig32(f, f->pcicfg + 8));
			pci_write32(f->bdf, f->pcicfg + 12, orig32(f, f->pcicfg + 12));
		}
	}
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < nfn; i++)
			pci_write16(fns[i].bdf, PCI_COMMAND, (uint16_t)get_le(fns[i].orig + 4, 2));
	for (unsigned i = 0; i < nfn; i++) {
		struct fn *f = &fns[i];
		uint32_t bar0 = orig32(f, 0x10) & ~0xfu;
		f->bar_lo = bar0;
		f->bar_hi = f->bar_upper[1] ? orig32(f, 0x14) : 0;
		f->mem_on = get_le(f->orig + 4, 2) & PCI_CMD_MEM;
		f->last_addr = bar0;
		if (f->virtio) {
			/* reset, so no queue keeps running on garbage */
			mmio_write8(bar0 + f->common + VCC_STATUS, 0);
			uint16_t nq = mmio_read16(bar0 + f->common + VCC_NUM_QUEUES);
			CHECK(nq == f->nq && !mmio_read8(bar0 + f->common + VCC_STATUS),
			      "%02x.%u: after restoring BAR0 at 0x%08x: num_queues %u (want %u), status 0x%x",
			      f->bdf >> 3, f->bdf & 7, bar0, nq, f->nq, mmio_read8(bar0 + f->common + VCC_STATUS));
		}
		if (f->pvpanic)
			CHECK(mmio_read8(bar0) == f->ident, "pvpanic: BAR0 at 0x%08x reads 0x%x after restore",
			      bar0, mmio_read8(bar0));
	}
}

/* ---- phase A: config space --------------------------------------------------------- */

static unsigned pick_reg(const struct fn *f)
{
	uint32_t r = rnd_below(&P, 100);
	if (r < 30 && f) {
		unsigned list[24], n = 0;
		list[n++] = 0x04;
		list[n++] = 0x06;
		list[n++] = 0x0c;
		list[n++] = 0x3c;
		for (unsigned o = 0x10; o < 0x28; o += 4)
			list[n++] = o;
		if (f->msix_cap) {
			list[n++] = f->msix_cap + 2;
			list[n++] = f->msix_cap + 3;
			list[n++] = f->msix_cap + 4;
		}
		if (f->pcicfg) {
			list[n++] = f->pcicfg + 4;
			list[n++] = f->pcicfg + 8;
			list[n++] = f->pcicfg + 12;
			list[n++] = f->pcicfg + 16;
			list[n++] = f->pcicfg + 16;
		}
		return list[rnd_below(&P, n)];
	}
	if (r < 60)
		return rnd_below(&P, 0x40);
	if (r < 85)
		return 0x40 + rnd_below(&P, 0xc0);
	return rnd_below(&P, 0x1000);
}

static uint32_t pick_value(const struct fn *f, unsigned reg)
{
	unsigned r = reg & 0xff;
	if (f && r >= 0x10 && r < 0x28) {
		switch (rnd_below(&P, 5)) {
		case 0: return 0xffffffffu;
		case 1: return 0;
		case 2: return MMIO32_BASE + (prng_next(&P) % (MMIO32_END - MMIO32_BASE));
		case 3: return prng_next(&P) & ~0xfu;
		default: return rnd_value(&P);
		}
	}
	if (f && (r == 0x04 || r == 0x05))
		return prng_next(&P) & (rnd_pct(&P, 50) ? 0x7 : 0x7ff);
	if (f && f->msix_cap && (r == f->msix_cap + 2 || r == f->msix_cap + 3))
		return prng_next(&P) & (rnd_pct(&P, 70) ? 0xc000c000u : 0xffffffffu);
	return rnd_value(&P);
}

/* Check a config read from a function that is not there: all ones. */
static void check_absent(unsigned bus, unsigned devfn, unsigned reg, unsigned len, uint32_t v,
			 const char *how)
{
	if (fn_at(bus, devfn) || v == ones(len))
		return;
	fail("%s read of absent %02x:%02x.%u reg 0x%x/%u returned 0x%x, want all ones", how, bus,
	     devfn >> 3, devfn & 7, reg, len, v);
}

/* Read-only registers of a present function must read as at boot. */
static void check_ro(const struct fn *f, unsigned reg, unsigned len, uint32_t v, const char *how)
{
	if (reg >= 256) {
		if (!f->express)
			CHECK(v == ones(len), "%s read of %02x.%u reg 0x%x (past 256 bytes) returned 0x%x",
			      how, f->bdf >> 3, f->bdf & 7, reg, v);
		return;
	}
	if ((reg & 3) + len > 4)
		return; /* not one dword: the VMM answers all ones, also fine */
	for (unsigned b = 0; b < len; b++) {
		unsigned o = reg + b;
		bool ro = o < 4 || (o >= 8 && o < 12) || o == 0x0e || (o >= 0x2c && o < 0x30) ||
			  o == 0x34;
		if (ro)
			CHECK(((v >> (8 * b)) & 0xff) == f->orig[o],
			      "%s read of %02x.%u read-only reg 0x%x: 0x%02x, boot value 0x%02x", how,
			      f->bdf >> 3, f->bdf & 7, o, (v >> (8 * b)) & 0xff, f->orig[o]);
	}
	st.ro_checked++;
}

static void pick_target(unsigned i, unsigned *bus, unsigned *devfn, const struct fn **fp)
{
	uint32_t r = rnd_below(&P, 100);
	*fp = NULL;
	if (r < 70) {
		const struct fn *f = rnd_pct(&P, 50) ? &fns[i % nfn] : &fns[rnd_below(&P, nfn)];
		*bus = 0;
		*devfn = f->bdf & 0xff;
		*fp = f;
	} else if (r < 85) {
		*bus = 0;
		*devfn = rnd_below(&P, 256);
		*fp = fn_at(0, *devfn);
	} else {
		*bus = 1 + rnd_below(&P, 255);
		*devfn = rnd_below(&P, 256);
	}
}

/* The virtio PCI_CFG window: point it somewhere, then read or write the data. */
static void window_op(const struct fn *f)
{
	static const uint16_t regs[] = { 0x00, 0x04, 0x08, 0x0c, 0x10, 0x12, 0x14, 0x15, 0x16,
					 0x18, 0x1a, 0x1c, 0x1e, 0x20, 0x24, 0x28, 0x2c, 0x30,
					 0x34, 0x38, 0x3a, 0x3c };
	bool cf8 = rnd_pct(&P, 50);
	uint32_t off;
	switch (rnd_below(&P, 8)) {
	case 0: off = f->isr + rnd_below(&P, 8); break;
	case 1: off = f->notify + 4 * rnd_below(&P, 4); break;
	case 2: off = f->devcfg + rnd_below(&P, f->devcfg_len + 8); break;
	case 3: off = f->msix_tbl + rnd_below(&P, 32); break;
	case 4: off = rnd_value(&P); break;
	default: off = f->common + regs[rnd_below(&P, sizeof(regs) / sizeof(regs[0]))]; break;
	}
	uint32_t len = rnd_pct(&P, 85) ? rnd_width(&P) : rnd_value(&P);
	cfg_write(f, f->pcicfg + 4, 1, rnd_pct(&P, 90) ? 0 : rnd_value(&P), cf8);
	cfg_write(f, f->pcicfg + 8, 4, off, cf8);
	cfg_write(f, f->pcicfg + 12, 4, len, cf8);
	unsigned w = rnd_pct(&P, 70) ? 4 : rnd_width(&P);
	unsigned reg = f->pcicfg + 16 + (rnd_pct(&P, 80) ? 0 : rnd_below(&P, 4));
	if (rnd_pct(&P, 50)) {
		uint32_t v = rnd_value(&P);
		if ((off & ~0xfu) == f->common + 0x10 && rnd_pct(&P, 50))
			v = rnd_pct(&P, 30) ? 0 : prng_next(&P) & 0xf; /* status: reset or a bit dance */
		if (off == f->common + VCC_Q_ENABLE)
			v = rnd_pct(&P, 60) ? 1 : v;
		cfg_write(f, reg, w, v, cf8);
	} else if (cf8) {
		cf8_set(0x80000000u | (f->bdf << 8) | (reg & 0xfc));
		cfc_rw(reg & 3, w, false, 0);
	} else {
		ecam_rw(ecam_off(0, f->bdf & 0xff, reg), w, false, 0);
	}
	st.window++;
}

/* Byte/word/odd accesses to 0xCF8-0xCFF. */
static void cf8_odd_op(void)
{
	st.cf8_odd++;
	uint32_t r = rnd_below(&P, 6);
	if (r == 0) { /* odd latch values: enable clear, reserved bits, low bits */
		uint32_t v = prng_next(&P);
		if (rnd_pct(&P, 50))
			v |= 0x80000000u;
		cf8_set(v);
		unsigned bus, devfn, reg;
		cf8_decode(0, &bus, &devfn, &reg);
		uint32_t x = cfc_rw(0, 4, false, 0);
		if ((latch & 0x80000000u) && (bus || !fn_at(0, devfn)))
			check_absent(bus, devfn, reg, 4, x, "CF8 (odd latch)");
		return;
	}
	unsigned port = 0xCF8 + rnd_below(&P, 8), len = rnd_width(&P);
	if (r <= 2) {
		(void)inx((uint16_t)port, len);
	} else {
		uint32_t v = rnd_value(&P);
		if (port == 0xCF8 && len == 4)
			port = 0xCF9; /* not the latch: that is the plain path */
		/* The byte at 0xCF9 is the reset control register: never bit 2. */
		if (port <= 0xCF9 && port + len > 0xCF9)
			v &= ~(4u << (8 * (0xCF9 - port)));
		if (port >= 0xCFC) {
			cfc_rw(port - 0xCFC, len, true, v);
		} else {
			outx((uint16_t)port, len, v);
			st.cf8_wr++;
		}
	}
	latch = inl(0xCF8);
}

static uint32_t sbuf[64];

/* rep ins/outs on 0xCFC, rep movs/stos on ECAM (KVM emulates each element). */
static void string_op(const struct fn *f)
{
	unsigned n = 1 + rnd_below(&P, 16);
	unsigned reg = f ? pick_reg(f) & 0xfc : rnd_below(&P, 0x40) & 0xfc;
	unsigned devfn = f ? f->bdf & 0xff : rnd_below(&P, 256);
	st.strings++;
	switch (rnd_below(&P, 4)) {
	case 0: {
		void *dst = sbuf;
		cf8_set(0x80000000u | (devfn << 8) | reg);
		__asm__ volatile("rep insl" : "+D"(dst), "+c"(n) : "d"(0xCFC) : "memory");
		break;
	}
	case 1: {
		unsigned w = rnd_width(&P);
		cf8_set(0x80000000u | (devfn << 8) | reg);
		if (cfg_sensitive(0, devfn, reg, 4))
			return;
		fill_random(&P, sbuf, sizeof(sbuf));
		const void *src = sbuf;
		if (w == 1)
			__asm__ volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(0xCFC) : "memory");
		else if (w == 2)
			__asm__ volatile("rep outsw" : "+S"(src), "+c"(n) : "d"(0xCFC) : "memory");
		else
			__asm__ volatile("rep outsl" : "+S"(src), "+c"(n) : "d"(0xCFC) : "memory");
		break;
	}
	case 2: {
		const void *src = (const void *)(ECAM_BASE + ecam_off(0, devfn, reg));
		void *dst = sbuf;
		if (reg + 4 * n > 0x1000)
			n = (0x1000 - reg) / 4;
		__asm__ volatile("rep movsl" : "+S"(src), "+D"(dst), "+c"(n) :: "memory");
		break;
	}
	default: {
		if (reg + n > 0x1000)
			n = 0x1000 - reg;
		if (cfg_sensitive(0, devfn, reg, n) || cfg_sensitive(0, devfn, reg & 0xff, n))
			return;
		void *dst = (void *)(ECAM_BASE + ecam_off(0, devfn, reg));
		uint32_t v = rnd_value(&P);
		__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
		break;
	}
	}
}

static void phase_config(unsigned iters)
{
	latch = inl(0xCF8);
	for (unsigned i = 0; i < iters; i++) {
		unsigned bus, devfn;
		const struct fn *f;
		pick_target(i, &bus, &devfn, &f);
		uint32_t r = rnd_below(&P, 100);
		if (r < 6 && f && f->pcicfg) {
			window_op(f);
			continue;
		}
		if (r < 12) {
			cf8_odd_op();
			continue;
		}
		if (r < 15 && use_strings) {
			string_op(f);
			continue;
		}
		unsigned reg = f ? pick_reg(f) : rnd_below(&P, 0x1000);
		unsigned len = rnd_width(&P);
		if (rnd_pct(&P, 75))
			reg &= ~(len - 1);
		bool wr = rnd_pct(&P, 55);
		uint32_t v = wr ? pick_value(f, reg) : 0;
		if (rnd_pct(&P, 50)) {
			/* ECAM: anywhere, 4 KiB pages crossed now and then */
			uint32_t off = ecam_off(bus, devfn, reg);
			if (!f && rnd_pct(&P, 20))
				off = prng_next(&P) & 0x0fffffffu;
			uint32_t x = ecam_rw(off, len, wr, v);
			bool split = (off & 0xfff) + len > 0x1000;
			if (!wr && !split) {
				unsigned b = off >> 20, df = (off >> 12) & 0xff;
				const struct fn *g = fn_at(b, df);
				if (g)
					check_ro(g, off & 0xfff, len, x, "ECAM");
				else
					check_absent(b, df, off & 0xfff, len, x, "ECAM");
				st.absent_checked += !g;
			}
		} else {
			/* CF8/CFC: extended register bits now and then, CFC+k any width */
			uint32_t a = 0x80000000u | ((uint32_t)bus << 16) | (devfn << 8) | (reg & 0xfc);
			if (reg >= 0x100)
				a |= (uint32_t)(reg & 0xf00) << 16;
			cf8_set(a);
			unsigned k = rnd_pct(&P, 80) ? (reg & 3) : rnd_below(&P, 4);
			uint32_t x = cfc_rw(k, len, wr, v);
			if (!wr && k + len <= 4) {
				unsigned b, df, rg;
				cf8_decode(k, &b, &df, &rg);
				const struct fn *g = fn_at(b, df);
				if (g)
					check_ro(g, rg, len, x, "CF8");
				else
					check_absent(b, df, rg, len, x, "CF8");
			}
		}
	}
	outl(0xCF8, 0);
}

/* ---- phase B: device registers ------------------------------------------------------ */

static uint32_t slot_addr(const struct fn *f, unsigned k)
{
	/* Free spots in the 32-bit window, 1 MiB apart per function. */
	return 0xE0000000u + f->slot_base * 0x100000u + k * 0x10000u;
}

/* What a BAR's first bytes say: virtio num_queues, pvpanic's event byte. */
static bool bar_answers(const struct fn *f, uint32_t a)
{
	if (f->virtio)
		return mmio_read16(a + f->common + VCC_NUM_QUEUES) == f->nq;
	return mmio_read8(a) == f->ident;
}

static bool bar_all_ones(const struct fn *f, uint32_t a)
{
	if (f->virtio)
		return mmio_read16(a + f->common + VCC_NUM_QUEUES) == 0xffff &&
		       mmio_read32(a + f->common) == 0xffffffffu;
	return mmio_read8(a) == 0xff;
}

static void move_bar(struct fn *f)
{
	uint32_t before = decoded(f);
	bool cf8 = rnd_pct(&P, 40);
	uint32_t r = rnd_below(&P, 100);
	if (r < 15) { /* decode toggle */
		f->mem_on = !f->mem_on;
		uint16_t cmd = (uint16_t)(get_le(f->orig + 4, 2) & ~PCI_CMD_MEM);
		cfg_write(f, PCI_COMMAND, 2, cmd | (f->mem_on ? PCI_CMD_MEM : 0) |
			  (rnd_pct(&P, 50) ? PCI_CMD_MASTER : 0), cf8);
		st.toggles++;
	} else {
		bool off_first = rnd_pct(&P, 50);
		uint16_t cmd = (uint16_t)get_le(f->orig + 4, 2);
		if (off_first)
			cfg_write(f, PCI_COMMAND, 2, cmd & ~PCI_CMD_MEM, cf8);
		uint32_t lo = r < 45 ? (orig32(f, 0x10) & ~0xfu) : slot_addr(f, rnd_below(&P, 8));
		uint32_t hi = 0;
		if (f->bar_upper[1] && r >= 90)
			hi = 1 + rnd_below(&P, 0xff); /* above 4 GiB: gone from below */
		cfg_write(f, 0x10, 4, lo | (orig32(f, 0x10) & 0xfu), cf8);
		if (f->bar_upper[1])
			cfg_write(f, 0x14, 4, hi, cf8);
		f->bar_lo = lo;
		f->bar_hi = hi;
		if (off_first || !f->mem_on)
			cfg_write(f, PCI_COMMAND, 2, cmd | PCI_CMD_MEM, cf8);
		f->mem_on = true;
		st.moves++;
	}
	uint32_t now = decoded(f);
	if (now) {
		CHECK(bar_answers(f, now), "%02x.%u: BAR0 programmed to 0x%08x (decode on) does not answer there",
		      f->bdf >> 3, f->bdf & 7, now);
		f->last_addr = now;
	}
	if (before && before != now)
		CHECK(bar_all_ones(f, before),
		      "%02x.%u: BAR0 moved from 0x%08x to 0x%08x%s but the old address still answers",
		      f->bdf >> 3, f->bdf & 7, before, now, now ? "" : " (or decode off)");
}

static uint32_t pick_bar_off(const struct fn *f, unsigned *len)
{
	static const uint8_t creg[][2] = {
		{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 }, { 0x10, 2 }, { 0x12, 2 },
		{ 0x14, 1 }, { 0x14, 1 }, { 0x15, 1 }, { 0x16, 2 }, { 0x16, 2 }, { 0x18, 2 },
		{ 0x1a, 2 }, { 0x1c, 2 }, { 0x1c, 2 }, { 0x1e, 2 }, { 0x20, 4 }, { 0x24, 4 },
		{ 0x28, 4 }, { 0x2c, 4 }, { 0x30, 4 }, { 0x34, 4 }, { 0x38, 2 }, { 0x3a, 2 },
	};
	uint32_t size = (uint32_t)f->bar_size[0];
	*len = rnd_width(&P);
	if (!f->virtio) {
		uint32_t o = rnd_pct(&P, 60) ? rnd_below(&P, size) : rnd_below(&P, size + 8);
		return rnd_pct(&P, 70) ? o & ~(*len - 1) : o;
	}
	uint32_t r = rnd_below(&P, 100), o;
	if (r < 35) {
		if (rnd_pct(&P, 75)) {
			unsigned k = rnd_below(&P, sizeof(creg) / 2);
			*len = creg[k][1];
			return f->common + creg[k][0];
		}
		o = f->common + rnd_below(&P, 0x80);
	} else if (r < 43) {
		o = f->isr + rnd_below(&P, 16);
	} else if (r < 53) {
		o = f->devcfg + rnd_below(&P, f->devcfg_len + 16);
	} else if (r < 68) {
		if (rnd_pct(&P, 60)) {
			*len = rnd_pct(&P, 70) ? 2 : rnd_width(&P);
			return f->notify + 4 * rnd_below(&P, 4);
		}
		o = f->notify + rnd_below(&P, 0x1000);
	} else if (r < 83) {
		o = f->msix_tbl + rnd_below(&P, 16 * f->msix_n + 16);
		if (rnd_pct(&P, 70))
			*len = 4;
	} else if (r < 88) {
		o = f->msix_pba + rnd_below(&P, 16);
	} else if (r < 95) {
		o = rnd_below(&P, size);
	} else {
		*len = 4;
		return size - 1 - rnd_below(&P, 3); /* across the BAR's end */
	}
	return rnd_pct(&P, 75) ? o & ~(*len - 1) : o;
}

static uint32_t pick_bar_value(const struct fn *f, uint32_t off, unsigned len)
{
	if (f->virtio && off == f->common + VCC_STATUS)
		return rnd_pct(&P, 25) ? 0 : prng_next(&P) & (rnd_pct(&P, 70) ? 0xf : 0xff);
	if (f->virtio && off == f->common + VCC_Q_ENABLE && rnd_pct(&P, 60))
		return 1;
	if (f->virtio && off == f->common + VCC_Q_SELECT && rnd_pct(&P, 60))
		return rnd_below(&P, 3);
	if (f->virtio && off >= f->msix_tbl && off < f->msix_tbl + 16 * f->msix_n && len == 4 &&
	    (off - f->msix_tbl) % 16 == 0 && rnd_pct(&P, 50))
		return LAPIC_BASE | (rnd_below(&P, 4) << 12); /* an address that is one */
	return rnd_value(&P);
}

static void bar_op(struct fn *f)
{
	unsigned len;
	uint32_t off = pick_bar_off(f, &len);
	uint32_t now = decoded(f), base = now ? now : f->last_addr;
	uintptr_t a = base + off;
	if (rnd_pct(&P, 50)) {
		uint32_t v = guard_mmio(a, len, pick_bar_value(f, off, len));
		mmio_wr(a, len, v);
		st.bar_wr++;
	} else {
		uint32_t v = mmio_rd(a, len);
		st.bar_rd++;
		/* Decode off or moved away: nothing answers at the old place. */
		if (!now && off + len <= f->bar_size[0] && (a & 0xfff) + len <= 0x1000)
			CHECK(v == ones(len), "%02x.%u: BAR0 not decoded, but 0x%08x reads 0x%x",
			      f->bdf >> 3, f->bdf & 7, (uint32_t)a, v);
	}
}

static void bar_string_op(struct fn *f)
{
	uint32_t b = decoded(f);
	if (!b || !f->virtio)
		return;
	unsigned n = 1 + rnd_below(&P, 12);
	st.strings++;
	switch (rnd_below(&P, 3)) {
	case 0: { /* common cfg into RAM */
		const void *src = (const void *)(uintptr_t)(b + f->common);
		void *dst = sbuf;
		__asm__ volatile("rep movsl" : "+S"(src), "+D"(dst), "+c"(n) :: "memory");
		break;
	}
	case 1: { /* a burst of kicks, queue 0 and the ones next to it */
		void *dst = (void *)(uintptr_t)(b + f->notify);
		uint32_t v = 0;
		__asm__ volatile("rep stosw" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
		break;
	}
	default: { /* ISR and device config: stores the device ignores */
		void *dst = (void *)(uintptr_t)(b + (rnd_pct(&P, 50) ? f->isr : f->devcfg));
		uint32_t v = rnd_value(&P);
		__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
		break;
	}
	}
}

static void phase_bars(unsigned iters)
{
	struct fn *bf[MAX_FNS];
	unsigned nb = 0;
	for (unsigned i = 0; i < nfn; i++)
		if (fns[i].bar_size[0] && !fns[i].bar_upper[0] && (fns[i].virtio || fns[i].pvpanic)) {
			fns[i].slot_base = nb;
			bf[nb++] = &fns[i];
		}
	CHECK(nb, "no function with a memory BAR0");
	for (unsigned i = 0; i < iters; i++) {
		struct fn *f = bf[rnd_below(&P, nb)];
		if (f->pvpanic && rnd_pct(&P, 70))
			f = bf[rnd_below(&P, nb)]; /* mostly the virtio devices */
		uint32_t r = rnd_below(&P, 1000);
		if (r < 25) {
			move_bar(f);
		} else if (r < 60 && f->msix_cap) {
			uint16_t ctl = (uint16_t)(prng_next(&P) & 0xc000);
			cfg_write(f, f->msix_cap + 2, 2, ctl, rnd_pct(&P, 50));
			st.toggles++;
		} else if (r < 80 && use_strings) {
			bar_string_op(f);
		} else if (r < 90) {
			/* fresh garbage for whatever rings the chaos pointed into scratch */
			uint32_t o = rnd_below(&P, cmem.scratch_size - 4096) & ~3u;
			fill_random(&P, (void *)(uintptr_t)(cmem.scratch + o), 4096);
		} else {
			bar_op(f);
		}
	}
}

/* ---- phase C: random ports, unclaimed MMIO ---------------------------------------------- */

/* Ports that are fatal on purpose (reset, power off, debug exit), belong to KVM's
 * in-kernel PIC/PIT, or carry this test's own output. */
static bool port_excluded(unsigned port, unsigned len)
{
	static const uint16_t ex[][2] = {
		{ 0x20, 0x21 }, { 0x40, 0x43 }, { 0x60, 0x64 }, { 0x92, 0x92 }, { 0xa0, 0xa1 },
		{ 0xb2, 0xb3 }, { 0xf4, 0xf4 }, { 0x3f8, 0x3ff }, { 0x402, 0x402 },
		{ 0x4d0, 0x4d1 }, { 0x510, 0x51b }, { 0x600, 0x607 }, { 0xcf8, 0xcff },
	};
	for (unsigned i = 0; i < sizeof(ex) / sizeof(ex[0]); i++)
		if (port <= ex[i][1] && port + len > ex[i][0])
			return true;
	return port + len > 0x10000;
}

static void phase_pio(unsigned iters)
{
	for (unsigned i = 0; i < iters; i++) {
		unsigned len = rnd_width(&P);
		unsigned port = rnd_pct(&P, 30) ? rnd_below(&P, 0x1000) : rnd_below(&P, 0x10000);
		if (rnd_pct(&P, 40)) {
			(void)inx((uint16_t)port, len);
		} else {
			if (port_excluded(port, len))
				continue;
			outx((uint16_t)port, len, rnd_value(&P));
		}
		st.pio++;
	}
	/* Unclaimed MMIO in the PCI hole (away from every BAR): all ones. */
	for (unsigned i = 0; i < iters / 4; i++) {
		uint32_t a = MMIO32_BASE + (prng_next(&P) % (MMIO32_END - MMIO32_BASE - 8));
		unsigned len = rnd_width(&P);
		bool near = false;
		for (unsigned j = 0; j < nfn; j++) {
			uint32_t b = decoded(&fns[j]);
			if (b && a + 0x2000 > b && a < b + fns[j].bar_size[0] + 0x2000)
				near = true;
		}
		if (near)
			continue;
		if (rnd_pct(&P, 50)) {
			mmio_wr(a, len, rnd_value(&P));
		} else {
			uint32_t v = mmio_rd(a, len);
			CHECK(v == ones(len), "unclaimed MMIO 0x%08x/%u reads 0x%x, want all ones", a, len, v);
		}
		st.mmio_hole++;
	}
}

/* ---- main ---------------------------------------------------------------------------- */

/* Rings left at address 0 (a reset queue's default) read zeros, never stale bytes. */
static void zero_low_memory(void)
{
	uint32_t n = 0x5000 / 4;
	void *dst = (void *)0;
	__asm__ volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(0) : "memory");
}

int main(const struct hvm_start_info *si)
{
	prng_seed(&P, chaos_seed(1));
	unsigned cfg_iters = parse_u32(cmdline_get("cfg_iters"), 30000);
	unsigned bar_iters = parse_u32(cmdline_get("bar_iters"), 30000);
	unsigned pio_iters = parse_u32(cmdline_get("pio_iters"), 4000);
	use_strings = parse_u32(cmdline_get("strings"), 1);
	chaos_mem_init(si, 256u << 10);
	fill_random(&P, (void *)(uintptr_t)cmem.scratch, cmem.scratch_size);
	zero_low_memory();
	discover();
	check_config("at boot");

	uint64_t t0 = rdtsc();
	phase_config(cfg_iters);
	pr("  A: %u config ops: ECAM %u reads %u writes, CF8 %u reads %u writes, %u odd CF8, "
	   "%u PCI_CFG window, %u string ops, %u absent-function reads checked, %u read-only checks; "
	   "%u writes held back, %u sanitized\n",
	   cfg_iters, st.ecam_rd, st.ecam_wr, st.cf8_rd, st.cf8_wr, st.cf8_odd, st.window, st.strings,
	   st.absent_checked, st.ro_checked, st.skipped, st.sanitized);
	check_config("after config chaos");
	restore_config();

	phase_bars(bar_iters);
	pr("  B: %u BAR ops: %u reads, %u writes, %u BAR moves, %u decode/MSI-X toggles; %u sanitized\n",
	   bar_iters, st.bar_rd, st.bar_wr, st.moves, st.toggles, st.sanitized);
	restore_config();

	phase_pio(pio_iters);
	pr("  C: %u port accesses, %u unclaimed MMIO accesses\n", st.pio, st.mmio_hole);
	restore_config();
	check_config("after all the chaos");
	pr("  chaos took %llu Mcycles\n", udiv64(rdtsc() - t0, 1000000, NULL));

	/* The devices still work. */
	struct vdev d;
	virtio_open(&d, VIRTIO_ID_RNG, false);
	rng_check(&d, 0);
	if (pci_find(VIRTIO_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_BLK)) >= 0) {
		virtio_open(&d, VIRTIO_ID_BLK, false);
		blk_check(&d, 1, &P);
	}
	return 0;
}
