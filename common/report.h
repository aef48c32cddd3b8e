/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A readiness report: lines of LEVEL + what was checked + what was found,
 * each with an optional fix, collected first and printed aligned:
 *
 *   OK    /dev/kvm            readable and writable
 *   FAIL  IOMMU               none is active: /sys/class/iommu is empty
 *         fix: enable VT-d in the firmware setup, then add intel_iommu=on ...
 *
 * The level is the first word of a line, so scripts can grep for "^FAIL".
 * SKIP marks a check that an earlier failure makes meaningless.
 */
#ifndef PASSVM_REPORT_H
#define PASSVM_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum report_level { REPORT_OK, REPORT_WARN, REPORT_FAIL, REPORT_SKIP };

#define REPORT_WHAT_LEN 40
#define REPORT_TEXT_LEN 640

struct report_line {
	enum report_level level;
	char what[REPORT_WHAT_LEN];
	char detail[REPORT_TEXT_LEN];
	char fix[REPORT_TEXT_LEN];   /* "" when there is nothing to do */
};

struct report {
	unsigned n, cap;
	unsigned dropped;            /* lines lost to an allocation failure */
	struct report_line *lines;
};

void report_init(struct report *r);
void report_free(struct report *r);
/* Add a line; returns it for report_fix (NULL when it could not be stored). */
struct report_line *report_add(struct report *r, enum report_level level, const char *what,
			       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Set the line's fix; line may be NULL. */
void report_fix(struct report_line *line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
unsigned report_count(const struct report *r, enum report_level level);
void report_print(const struct report *r, FILE *out);
const char *report_level_name(enum report_level level);
/* "16 GiB", "512 MiB", "64 KiB": v in the largest unit that divides it evenly. */
const char *report_size_text(uint64_t v, char *buf, size_t len);

#endif
