// SPDX-License-Identifier: GPL-2.0-only
/*
 * acpi: the tables Linux will parse, cross-checked against the platform:
 * RSDP/XSDT checksums, FADT PM1a blocks + reset register + SCI, DSDT \_S5,
 * MADT (LAPIC per vCPU, IOAPIC, overrides), MCFG (ECAM). Ends by powering
 * off exactly as Linux does: SLP_TYPa from \_S5 into the FADT's PM1a_CNT.
 * Command line: expect_cpus=N (default 1).
 */
#include "rt.h"

const char payload_name[] = "acpi";

struct sdt {
	char sig[4];
	uint32_t len;
	uint8_t rev, csum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static uint8_t sum(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

static uint64_t rd64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t rd32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const void *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static const struct sdt *table_at(uint64_t a, const char *want)
{
	CHECK(a >= 0xE0000 && a < 0x100000, "%s at 0x%llx: outside the ACPI area 0xE0000-0xFFFFF",
	      want, a);
	const struct sdt *t = (const struct sdt *)(uintptr_t)a;
	CHECK(!memcmp(t->sig, want, 4), "table at 0x%llx has signature %.4s, want %s", a, t->sig,
	      want);
	CHECK(t->len >= sizeof(*t) && a + t->len <= 0x100000, "%s length %u", want, t->len);
	CHECK(!sum(t, t->len), "%s checksum wrong (sum 0x%02x)", want, sum(t, t->len));
	pr("  %.4s at 0x%05llx len %u rev %u oem %.6s\n", t->sig, a, t->len, t->rev, t->oem);
	return t;
}

static const uint8_t *find_bytes(const uint8_t *h, uint32_t hl, const char *n, uint32_t nl)
{
	for (uint32_t i = 0; i + nl <= hl; i++)
		if (!memcmp(h + i, n, nl))
			return h + i;
	return NULL;
}

/* SLP_TYPa from \_S5: NameOp "_S5_" PackageOp PkgLength NumElements elem... */
static int s5_slp_typa(const struct sdt *dsdt)
{
	const uint8_t *p = find_bytes((const uint8_t *)dsdt, dsdt->len, "_S5_", 4);
	CHECK(p, "DSDT has no \\_S5 object: Linux cannot power off");
	p += 4;
	CHECK(*p == 0x12, "\\_S5 is not a Package (opcode 0x%02x)", *p);
	p++;
	p += 1 + (*p >> 6); /* PkgLength: lead byte + (bits 7:6) more bytes */
	CHECK(*p >= 1, "\\_S5 package is empty");
	p++;
	switch (*p) {
	case 0x00: return 0;
	case 0x01: return 1;
	case 0x0A: return p[1];
	default: fail("\\_S5 element 0 has opcode 0x%02x, expected an integer", *p);
	}
}

int main(const struct hvm_start_info *si)
{
	unsigned expect_cpus = parse_u32(cmdline_get("expect_cpus"), 1);
	const uint8_t *rsdp = (const uint8_t *)(uintptr_t)si->rsdp_paddr;
	CHECK(si->rsdp_paddr, "no RSDP in start_info");
	CHECK(!memcmp(rsdp, "RSD PTR ", 8), "no RSDP signature at 0x%llx", si->rsdp_paddr);
	CHECK(!sum(rsdp, 20), "RSDP checksum wrong");
	CHECK(rsdp[15] >= 2, "RSDP revision %u: want 2 (XSDT)", rsdp[15]);
	CHECK(!sum(rsdp, rd32(rsdp + 20)), "RSDP extended checksum wrong");
	pr("  RSDP at 0x%05llx rev %u oem %.6s\n", si->rsdp_paddr, rsdp[15], rsdp + 9);

	const struct sdt *x = table_at(rd64(rsdp + 24), "XSDT");
	const struct sdt *fadt = NULL, *madt = NULL, *mcfg = NULL;
	for (uint32_t off = sizeof(*x); off + 8 <= x->len; off += 8) {
		uint64_t a = rd64((const uint8_t *)x + off);
		const struct sdt *t = (const struct sdt *)(uintptr_t)a;
		CHECK(a && a < 0x100000, "XSDT entry 0x%llx", a);
		char sig[5] = { t->sig[0], t->sig[1], t->sig[2], t->sig[3], 0 };
		table_at(a, sig);
		if (!memcmp(sig, "FACP", 4))
			fadt = t;
		else if (!memcmp(sig, "APIC", 4))
			madt = t;
		else if (!memcmp(sig, "MCFG", 4))
			mcfg = t;
	}
	CHECK(fadt && madt && mcfg, "XSDT lacks FADT (%p), MADT (%p) or MCFG (%p)", (const void *)fadt,
	      (const void *)madt, (const void *)mcfg);

	/* FADT */
	const uint8_t *f = (const uint8_t *)fadt;
	uint32_t pm1a_evt = rd32(f + 56), pm1a_cnt = rd32(f + 64), flags = rd32(f + 112);
	uint16_t sci = rd16(f + 46);
	pr("  FADT: SCI %u PM1a_EVT 0x%x PM1a_CNT 0x%x flags 0x%x reset %u/0x%llx=0x%x\n", sci,
	   pm1a_evt, pm1a_cnt, flags, f[116], rd64(f + 120), f[128]);
	CHECK(pm1a_cnt == PORT_PM1A_CNT, "FADT PM1a_CNT_BLK 0x%x, platform has it at 0x%x", pm1a_cnt,
	      PORT_PM1A_CNT);
	CHECK(pm1a_evt == 0x600 && f[88] == 4 && f[89] == 2,
	      "FADT PM1a_EVT 0x%x len %u / CNT len %u, want 0x600/4/2", pm1a_evt, f[88], f[89]);
	/* The PM timer the FADT names counts (Linux's acpi_pm clocksource). */
	uint32_t tmr = rd32(f + 76), tick0 = inl((uint16_t)tmr), tick1 = tick0;
	CHECK(tmr == 0x608 && f[91] == 4, "FADT PM_TMR_BLK 0x%x len %u, want 0x608/4", tmr, f[91]);
	for (unsigned i = 0; i < 1000000 && tick1 == tick0; i++)
		tick1 = inl((uint16_t)tmr);
	CHECK(tick1 != tick0 && tick1 < (1u << 24), "the PM timer at 0x%x does not count in 24 bits", tmr);
	CHECK(sci == 9, "FADT SCI_INT %u, want 9", sci);
	CHECK(!(flags & (1u << 20)), "FADT says HW_REDUCED_ACPI: PM1 blocks would be ignored");
	CHECK(flags & (1u << 10), "FADT RESET_REG_SUP not set");
	CHECK(f[116] == 1 && rd64(f + 120) == PORT_RESET && f[128] == 6,
	      "FADT reset register space %u addr 0x%llx value 0x%x, want I/O 0xcf9 = 6", f[116],
	      rd64(f + 120), f[128]);
	if (fadt->len >= 184) {
		uint64_t x_cnt = rd64(f + 172 + 4);
		CHECK(!x_cnt || x_cnt == pm1a_cnt, "FADT X_PM1a_CNT 0x%llx != PM1a_CNT 0x%x", x_cnt,
		      pm1a_cnt);
	}
	uint64_t dsdt_a = fadt->len >= 148 && rd64(f + 140) ? rd64(f + 140) : rd32(f + 40);
	const struct sdt *dsdt = table_at(dsdt_a, "DSDT");
	if (rd32(f + 36) || (fadt->len >= 140 && rd64(f + 132))) {
		uint64_t facs = rd32(f + 36) ? rd32(f + 36) : rd64(f + 132);
		CHECK(!memcmp((const void *)(uintptr_t)facs, "FACS", 4), "no FACS at 0x%llx", facs);
		CHECK(!(facs & 63), "FACS at 0x%llx not 64-byte aligned", facs);
	}
	int slp_typa = s5_slp_typa(dsdt);
	pr("  DSDT \\_S5 SLP_TYPa = %d\n", slp_typa);

	/* MADT */
	const uint8_t *m = (const uint8_t *)madt;
	CHECK(rd32(m + 36) == LAPIC_BASE, "MADT local APIC address 0x%x", rd32(m + 36));
	unsigned cpus = 0, ioapics = 0;
	bool iso_irq0 = false, iso_sci = false;
	for (uint32_t off = 44; off + 2 <= madt->len;) {
		uint8_t type = m[off], len = m[off + 1];
		CHECK(len >= 2 && off + len <= madt->len, "MADT entry at %u: bad length %u", off, len);
		const uint8_t *e = m + off;
		if (type == 0) {
			pr("    LAPIC uid %u id %u flags 0x%x\n", e[2], e[3], rd32(e + 4));
			CHECK(e[3] == cpus, "MADT LAPIC #%u has APIC id %u", cpus, e[3]);
			if (rd32(e + 4) & 1)
				cpus++;
		} else if (type == 1) {
			pr("    IOAPIC id %u at 0x%x gsi base %u\n", e[2], rd32(e + 4), rd32(e + 8));
			CHECK(rd32(e + 4) == IOAPIC_BASE && rd32(e + 8) == 0, "MADT IOAPIC at 0x%x base %u",
			      rd32(e + 4), rd32(e + 8));
			ioapics++;
		} else if (type == 2) {
			pr("    ISO bus %u irq %u -> gsi %u flags 0x%x\n", e[2], e[3], rd32(e + 4), rd16(e + 8));
			if (e[3] == 0)
				iso_irq0 = true;
			if (e[3] == sci) {
				iso_sci = true;
				CHECK(rd32(e + 4) == sci, "SCI override maps IRQ %u to GSI %u", sci, rd32(e + 4));
			}
		} else {
			pr("    type %u len %u\n", type, len);
		}
		off += len;
	}
	CHECK(cpus == expect_cpus, "MADT lists %u enabled CPUs, want %u", cpus, expect_cpus);
	CHECK(ioapics == 1, "MADT lists %u IOAPICs, want 1", ioapics);
	if (!iso_irq0)
		warn("no interrupt source override for IRQ 0 (PIT): Linux assumes GSI 0");
	if (!iso_sci)
		warn("no interrupt source override for the SCI: Linux assumes level, active low");

	/* MCFG: one allocation at offset 44 */
	const uint8_t *c = (const uint8_t *)mcfg;
	CHECK(mcfg->len >= 60, "MCFG has no allocation");
	pr("  MCFG: base 0x%llx segment %u buses %u-%u\n", rd64(c + 44), rd16(c + 52), c[54], c[55]);
	CHECK(rd64(c + 44) == ECAM_BASE && rd16(c + 52) == 0 && c[54] == 0,
	      "MCFG base 0x%llx seg %u start bus %u, want 0x%x/0/0", rd64(c + 44), rd16(c + 52),
	      c[54], ECAM_BASE);

	/* Power off the way Linux does. */
	pr("PAYLOAD-OK acpi\n");
	outw((uint16_t)pm1a_cnt, (uint16_t)(((unsigned)slp_typa << 10) | PM1_SLP_EN));
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < WAIT_LONG;)
		cpu_relax();
	fail("SLP_TYPa %d | SLP_EN to FADT PM1a_CNT 0x%x did not power off", slp_typa, pm1a_cnt);
}
