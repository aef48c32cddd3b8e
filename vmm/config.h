/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a VM is made of, as the user asked for it: a profile file (see
 * profiles/README.md) and then `passvm run` flags on top. Plain data: no fds,
 * no threads. The machine's own settings are fields here; each device keeps
 * its settings in its own block of `parts`, declared with VMM_OPTIONS()
 * (options.h) in the device's folder, and reads them in its init.
 */
#ifndef PASSVM_CONFIG_H
#define PASSVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/memory.h"

#define CONFIG_MAX_CPUS 256
/* Bytes the devices' blocks of settings share (options.h). */
#define CONFIG_PARTS_BYTES 4096

struct cpuset_list {
	unsigned n;
	uint16_t cpus[CONFIG_MAX_CPUS * 2]; /* host CPU numbers in the given order */
};

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };
enum reset_action { RESET_REBOOT, RESET_EXIT };
/* Hyper-V enlightenments (vmm/hyperv.h). */
enum hyperv_mode { HYPERV_AUTO, HYPERV_ON, HYPERV_OFF };
struct hyperv_config {
	enum hyperv_mode mode;    /* auto: on for UEFI (Windows) guests, off for Linux */
	bool kvm_hidden;          /* no KVM CPUID leaves (old NVIDIA drivers) */
	const char *vendor_id;    /* Hyper-V vendor id; NULL: "Microsoft Hv" */
};

/* Guest CPU topology; all zero = one socket of `cpus` single-thread cores. */
struct cpu_topology {
	unsigned sockets, cores, threads;   /* sockets*cores*threads == cpus */
};

/*
 * `auto` values from a profile. They stay requests until config_finalize()
 * resolves them against the host's CPU topology, so that `run` flags such as
 * --cpus, applied after the profile, are taken into account.
 */
struct cpu_auto {
	bool topology;            /* topology = auto */
	bool pin;                 /* pin = auto: fills pin_vcpus */
	bool emulator_pin;        /* emulator-pin = auto: pin_other = the CPUs left */
	bool io_pin;              /* io-pin = auto: pin_io = the CPUs left */
};

/* Heap blocks a config points to (profile strings); see config_release(). */
struct config_owned;
struct firmware_info;

struct vm_config {
	const char *name;         /* the profile's machine name, for messages */
	/* UEFI firmware, instead of a kernel: as written (uefi, uefi-secure or a
	 * code image's path) until config_finalize() resolves it; then the code
	 * image's path, and fw says where it came from and what it needs. */
	const char *firmware;
	const char *firmware_vars; /* this VM's variable store; finalize fills the default */
	const struct firmware_info *fw; /* vmm/boot/firmware.h; NULL: not resolved (yet) */
	const char *kernel;
	const char *initrd;
	const char *cmdline;     /* NULL: default console=ttyS0 ... */
	unsigned cpus;
	uint64_t memory;         /* bytes */
	enum gmem_hugepages hugepages;
	enum serial_mode serial;
	const char *serial_path; /* SERIAL_FILE */
	struct cpuset_list pin_vcpus;  /* vCPU i -> pin_vcpus.cpus[i % n] */
	struct cpuset_list pin_other;  /* main + I/O threads */
	enum reset_action on_reset;
	bool rng;                /* virtio-rng device (default on) */
	struct cpu_topology topology;
	struct cpuset_list pin_io;     /* I/O threads (disk, display); default pin_other */
	struct cpu_auto cpu_auto;
	struct hyperv_config hyperv;

	/* The devices' own settings (VMM_OPTIONS blocks): vmm_options_part(). */
	_Alignas(16) unsigned char parts[CONFIG_PARTS_BYTES];

	/* Test hooks: roots for /sys and /dev lookups, never edited in code. */
	const char *sysfs_root;  /* default "/sys" (env PASSVM_SYSFS_ROOT) */
	const char *kvm_path;    /* default "/dev/kvm" */

	const char *profile_path; /* the profile file loaded, NULL: flags only */
	struct config_owned *owned; /* freed by config_release(); never copy a config */
};

void config_defaults(struct vm_config *c);
/* Free what the config owns (profile strings); the config is unusable after. */
void config_release(struct vm_config *c);
/* A copy of s that lives as long as the config; NULL when out of memory. */
char *config_strdup(struct vm_config *c, const char *s);
/* Hand a malloc'ed block to the config (freed by config_release); returns p,
 * or NULL (p freed) when out of memory. */
void *config_own(struct vm_config *c, void *p);

/*
 * After the profile and the flags, right before use: config_finalize_cpus()
 * then config_finalize_firmware(). `passvm check` runs the two apart, so
 * that each failure gets its own line.
 */
int config_finalize(struct vm_config *c, struct error *err);
/* Resolve the `auto` CPU values against the host (cfg->sysfs_root), fill the
 * default topology, and check that the CPU settings agree. Run it once. */
int config_finalize_cpus(struct vm_config *c, struct error *err);
/*
 * Resolve firmware from the host's descriptors (firmware_resolve), fill the
 * default firmware_vars (firmware_vars_default) and check the store there
 * (firmware_vars_check); writes nothing: `run` makes the store later
 * (firmware_vars_prepare). Sets fw and the image path even when only the
 * store is wrong, so `check` can still say which firmware it found.
 */
int config_finalize_firmware(struct vm_config *c, struct error *err);

/* Parse "0-3,8,10-11" into a list; error names the bad token. */
int cpuset_parse(const char *s, struct cpuset_list *out, struct error *err);
/* Shared by the flags and the profile; each error is the explanation only
 * (no flag or key name), e.g. "expected a size like 512M or 16G". */
int config_parse_memory(const char *s, uint64_t *out, struct error *err);
int config_parse_hugepages(const char *s, enum gmem_hugepages *out, struct error *err);
int config_parse_on_reset(const char *s, enum reset_action *out, struct error *err);
/* "auto", "on" or "off". */
int config_parse_hyperv(const char *s, enum hyperv_mode *out, struct error *err);
/* A Hyper-V vendor id: 1 to 12 printable ASCII characters. */
int config_check_hv_vendor_id(const char *s, struct error *err);

#endif
