// SPDX-License-Identifier: GPL-2.0-only
#include "common/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
}

void report_free(struct report *r)
{
	free(r->lines);
	report_init(r);
}

static struct report_line *report_slot(struct report *r)
{
	if (r->n == r->cap) {
		unsigned cap = r->cap ? r->cap * 2 : 32;
		struct report_line *grown = realloc(r->lines, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		r->lines = grown;
		r->cap = cap;
	}
	return &r->lines[r->n++];
}

struct report_line *report_add(struct report *r, enum report_level level, const char *what,
			       const char *fmt, ...)
{
	struct report_line *l = report_slot(r);
	if (!l) {
		r->dropped++;
		return NULL;
	}
	l->level = level;
	snprintf(l->what, sizeof(l->what), "%s", what);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->detail, sizeof(l->detail), fmt, ap);
	va_end(ap);
	l->fix[0] = '\0';
	return l;
}

void report_fix(struct report_line *line, const char *fmt, ...)
{
	if (!line)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line->fix, sizeof(line->fix), fmt, ap);
	va_end(ap);
}

unsigned report_count(const struct report *r, enum report_level level)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->n; i++)
		n += r->lines[i].level == level;
	return n;
}

const char *report_level_name(enum report_level level)
{
	static const char *const names[] = { "OK", "WARN", "FAIL", "SKIP" };
	return level <= REPORT_SKIP ? names[level] : "?";
}

void report_print(const struct report *r, FILE *out)
{
	int width = 0;
	for (unsigned i = 0; i < r->n; i++)
		width = MAX(width, (int)strlen(r->lines[i].what));
	for (unsigned i = 0; i < r->n; i++) {
		const struct report_line *l = &r->lines[i];
		fprintf(out, "%-5s %-*s  %s\n", report_level_name(l->level), width, l->what, l->detail);
		if (l->fix[0])
			fprintf(out, "      fix: %s\n", l->fix);
	}
	if (r->dropped)
		fprintf(out, "(%u more lines lost: out of memory)\n", r->dropped);
}

/* "16 GiB", "512 MiB", "64 KiB": the largest unit that divides evenly. */
const char *report_size_text(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	while (u + 1 < ARRAY_SIZE(units) && v && !(v % 1024)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
	return buf;
}
