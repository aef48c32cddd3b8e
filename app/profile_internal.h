/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Between the profile parser (profile.c: files, lines, sections, errors)
 * and the profile's vocabulary (profile_keys.c: the sections, their keys,
 * the checks across keys). Not for use elsewhere.
 */
#ifndef PASSVM_PROFILE_INTERNAL_H
#define PASSVM_PROFILE_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "util.h"

#define PROFILE_MAX_SECTION 64

struct profile_parser;

/* Store `value` (never empty) in the config. On error, err says what is
 * wrong with the value; the parser adds "FILE:LINE: key = value: ". */
typedef int (*profile_set_fn)(struct profile_parser *p, const char *value,
			      struct error *err);

struct profile_key {
	const char *name;
	profile_set_fn set;
	bool repeatable;     /* a list: each line adds (else: a second line is an error) */
	bool empty_ok;       /* `key =` with nothing after it is allowed */
};

struct profile_section {
	const char *name;
	bool named;          /* [name.ITEM], one section per item (disks, devices) */
	const struct profile_key *keys;
	size_t nr_keys;
	/* A header was read: [name], or [name.ITEM] with item set. */
	int (*open)(struct profile_parser *p, const char *item, struct error *err);
};

extern const struct profile_section profile_sections[];
extern const size_t profile_nr_sections;

/* A header or a key, where it was: duplicates and cross-key messages. */
struct profile_mark {
	char section[PROFILE_MAX_SECTION];  /* "machine", "disk.system" */
	const char *key;                    /* NULL: the section header */
	unsigned line;
};

struct profile_parser {
	struct vm_config *cfg;
	const char *path;            /* as named in messages */
	char *dir;                   /* the profile's folder, absolute */
	FILE *f;
	char *buf;                   /* getline() buffer: the line being parsed */
	size_t cap;
	unsigned lineno;
	struct error *err;
	bool failed;
	unsigned err_line;
	/* libinih's own state, mirrored: after a key line (until the next
	 * header) an indented line continues that key's value. */
	bool after_key;

	const struct profile_section *section;  /* NULL before the first header */
	char section_name[PROFILE_MAX_SECTION];
	unsigned section_line;
	int item;                    /* index of the section's disk / device */

	struct profile_mark *marks;
	size_t nr_marks, cap_marks;
	unsigned disk_line[CONFIG_MAX_DISKS];
	unsigned passthrough_line[CONFIG_MAX_PASSTHROUGH];
	unsigned address_line[CONFIG_MAX_PASSTHROUGH];  /* 0: no address yet */
	unsigned input_line[CONFIG_MAX_INPUTS];
};

/* The line `key` was set on in section `section` ("cpu", "disk.system"), or 0. */
unsigned profile_line_of(const struct profile_parser *p, const char *section, const char *key);
/* A path from the profile: absolute, or made so against the profile's folder.
 * Owned by the config; NULL (err set) when out of memory. */
const char *profile_path_value(struct profile_parser *p, const char *value, struct error *err);
/* Fail with "FILE:LINE: message". Returns -1. */
int profile_fail(struct profile_parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* yes/no (also true/false, on/off, 1/0) for the boolean keys. */
int profile_parse_bool(const char *value, bool *out, struct error *err);

/* After the last line: defaults that depend on other keys, checks across keys. */
int profile_finish(struct profile_parser *p);

/* Optimal string alignment distance (edits, adjacent swaps count one). */
unsigned profile_edit_distance(const char *a, const char *b);

#endif
