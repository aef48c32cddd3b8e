/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VM profiles: INI files (read with libinih) that describe a VM once. The
 * format, every key and its default are in profiles/README.md.
 *
 * A profile only fills a struct vm_config; `passvm run` flags then go on top
 * and config_finalize() resolves the `auto` CPU values. Strings the config
 * gets from a profile are owned by it (config_release()).
 *
 * Every error names the file and line and says what to write instead:
 *   demo.ini:3: unknown key 'memroy' in [machine] — did you mean 'memory'?
 */
#ifndef PASSVM_PROFILE_H
#define PASSVM_PROFILE_H

#include <stddef.h>

#include "common/util.h"
#include "vmm/config.h"

#define PROFILE_EXT ".ini"
#define PROFILE_MAX_DIRS 2

/*
 * Load a profile into cfg (which holds the defaults, config_defaults()).
 * path_or_name: a path (it has a '/' or ends in .ini), used as is; or a
 * name, looked up as NAME.ini in $PASSVM_PROFILE_DIR, then in the source
 * tree's profiles/. Relative paths in the profile are relative to its
 * folder. On error cfg is partly filled: release it.
 */
int profile_load(const char *path_or_name, struct vm_config *cfg, struct error *err);

/* The folders names are looked up in, in order; returns how many. */
unsigned profile_dirs(const char *dirs[PROFILE_MAX_DIRS]);

struct profile_entry {
	char *name;   /* what `passvm run NAME` takes */
	char *path;
};

/* Every NAME.ini in profile_dirs(), sorted by name; a name in an earlier
 * folder hides the same name in a later one. Free with profile_list_free. */
int profile_list(struct profile_entry **out, size_t *n, struct error *err);
void profile_list_free(struct profile_entry *list, size_t n);

/* Optimal string alignment distance (edits, adjacent swaps count one): how
 * near a typo is to a key, a section or a flag. */
unsigned profile_edit_distance(const char *a, const char *b);

#endif
