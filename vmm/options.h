/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A device's configuration, declared next to its VMM_DEVICE: its profile
 * section and keys, its `passvm run` flags, the help line of each, the
 * defaults and checks across its keys, its block of struct vm_config, and
 * its `passvm check` lines. The profile parser, the flag parser, --help,
 * the documented key list (profiles/README.md, checked by a test) and
 * `passvm check` all read these declarations (app/ does the reading), so a
 * new device with a new section touches only its own folder and meson file.
 *
 *   VMM_OPTIONS(audio_options) = {
 *           .section = "audio", .order = 80, .size = sizeof(struct audio_config),
 *           .defaults = audio_config_defaults,
 *           .options = audio_option_list, .nr_options = ARRAY_SIZE(audio_option_list),
 *           .finish = audio_finish, .check = audio_check,
 *   };
 *   struct audio_config *a = vmm_options_part(cfg, &audio_options);
 *
 * Several declarations may name one section: [machine] has keys from the
 * machine itself (vmm/machine_options.c), the serial port, virtio-rng and
 * VFIO. Each setter stores only what its value says; nothing here reads the
 * host (`auto` values stay requests, see config_finalize()).
 */
#ifndef PASSVM_VMM_OPTIONS_H
#define PASSVM_VMM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/report.h"
#include "common/util.h"
#include "vmm/config.h"

struct vmm_options;
struct vfio_names;

/* Where a value comes from, and what a setter may ask of its source. */
struct vmm_option_src {
	/* A path as written; a profile makes it absolute against its folder.
	 * The result lives as long as the config; NULL (err set) on failure. */
	const char *(*path)(void *opaque, const char *value, struct error *err);
	/* The line `key` (NULL: the header) was set on in item `item` of this
	 * declaration's section (-1: an unnamed section); 0 when not set. */
	unsigned (*line_of)(void *opaque, const struct vmm_options *o, int item, const char *key);
};

struct vmm_option_ctx {
	const struct vmm_options *options;  /* the declaration being set */
	struct vm_config *cfg;
	void *part;                  /* the declaration's block of cfg (size 0: NULL) */
	int item;                    /* [NAME.ITEM]: the item's index; -1 otherwise */
	const char *flag;            /* "--disk" from the command line; NULL from a profile */
	unsigned line;               /* the profile line; 0 for a flag */
	const struct vmm_option_src *src;   /* NULL for flags */
	void *src_opaque;
};

/* Store `value` (never NULL; "" only for VMM_OPT_EMPTY_OK keys). On error,
 * err says what is wrong with the value; the caller names the key or flag. */
typedef int (*vmm_option_set_fn)(struct vmm_option_ctx *ctx, const char *value,
				 struct error *err);

enum {
	VMM_OPT_REPEATABLE = 1 << 0, /* a list: each line (or flag) adds */
	VMM_OPT_EMPTY_OK = 1 << 1,   /* `key =` with nothing after it is allowed */
	VMM_OPT_NEW_ITEM = 1 << 2,   /* the flag adds an item to a named section (--disk) */
};

struct vmm_option {
	const char *key;             /* profile key; NULL: a flag only */
	const char *flag;            /* run flag without "--"; NULL: a profile key only */
	const char *arg;             /* the flag's value for --help ("MS"); NULL: a switch */
	const char *value;           /* what a switch hands its setter ("off" for --no-rng) */
	const char *help;            /* --help text; '\n' starts an indented line */
	vmm_option_set_fn set;
	unsigned flags;              /* VMM_OPT_* */
};

/* The roots `passvm check` reads the host through (tests point them at fake
 * trees) and what it found once for every device. */
struct check_env {
	const char *sysfs_root;   /* "/sys"; cfg->sysfs_root (env PASSVM_SYSFS_ROOT) */
	const char *proc_root;    /* "/proc"; env PASSVM_PROC_ROOT */
	const char *kvm_path;     /* "/dev/kvm"; cfg->kvm_path (env PASSVM_KVM_DEV) */
	uint64_t memlock_limit;   /* RLIMIT_MEMLOCK soft limit, bytes; UINT64_MAX: none */
	struct vfio_names *names; /* device names; NULL gives numbers */
};

struct vmm_options {
	const char *section;         /* "audio" for [audio] */
	bool named;                  /* [disk.NAME]: one section per item */
	const char *item_example;    /* named: an ITEM for messages ("system") */
	int order;                   /* where the section stands in lists and --help */
	size_t size;                 /* this declaration's block of vm_config; 0: none */
	void (*defaults)(void *part);  /* fill the block (it starts zeroed); may be NULL */
	const struct vmm_option *options;
	size_t nr_options;
	/* A header was read ([audio], [disk.system]) or a VMM_OPT_NEW_ITEM flag
	 * given; for named sections it sets ctx->item. */
	int (*open)(struct vmm_option_ctx *ctx, const char *item, struct error *err);
	/* After the whole profile: defaults that depend on other keys, checks
	 * across keys. A failure sets *line to the line to blame. */
	int (*finish)(struct vmm_option_ctx *ctx, unsigned *line, struct error *err);
	/* `passvm check`: lines about what the host needs for this part. */
	void (*check)(struct report *r, const struct check_env *env, const struct vm_config *cfg);
	/* The size of the ivshmem-plain BAR this part gives the guest (0: none):
	 * guest drivers tell ivshmem devices apart by size alone. */
	uint64_t (*ivshmem_size)(const struct vm_config *cfg);
};

#define VMM_OPTIONS(ident)                                                     \
	extern const struct vmm_options ident;                                 \
	static const struct vmm_options *const ident##_ptr                     \
		__attribute__((used, section("passvm_options"))) = &ident;     \
	const struct vmm_options ident

#define VMM_OPTIONS_MAX 32

/* Every declaration, sorted by order (then section name); returns how many. */
size_t vmm_options_all(const struct vmm_options *out[VMM_OPTIONS_MAX]);
/* The declaration's block of cfg. */
void *vmm_options_part(const struct vm_config *cfg, const struct vmm_options *o);
/* Zero the blocks and run each declaration's defaults (config_defaults). */
void vmm_options_defaults(struct vm_config *cfg);

/* For setters: the context's path (profile-relative), a copy the config
 * keeps, a yes/no value; each returns -1 with err set on failure. */
int vmm_option_path(struct vmm_option_ctx *ctx, const char *value, const char **out,
		    struct error *err);
int vmm_option_str(struct vmm_option_ctx *ctx, const char *value, const char **out,
		   struct error *err);
int vmm_option_bool(const char *value, bool *out, struct error *err);
/* An unsigned decimal from min to max. */
int vmm_option_uint(const char *value, unsigned min, unsigned max, unsigned *out);
/* The line key (NULL: the header) was set on in item `item` (-1: an
 * unnamed section) of the context's declaration; 0: not set, or flags. */
unsigned vmm_option_line_of(const struct vmm_option_ctx *ctx, int item, const char *key);
/* A named section's open: the next of at most `max` items (*n counts them),
 * as ctx->item; past max, an error naming what there are too many of
 * ("disks") and what this one would have been ("disk" 9). */
int vmm_option_new_item(struct vmm_option_ctx *ctx, unsigned *n, unsigned max,
			const char *what, const char *one, const char *item, struct error *err);
/* Append "; HINT" to err's explanation. Returns -1. */
int vmm_option_hint(struct error *err, const char *hint);

/* Another declaration whose ivshmem BAR has the size of o's (NULL: none). */
const struct vmm_options *vmm_options_ivshmem_twin(const struct vm_config *cfg,
						   const struct vmm_options *o);

#endif
