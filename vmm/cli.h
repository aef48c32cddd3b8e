/* SPDX-License-Identifier: GPL-2.0-only */
/* Command-line parsing for `passvm run` (kept apart from main for tests). */
#ifndef PASSVM_CLI_H
#define PASSVM_CLI_H

#include <stdio.h>

#include "config.h"
#include "util.h"

/* Parse run flags (argv[0] is "run") into cfg (defaults applied by caller).
 * Returns 0, 1 when --help was asked (usage printed), or -1 with err set. */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg, struct error *err);
void cli_usage_run(FILE *out);

#endif
