// SPDX-License-Identifier: GPL-2.0-only
/* See acpi_reader.h. */
#include "tests/unit/acpi_reader.h"

#include <string.h>

#include "vmm/boot/acpi_wire.h"

/* Map the table at gpa, check its signature (if sig), length and checksum. */
static const uint8_t *acpi_table_at(const struct gmem *m, uint64_t gpa, const char *sig,
				    uint32_t *len, struct error *err)
{
	const struct acpi_header *h = gmem_ptr(m, gpa, sizeof(*h));
	if (!h) {
		err_setf(err, "ACPI table %.4s at 0x%llx is not in guest RAM", sig ? sig : "",
			 (unsigned long long)gpa);
		return NULL;
	}
	if (sig && memcmp(h->signature, sig, 4)) {
		err_setf(err, "ACPI table at 0x%llx has signature '%.4s', expected '%.4s'",
			 (unsigned long long)gpa, h->signature, sig);
		return NULL;
	}
	bool facs = !memcmp(h->signature, "FACS", 4);
	uint32_t l = h->length;
	if (l < (facs ? 64 : sizeof(*h))) {
		err_setf(err, "ACPI table %.4s at 0x%llx has a bad length %u", h->signature,
			 (unsigned long long)gpa, l);
		return NULL;
	}
	const uint8_t *p = gmem_ptr(m, gpa, l);
	if (!p) {
		err_setf(err, "ACPI table %.4s at 0x%llx (%u bytes) runs out of guest RAM",
			 h->signature, (unsigned long long)gpa, l);
		return NULL;
	}
	if (!facs && acpi_sum(p, l)) {
		err_setf(err, "ACPI table %.4s at 0x%llx has a bad checksum", h->signature,
			 (unsigned long long)gpa);
		return NULL;
	}
	*len = l;
	return p;
}

/* Visit every table: RSDP -> XSDT entries, FADT -> DSDT and FACS. */
static int acpi_walk(const struct gmem *m, uint64_t rsdp,
		     int (*fn)(void *opaque, const char *sig, uint64_t gpa, uint32_t len),
		     void *opaque, struct error *err)
{
	struct acpi_rsdp r;
	if (gmem_read(m, rsdp, &r, sizeof(r)))
		return err_setf(err, "the RSDP at 0x%llx is not in guest RAM",
				(unsigned long long)rsdp);
	if (memcmp(r.signature, "RSD PTR ", 8))
		return err_setf(err, "no RSDP signature at 0x%llx", (unsigned long long)rsdp);
	if (acpi_sum(&r, 20))
		return err_setf(err, "the RSDP has a bad checksum");
	if (r.revision < 2 || r.length < sizeof(r) || acpi_sum(&r, sizeof(r)))
		return err_setf(err, "the RSDP is not a valid revision 2 RSDP");
	uint32_t xlen;
	const uint8_t *x = acpi_table_at(m, r.xsdt_address, "XSDT", &xlen, err);
	if (!x)
		return -1;
	if ((xlen - sizeof(struct acpi_header)) % 8)
		return err_setf(err, "the XSDT length %u is not a whole number of entries", xlen);
	int ret = fn(opaque, "XSDT", r.xsdt_address, xlen);
	for (uint32_t off = sizeof(struct acpi_header); !ret && off < xlen; off += 8) {
		uint64_t gpa;
		memcpy(&gpa, x + off, 8);
		uint32_t len;
		const uint8_t *t = acpi_table_at(m, gpa, NULL, &len, err);
		if (!t)
			return -1;
		char sig[5] = { 0 };
		memcpy(sig, t, 4);
		ret = fn(opaque, sig, gpa, len);
		if (ret || strcmp(sig, "FACP"))
			continue;
		if (len < sizeof(struct acpi_fadt))
			return err_setf(err, "the FADT is %u bytes, revision 6 needs %zu", len,
					sizeof(struct acpi_fadt));
		struct acpi_fadt f;
		memcpy(&f, t, sizeof(f));
		uint64_t dsdt = f.x_dsdt ? f.x_dsdt : f.dsdt;
		uint64_t facs = f.x_firmware_ctrl ? f.x_firmware_ctrl : f.firmware_ctrl;
		if (f.dsdt && f.x_dsdt && f.dsdt != f.x_dsdt)
			return err_setf(err, "the FADT's DSDT and X_DSDT disagree");
		const uint8_t *d = acpi_table_at(m, dsdt, "DSDT", &len, err);
		if (!d || (ret = fn(opaque, "DSDT", dsdt, len)))
			return d ? ret : -1;
		if (facs) {
			if (facs % 64)
				return err_setf(err, "the FACS at 0x%llx is not 64-byte aligned",
						(unsigned long long)facs);
			if (!acpi_table_at(m, facs, "FACS", &len, err))
				return -1;
			ret = fn(opaque, "FACS", facs, len);
		}
	}
	return ret;
}

static int acpi_verify_one(void *opaque, const char *sig, uint64_t gpa, uint32_t len)
{
	return 0;
}

int acpi_verify(const struct gmem *mem, uint64_t rsdp, struct error *err)
{
	return acpi_walk(mem, rsdp, acpi_verify_one, NULL, err);
}

struct acpi_find {
	const char *sig;
	uint64_t gpa;
	uint32_t len;
};

static int acpi_find_one(void *opaque, const char *sig, uint64_t gpa, uint32_t len)
{
	struct acpi_find *f = opaque;
	if (strcmp(sig, f->sig))
		return 0;
	f->gpa = gpa;
	f->len = len;
	return 1;
}

int acpi_find_table(const struct gmem *mem, uint64_t rsdp, const char *sig, uint64_t *gpa,
		    uint32_t *len)
{
	struct acpi_find f = { .sig = sig };
	struct error e;
	if (acpi_walk(mem, rsdp, acpi_find_one, &f, &e) != 1)
		return -1;
	*gpa = f.gpa;
	*len = f.len;
	return 0;
}
