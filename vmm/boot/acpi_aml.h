/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny AML byte builder for the DSDT (ACPI 6.5, chapter 20 "ACPI Machine
 * Language Specification", and 6.4 "Resource Data Types").
 *
 * Only data objects are needed: Name, Scope, Device, Package, integers,
 * strings, EISA ids and resource templates (Buffers of resource
 * descriptors); no Methods.
 *
 * Nesting: *_open() returns a mark; the matching aml_close(a, mark) goes back
 * and inserts the PkgLength for everything emitted since. Errors (out of
 * memory, a bad name, an object over the 256 MiB PkgLength limit) are sticky:
 * the builder keeps going harmlessly and aml_failed() tells at the end.
 *
 *   struct aml a;
 *   aml_init(&a);
 *   size_t sb = aml_scope_open(&a, "\\_SB");
 *   size_t dev = aml_device_open(&a, "COM1");
 *   aml_name_eisaid(&a, "_HID", "PNP0501");
 *   aml_close(&a, dev);
 *   aml_close(&a, sb);
 */
#ifndef PASSVM_BOOT_ACPI_AML_H
#define PASSVM_BOOT_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len, cap;
	const char *error; /* first failure, NULL while all is well */
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/* NULL when all went well, else what went wrong first. */
const char *aml_failed(const struct aml *a);

void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/*
 * PkgLength for `content` bytes following it: writes 1..4 bytes to out and
 * returns how many, or 0 if too long. The encoded value counts the PkgLength
 * bytes themselves.
 */
unsigned aml_pkglength(size_t content, uint8_t out[4]);

/* "\\_SB.PCI0", "_HID", "^PCI0.COM1"; segments of up to 4 characters are
 * padded with '_'. */
void aml_namestring(struct aml *a, const char *path);

/* Data objects. */
void aml_integer(struct aml *a, uint64_t v);  /* Zero/One/Byte/Word/DWord/QWord */
void aml_string(struct aml *a, const char *s);
void aml_eisaid(struct aml *a, const char *id); /* "PNP0A03" as a DWord */
void aml_buffer(struct aml *a, const void *data, size_t len);

/* Name(path, <value emitted next>) and shortcuts. */
void aml_name(struct aml *a, const char *path);
void aml_name_integer(struct aml *a, const char *path, uint64_t v);
void aml_name_string(struct aml *a, const char *path, const char *s);
void aml_name_eisaid(struct aml *a, const char *path, const char *id);

/* Containers: close with aml_close(). */
size_t aml_scope_open(struct aml *a, const char *path);
size_t aml_device_open(struct aml *a, const char *path);
size_t aml_package_open(struct aml *a, uint8_t nr_elements);
void aml_close(struct aml *a, size_t mark);

/*
 * Resource descriptors, appended to a separate struct aml that collects a
 * template; aml_name_resources() ends it with an EndTag and emits
 * Name(path, Buffer{...}).
 */
void aml_res_io(struct aml *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_irq(struct aml *r, uint16_t mask); /* IRQNoFlags: edge, active high */
void aml_res_mem32_fixed(struct aml *r, bool writable, uint32_t base, uint32_t len);
void aml_res_word_bus(struct aml *r, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *r, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *r, bool cacheable, uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *r, bool cacheable, uint64_t min, uint64_t max);
void aml_name_resources(struct aml *a, const char *path, struct aml *r);

#endif
