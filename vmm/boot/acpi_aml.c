// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/boot/acpi_aml.h"

#include <stdlib.h>
#include <string.h>

#define AML_ZERO_OP         0x00
#define AML_ONE_OP          0x01
#define AML_NAME_OP         0x08
#define AML_BYTE_PREFIX     0x0a
#define AML_WORD_PREFIX     0x0b
#define AML_DWORD_PREFIX    0x0c
#define AML_STRING_PREFIX   0x0d
#define AML_QWORD_PREFIX    0x0e
#define AML_SCOPE_OP        0x10
#define AML_BUFFER_OP       0x11
#define AML_PACKAGE_OP      0x12
#define AML_DUAL_NAME       0x2e
#define AML_MULTI_NAME      0x2f
#define AML_EXT_OP          0x5b
#define AML_DEVICE_OP       0x82 /* after AML_EXT_OP */
#define AML_ROOT_CHAR       '\\'
#define AML_PARENT_CHAR     '^'

/* Resource descriptor tags (ACPI 6.4). */
#define RES_IRQ_NOFLAGS     0x22 /* small, 2 bytes */
#define RES_IO              0x47 /* small, 7 bytes */
#define RES_END_TAG         0x79 /* small, 1 byte */
#define RES_MEM32_FIXED     0x86
#define RES_DWORD_SPACE     0x87
#define RES_WORD_SPACE      0x88
#define RES_QWORD_SPACE     0x8a

#define RES_TYPE_MEM        0
#define RES_TYPE_IO         1
#define RES_TYPE_BUS        2
/* General flags: producer (bit 0 clear), positive decode, min and max fixed. */
#define RES_FLAGS_PRODUCER_FIXED 0x0c

#define AML_PKGLENGTH_MAX   0x0fffffff

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

const char *aml_failed(const struct aml *a)
{
	return a->error;
}

static void aml_fail(struct aml *a, const char *why)
{
	if (!a->error)
		a->error = why;
}

static bool aml_reserve(struct aml *a, size_t more)
{
	if (a->error)
		return false;
	if (more > SIZE_MAX / 2 - a->len) {
		aml_fail(a, "AML too large");
		return false;
	}
	if (a->len + more <= a->cap)
		return true;
	size_t cap = a->cap ? a->cap : 256;
	while (cap < a->len + more)
		cap *= 2;
	uint8_t *p = realloc(a->buf, cap);
	if (!p) {
		aml_fail(a, "out of memory");
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!n || !aml_reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
	uint8_t b[8];
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n);
}

unsigned aml_pkglength(size_t content, uint8_t out[4])
{
	/* One byte holds 6 bits; each extra byte adds 8 bits above a 4-bit nibble. */
	static const size_t max[4] = { 0x3f, 0xfff, 0xfffff, AML_PKGLENGTH_MAX };
	for (unsigned n = 1; n <= 4; n++) {
		if (content > max[n - 1] - n)
			continue;
		size_t total = content + n;
		if (n == 1) {
			out[0] = (uint8_t)total;
		} else {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
			for (unsigned i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
		}
		return n;
	}
	return 0;
}

void aml_close(struct aml *a, size_t mark)
{
	if (a->error)
		return;
	if (mark > a->len) {
		aml_fail(a, "aml_close() without a matching open");
		return;
	}
	uint8_t pl[4];
	unsigned n = aml_pkglength(a->len - mark, pl);
	if (!n) {
		aml_fail(a, "AML object over the 256 MiB PkgLength limit");
		return;
	}
	if (!aml_reserve(a, n))
		return;
	memmove(a->buf + mark + n, a->buf + mark, a->len - mark);
	memcpy(a->buf + mark, pl, n);
	a->len += n;
}

static bool aml_seg_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *p = path;
	if (*p == AML_ROOT_CHAR) {
		aml_byte(a, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == AML_PARENT_CHAR) {
			aml_byte(a, AML_PARENT_CHAR);
			p++;
		}
	}
	char segs[255][4];
	unsigned n = 0;
	while (*p) {
		if (n == 255) {
			aml_fail(a, "AML name with too many segments");
			return;
		}
		unsigned len = 0;
		while (p[len] && p[len] != '.')
			len++;
		if (len == 0 || len > 4) {
			aml_fail(a, "bad AML name segment");
			return;
		}
		for (unsigned i = 0; i < 4; i++) {
			char c = i < len ? p[i] : '_';
			if (!aml_seg_char(c, i == 0)) {
				aml_fail(a, "bad character in AML name");
				return;
			}
			segs[n][i] = c;
		}
		n++;
		p += len;
		if (*p == '.') {
			p++;
			if (!*p) {
				aml_fail(a, "AML name ends with '.'");
				return;
			}
		}
	}
	if (n == 0) {
		aml_byte(a, 0x00); /* NullName */
		return;
	}
	if (n == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (n > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)n);
	}
	aml_bytes(a, segs, 4 * (size_t)n);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x01 || (unsigned char)*c > 0x7f) {
			aml_fail(a, "non-ASCII AML string");
			return;
		}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int aml_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
	/* Three letters, five bits each, then four hex digits; stored big-endian. */
	if (strlen(id) != 7) {
		aml_fail(a, "bad EISA id");
		return;
	}
	uint32_t v = 0;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			aml_fail(a, "bad EISA id");
			return;
		}
		v = (v << 5) | (uint32_t)(id[i] - 'A' + 1);
	}
	for (int i = 3; i < 7; i++) {
		int h = aml_hex(id[i]);
		if (h < 0) {
			aml_fail(a, "bad EISA id");
			return;
		}
		v = (v << 4) | (uint32_t)h;
	}
	uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	aml_byte(a, AML_DWORD_PREFIX);
	aml_bytes(a, be, 4);
}

void aml_buffer(struct aml *a, const void *data, size_t len)
{
	aml_byte(a, AML_BUFFER_OP);
	size_t mark = a->len;
	aml_integer(a, len);
	aml_bytes(a, data, len);
	aml_close(a, mark);
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, path);
}

void aml_name_integer(struct aml *a, const char *path, uint64_t v)
{
	aml_name(a, path);
	aml_integer(a, v);
}

void aml_name_string(struct aml *a, const char *path, const char *s)
{
	aml_name(a, path);
	aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *path, const char *id)
{
	aml_name(a, path);
	aml_eisaid(a, id);
}

size_t aml_scope_open(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	size_t mark = a->len;
	aml_namestring(a, path);
	return mark;
}

size_t aml_device_open(struct aml *a, const char *path)
{
	aml_byte(a, AML_EXT_OP);
	aml_byte(a, AML_DEVICE_OP);
	size_t mark = a->len;
	aml_namestring(a, path);
	return mark;
}

size_t aml_package_open(struct aml *a, uint8_t nr_elements)
{
	aml_byte(a, AML_PACKAGE_OP);
	size_t mark = a->len;
	aml_byte(a, nr_elements);
	return mark;
}

/* ---- resource templates -------------------------------------------------- */

void aml_res_io(struct aml *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	aml_byte(r, RES_IO);
	aml_byte(r, 0x01); /* decodes 16 address bits */
	aml_le(r, min, 2);
	aml_le(r, max, 2);
	aml_byte(r, align);
	aml_byte(r, len);
}

void aml_res_irq(struct aml *r, uint16_t mask)
{
	aml_byte(r, RES_IRQ_NOFLAGS);
	aml_le(r, mask, 2);
}

void aml_res_mem32_fixed(struct aml *r, bool writable, uint32_t base, uint32_t len)
{
	aml_byte(r, RES_MEM32_FIXED);
	aml_le(r, 9, 2);
	aml_byte(r, writable ? 0x01 : 0x00);
	aml_le(r, base, 4);
	aml_le(r, len, 4);
}

/* Word/DWord/QWord address space descriptor: producer, min/max fixed, no
 * translation, granularity 0 (a fixed-size window). */
static void aml_res_space(struct aml *r, uint8_t tag, unsigned width, uint8_t type,
			  uint8_t type_flags, uint64_t min, uint64_t max)
{
	if (max < min) {
		aml_fail(r, "resource window ends before it starts");
		return;
	}
	aml_byte(r, tag);
	aml_le(r, 3 + 5 * width, 2);
	aml_byte(r, type);
	aml_byte(r, RES_FLAGS_PRODUCER_FIXED);
	aml_byte(r, type_flags);
	aml_le(r, 0, width);             /* granularity */
	aml_le(r, min, width);
	aml_le(r, max, width);
	aml_le(r, 0, width);             /* translation offset */
	aml_le(r, max - min + 1, width); /* length */
}

void aml_res_word_bus(struct aml *r, uint16_t min, uint16_t max)
{
	aml_res_space(r, RES_WORD_SPACE, 2, RES_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *r, uint16_t min, uint16_t max)
{
	aml_res_space(r, RES_WORD_SPACE, 2, RES_TYPE_IO, 0x03 /* EntireRange */, min, max);
}

/* Memory type flags: bit 0 read-write, bits 1-2 0 = non-cacheable, 1 = cacheable. */
void aml_res_dword_mem(struct aml *r, bool cacheable, uint32_t min, uint32_t max)
{
	aml_res_space(r, RES_DWORD_SPACE, 4, RES_TYPE_MEM, cacheable ? 0x03 : 0x01, min, max);
}

void aml_res_qword_mem(struct aml *r, bool cacheable, uint64_t min, uint64_t max)
{
	if (min == 0 && max == UINT64_MAX) {
		aml_fail(r, "a QWord window cannot span all 64 bits");
		return;
	}
	aml_res_space(r, RES_QWORD_SPACE, 8, RES_TYPE_MEM, cacheable ? 0x03 : 0x01, min, max);
}

void aml_name_resources(struct aml *a, const char *path, struct aml *r)
{
	aml_byte(r, RES_END_TAG);
	aml_byte(r, 0x00); /* checksum 0: "treat as correct" */
	if (r->error) {
		aml_fail(a, r->error);
		return;
	}
	aml_name(a, path);
	aml_buffer(a, r->buf, r->len);
}
