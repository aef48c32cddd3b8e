/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which UEFI firmware a VM boots and its variable store, chosen the way
 * QEMU's firmware interop spec (docs/interop/firmware.json) says and libvirt
 * does: distro packages (Debian's ovmf) install JSON descriptors in
 * /usr/share/qemu/firmware, the sysadmin may add or mask some in
 * /etc/qemu/firmware, the user in $XDG_CONFIG_HOME/qemu/firmware. A file in
 * a later folder replaces the one of the same name in an earlier folder (an
 * empty one hides it); the files are then taken in file-name order and the
 * first that fits wins.
 *
 * A descriptor fits when it is UEFI (interface-types has "uefi") on a flash
 * device in split mode (a code image and a template of the variables, both
 * "raw") for x86_64 on a q35 machine type (one of its machines patterns
 * matches FIRMWARE_MACHINE). Then:
 *   uefi          the first fitting descriptor without secure-boot;
 *   uefi-secure   the first with secure-boot and enrolled-keys (Windows 11
 *                 wants Microsoft's keys enrolled);
 *   PATH          that code image; a fitting descriptor whose executable is
 *                 PATH (the same string, else the same file) gives its
 *                 template, without one the VM's vars must exist already.
 * A descriptor that is not valid JSON is an error naming it (as in libvirt):
 * fix it, or hide it with an empty file of the same name in a later folder.
 *
 * Pure functions on files: nothing here prints or reads vm_config.
 */
#ifndef PASSVM_VMM_BOOT_FIRMWARE_H
#define PASSVM_VMM_BOOT_FIRMWARE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

/* The machine type passvm's chipset stands for, as the descriptors'
 * machines patterns ("pc-q35-*") name q35 machines. */
#define FIRMWARE_MACHINE "pc-q35-9.2"
#define FIRMWARE_DIRS_MAX 3

/* Descriptor folders, general to specific (a later one overrides). */
struct firmware_dirs {
	unsigned n;
	char dir[FIRMWARE_DIRS_MAX][PATH_MAX];
};

struct firmware_info {
	const char *keyword;          /* "uefi", "uefi-secure"; NULL: a path was given */
	char descriptor[PATH_MAX];    /* the descriptor used; "": a path none names */
	char code[PATH_MAX];          /* the code image: as the descriptor writes it, or as given */
	char vars_template[PATH_MAX]; /* its nvram-template; "": none known */
	uint64_t code_size;           /* bytes */
	uint64_t template_size;       /* bytes; 0 without a template */
	bool secure_boot;             /* features: secure-boot */
	bool enrolled_keys;           /* enrolled-keys: the template has Microsoft's keys */
	bool requires_smm;            /* requires-smm: the machine must emulate SMM */
};

/*
 * The spec's three folders (/usr/share/qemu/firmware, /etc/qemu/firmware,
 * $XDG_CONFIG_HOME/qemu/firmware, XDG_CONFIG_HOME defaulting to ~/.config),
 * or, when the test hook PASSVM_FIRMWARE_DIR is set, its colon-separated
 * folders alone (general to specific).
 */
void firmware_dirs_default(struct firmware_dirs *d);

/*
 * value: "uefi", "uefi-secure" or the path of a code image. Fills info
 * (code image checked with firmware_check_image, template's size read).
 * Errors name the value, the descriptor or the image, and the fix (no
 * descriptor at all: apt-get install ovmf).
 */
int firmware_resolve(const char *value, const struct firmware_dirs *dirs,
		     struct firmware_info *info, struct error *err);

/*
 * Is `path` a UEFI code image? A regular file whose size is a multiple of
 * 4 KiB, at most 4 MiB (OVMF's split builds: 1920 KiB and 3568 KiB, with
 * their vars 2 MiB and 4 MiB), and whose last 16 bytes, where the CPU's
 * reset vector lands (0xFFFFFFF0), hold a jump (0xE9 near or 0xEB short).
 */
int firmware_check_image(const char *path, uint64_t *size, struct error *err);

/*
 * Where a VM's variable store goes when [boot] vars is not given: next to
 * the profile as NAME.vars.fd; with flags only (profile_path NULL), in
 * ${XDG_STATE_HOME:-~/.local/state}/passvm/flags-STEM.vars.fd, STEM the code
 * image's file name without .fd, so that flag runs of two firmware builds
 * never share a store.
 */
int firmware_vars_default(const char *profile_path, const char *name, const char *code,
			  char *buf, size_t len, struct error *err);

/*
 * Does the store at `vars` fit the firmware? Missing (*exists false) is
 * fine when there is a template to copy; present, it must be a regular
 * file of the template's size (without a template: code + vars 2 MiB or
 * 4 MiB) and not the template itself. Reads only.
 */
int firmware_vars_check(const struct firmware_info *info, const char *vars, bool *exists,
			struct error *err);

/*
 * Before the first boot: firmware_vars_check, then a missing store is
 * copied from the template (folders above it made, mode 0600) through an
 * O_EXCL temporary file renamed into place, so a crash leaves no half
 * store. The template is only ever read.
 */
int firmware_vars_prepare(const struct firmware_info *info, const char *vars,
			  struct error *err);

#endif
