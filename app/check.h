/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `passvm check [PROFILE]`: what on this host stands in the way of running
 * the profile with its passthrough devices. Every check adds report lines
 * (report.h): OK, WARN (it starts, with a cost the line names) or FAIL (it
 * cannot start), each FAIL/WARN with the fix.
 *
 * It lives in vmm/ rather than vfio/ because it judges the whole vm_config
 * (KVM, RAM, huge pages, pinning, memlock, display) with passthrough as one
 * part; what VFIO knows about host devices stays in vfio/host.c.
 *
 * Read-only: sysfs and procfs under the roots of check_env (tests point them
 * at fake trees), opening the KVM device, statvfs of the shm directory and
 * the process's own RLIMIT_MEMLOCK. Nothing is changed on the host.
 */
#ifndef PASSVM_CHECK_H
#define PASSVM_CHECK_H

#include <stdint.h>

#include "config.h"
#include "report.h"

struct vfio_names;

struct check_env {
	const char *sysfs_root;   /* "/sys"; cfg->sysfs_root (env PASSVM_SYSFS_ROOT) */
	const char *proc_root;    /* "/proc"; env PASSVM_PROC_ROOT */
	const char *kvm_path;     /* "/dev/kvm"; cfg->kvm_path (env PASSVM_KVM_DEV) */
	uint64_t memlock_limit;   /* RLIMIT_MEMLOCK soft limit, bytes; UINT64_MAX: none */
	struct vfio_names *names; /* device names; NULL gives numbers */
};

/* Roots from cfg and the environment, the memlock limit from getrlimit(). */
void check_env_init(struct check_env *env, const struct vm_config *cfg);

/* CPU virtualization, KVM, IOMMU, interrupt remapping, VFIO modules. */
void check_host(struct report *r, const struct check_env *env);
/* Passthrough devices, huge pages, CPU isolation, memlock, shm space. */
void check_profile(struct report *r, const struct check_env *env, const struct vm_config *cfg);

/* `passvm check [PROFILE]`: prints the report; 0 when nothing FAILs, else 1. */
int check_command(int argc, char **argv);

#endif
