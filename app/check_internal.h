/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by check.c and check_profile.c; not an API. */
#ifndef PASSVM_CHECK_INTERNAL_H
#define PASSVM_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "app/check.h"

enum check_cpu_vendor { CHECK_CPU_UNKNOWN, CHECK_CPU_INTEL, CHECK_CPU_AMD, CHECK_CPU_OTHER };

/* root + "/" + rel */
void check_path(char *buf, size_t len, const char *root, const char *rel);
/* read_small_file() of root/rel */
int check_read(const char *root, const char *rel, char *buf, size_t len);
bool check_exists(const char *root, const char *rel);
bool check_has_word(const char *line, const char *word);
void check_cmdline(const struct check_env *env, char *buf, size_t len);
bool check_cmdline_has(const char *cmdline, const char *key, const char *value);
/* From <proc>/cpuinfo; CHECK_CPU_UNKNOWN when it cannot be read. */
enum check_cpu_vendor check_cpu_vendor(const struct check_env *env, bool *vmx, bool *svm);
/* Where a kernel command line change goes, for fix lines. */
const char *check_grub_hint(void);

/* check_profile.c: huge pages, CPU isolation, memlock, Hyper-V. */
void check_resources(struct report *r, const struct check_env *env,
		     const struct vm_config *cfg);

#endif
