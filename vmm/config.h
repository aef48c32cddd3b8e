/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a VM is made of, as the user asked for it (CLI flags today, profiles
 * later). Plain data: no fds, no threads. Devices read their part in init.
 */
#ifndef PASSVM_CONFIG_H
#define PASSVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "memory.h"

#define CONFIG_MAX_DISKS 8
#define CONFIG_MAX_CPUS 256

struct cpuset_list {
	unsigned n;
	uint16_t cpus[CONFIG_MAX_CPUS * 2]; /* host CPU numbers in the given order */
};

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };
enum reset_action { RESET_REBOOT, RESET_EXIT };

struct disk_config {
	const char *path;
	bool readonly;
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;     /* NULL: default console=ttyS0 ... */
	unsigned cpus;
	uint64_t memory;         /* bytes */
	enum gmem_hugepages hugepages;
	unsigned nr_disks;
	struct disk_config disks[CONFIG_MAX_DISKS];
	enum serial_mode serial;
	const char *serial_path; /* SERIAL_FILE */
	struct cpuset_list pin_vcpus;  /* vCPU i -> pin_vcpus.cpus[i % n] */
	struct cpuset_list pin_other;  /* main + I/O threads */
	enum reset_action on_reset;
	bool rng;                /* virtio-rng device (default on) */

	/* Test hooks: roots for /sys and /dev lookups, never edited in code. */
	const char *sysfs_root;  /* default "/sys" (env PASSVM_SYSFS_ROOT) */
	const char *kvm_path;    /* default "/dev/kvm" */
};

void config_defaults(struct vm_config *c);
/* Parse "0-3,8,10-11" into a list; error names the bad token. */
int cpuset_parse(const char *s, struct cpuset_list *out, struct error *err);

#endif
