/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `passvm check [PROFILE]`: what on this host stands in the way of running
 * the profile with its passthrough devices. Every check adds report lines
 * (report.h): OK, WARN (it starts, with a cost the line names) or FAIL (it
 * cannot start), each FAIL/WARN with the fix.
 *
 * The host and the machine are judged here; each device adds its own lines
 * (the `check` of its VMM_OPTIONS declaration: vfio/check.c for
 * passthrough, display-shm, input and audio in their folders).
 *
 * Read-only: sysfs and procfs under the roots of check_env (tests point them
 * at fake trees), opening the KVM device, statvfs of the shm directory and
 * the process's own RLIMIT_MEMLOCK. Nothing is changed on the host.
 */
#ifndef PASSVM_CHECK_H
#define PASSVM_CHECK_H

#include <stdint.h>

#include "common/report.h"
#include "vmm/config.h"
#include "vmm/options.h" /* struct check_env */


/* Roots from cfg and the environment, the memlock limit from getrlimit(). */
void check_env_init(struct check_env *env, const struct vm_config *cfg);

/* CPU virtualization, KVM, IOMMU, interrupt remapping, VFIO modules. */
void check_host(struct report *r, const struct check_env *env);
/* Huge pages, CPU isolation, memlock, Hyper-V, then every device's lines. */
void check_profile(struct report *r, const struct check_env *env, const struct vm_config *cfg);

/* `passvm check [PROFILE]`: prints the report; 0 when nothing FAILs, else 1. */
int check_command(int argc, char **argv);

#endif
