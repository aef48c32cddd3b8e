/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a VM is made of, as the user asked for it: a profile file (see
 * profiles/README.md) and then `passvm run` flags on top. Plain data: no fds,
 * no threads. Devices read their part in init; parts whose device does not
 * exist yet (passthrough, display, input, audio) are parsed, validated and
 * reported on by `passvm check` already.
 */
#ifndef PASSVM_CONFIG_H
#define PASSVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "memory.h"

#define CONFIG_MAX_DISKS 8
#define CONFIG_MAX_CPUS 256
#define CONFIG_MAX_PASSTHROUGH 8
#define CONFIG_MAX_INPUTS 8

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

/* How passthrough devices reach the IOMMU (vfio/core.h says more). */
enum vfio_backend {
	VFIO_BACKEND_AUTO,       /* iommufd where the kernel offers it, else the container */
	VFIO_BACKEND_CONTAINER,  /* /dev/vfio/vfio + groups */
	VFIO_BACKEND_IOMMUFD,    /* /dev/iommu + device cdevs */
};

struct disk_config {
	const char *path;
	bool readonly;
};

/* Guest CPU topology; all zero = one socket of `cpus` single-thread cores. */
struct cpu_topology {
	unsigned sockets, cores, threads;   /* sockets*cores*threads == cpus */
};

/* A host PCI function (or a whole slot) given to the guest through VFIO. */
struct passthrough_config {
	uint16_t domain;
	uint8_t bus, slot, func;
	bool whole_slot;          /* "0000:01:00": every function of the slot */
	const char *romfile;      /* option ROM to expose instead of the device's */
};

/* display-shm: the shared-memory frame relay (ivshmem-plain device). */
struct display_config {
	bool enabled;
	const char *shm_path;     /* e.g. /dev/shm/passvm-NAME */
	uint64_t shm_size;        /* bytes, power of two */
	unsigned width, height;   /* the largest mode the guest will send */
	bool hdr;                 /* 64-bit pixels: twice the frame bytes */
	bool viewer;              /* open the SDL viewer window with the VM */
};

/* evdev devices forwarded to the guest as virtio-input. */
struct input_config {
	unsigned n;
	const char *devices[CONFIG_MAX_INPUTS];  /* /dev/input/by-id/... */
	const char *grab_toggle;  /* key combination, e.g. "KEY_LEFTCTRL+KEY_RIGHTCTRL" */
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

/* Guest audio into PipeWire. */
/* Guest audio into PipeWire (audio/). */
enum audio_device {
	AUDIO_DEVICE_SCREAM = 0,  /* Scream's IVSHMEM ring (Windows' Scream driver) */
	AUDIO_DEVICE_VIRTIO_SND,  /* virtio-snd (Linux guests); not built yet */
};

struct audio_config {
	bool enabled;
	enum audio_device device;
	const char *target;       /* PipeWire node name, NULL: the default sink */
	unsigned latency_ms;
	uint64_t scream_size;     /* the Scream ring's ivshmem BAR, bytes (power of two) */
};

#define CONFIG_DEFAULT_AUDIO_LATENCY_MS 20
#define CONFIG_MAX_AUDIO_LATENCY_MS 1000
#define CONFIG_DEFAULT_SCREAM_SIZE (2 * MiB)

/* "scream" / "virtio-snd" */
int config_parse_audio_device(const char *s, enum audio_device *out, struct error *err);
/* A Scream ring size: a power of two from 1M to 64M (Scream's UseIVSHMEM is MiB). */
int config_parse_scream_size(const char *s, uint64_t *out, struct error *err);

struct vm_config {
	const char *name;         /* the profile's machine name, for messages */
	const char *firmware;     /* UEFI code (OVMF_CODE.fd); instead of kernel */
	const char *firmware_vars; /* this VM's own copy of OVMF_VARS.fd */
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
	struct cpu_topology topology;
	struct cpuset_list pin_io;     /* I/O threads (disk, display); default pin_other */
	struct cpu_auto cpu_auto;
	struct hyperv_config hyperv;

	enum vfio_backend vfio_backend;
	unsigned nr_passthrough;
	struct passthrough_config passthrough[CONFIG_MAX_PASSTHROUGH];
	struct display_config display;
	struct input_config input;
	struct audio_config audio;

	/* Test hooks: roots for /sys and /dev lookups, never edited in code. */
	const char *sysfs_root;  /* default "/sys" (env PASSVM_SYSFS_ROOT) */
	const char *kvm_path;    /* default "/dev/kvm" */

	const char *profile_path; /* the profile file loaded, NULL: flags only */
	struct config_owned *owned; /* freed by config_release(); never copy a config */
};

/* The display's and Scream's ivshmem devices have the same size: the guest's
 * drivers (Looking Glass's, Scream's) find theirs by size, so that cannot work. */
bool config_ivshmem_sizes_clash(const struct vm_config *cfg);

void config_defaults(struct vm_config *c);
/* Free what the config owns (profile strings); the config is unusable after. */
void config_release(struct vm_config *c);
/* A copy of s that lives as long as the config; NULL when out of memory. */
char *config_strdup(struct vm_config *c, const char *s);
/* Hand a malloc'ed block to the config (freed by config_release); returns p,
 * or NULL (p freed) when out of memory. */
void *config_own(struct vm_config *c, void *p);

/*
 * After the profile and the flags: resolve the `auto` CPU values against the
 * host (cfg->sysfs_root), fill the default topology, and check that the CPU
 * settings agree. Run it once, right before use.
 */
int config_finalize(struct vm_config *c, struct error *err);

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
/* "auto", "iommufd" or "container" ("group", "type1" too). */
int config_parse_vfio_backend(const char *s, enum vfio_backend *out, struct error *err);

#endif
