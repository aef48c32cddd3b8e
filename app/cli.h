/* SPDX-License-Identifier: GPL-2.0-only */
/* Command-line parsing for `passvm run` (kept apart from main for tests). */
#ifndef PASSVM_CLI_H
#define PASSVM_CLI_H

#include <stdio.h>

#include "common/util.h"
#include "vmm/config.h"

/* Parse `run [PROFILE] [FLAGS]` (argv[0] is "run") into cfg, which holds the
 * defaults: the profile is loaded first (profile.h), then every flag goes on
 * top of it. config_finalize() is the caller's next step.
 * Returns 0, 1 when --help was asked (usage printed), or -1 with err set. */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg, struct error *err);
void cli_usage_run(FILE *out);

#endif
