// SPDX-License-Identifier: GPL-2.0-only
/*
 * UEFI firmware selection (vmm/boot/firmware.c): descriptors written to a
 * temporary folder after Debian's ovmf ones, the spec's override and order
 * rules, the code image check, the variable store's first copy and size
 * check; [boot] firmware through the profile, the flags, config_finalize()
 * and `passvm check`'s lines; and the host's real /usr/share/qemu/firmware.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/cli.h"
#include "app/profile.h"
#include "common/report.h"
#include "vmm/boot/firmware.h"
#include "vmm/options.h"

#define CODE_SIZE (1920 * KiB)   /* OVMF's 2 MiB build: code + vars = 2 MiB */
#define VARS_SIZE (128 * KiB)

struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX + 64];       /* the last file written */
	char expect[4 * PATH_MAX + 1024];
	struct firmware_dirs dirs;      /* dir/share, dir/etc, dir/user */
	struct firmware_info info;
	struct vm_config cfg;
	struct error err;
};

static const char *fx_path(struct fixture *f, const char *rel)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, rel);
	return f->path;
}

static const char *write_file(struct fixture *f, const char *rel, const void *data, size_t len)
{
	FILE *fp = fopen(fx_path(f, rel), "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

/* A flash image of `size` bytes, 0xFF but for a near jump at its reset vector. */
static void write_image(struct fixture *f, const char *rel, size_t size, bool jump)
{
	unsigned char *b = malloc(size);
	assert_non_null(b);
	memset(b, 0xFF, size);
	if (jump)
		memcpy(b + size - 16, "\x90\x90\xE9\x5B\xFF", 5);
	write_file(f, rel, b, size);
	free(b);
}

/* A descriptor like Debian's 40-edk2-x86_64-secure-enrolled.json. */
static void write_desc(struct fixture *f, const char *rel, const char *code, const char *vars,
		       const char *features)
{
	char json[4096], code_path[PATH_MAX + 64], vars_path[PATH_MAX + 64];
	snprintf(code_path, sizeof(code_path), "%s/%s", f->dir, code);
	snprintf(vars_path, sizeof(vars_path), "%s/%s", f->dir, vars);
	int n = snprintf(json, sizeof(json),
		"{\n  \"description\": \"UEFI firmware for x86_64\",\n"
		"  \"interface-types\": [ \"uefi\" ],\n"
		"  \"mapping\": {\n    \"device\": \"flash\",\n"
		"    \"executable\": { \"filename\": \"%s\", \"format\": \"raw\" },\n"
		"    \"nvram-template\": { \"filename\": \"%s\", \"format\": \"raw\" }\n  },\n"
		"  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-i440fx-*\", "
		"\"pc-q35-*\" ] } ],\n"
		"  \"features\": [ \"acpi-s3\", %s \"verbose-dynamic\" ],\n  \"tags\": [ ]\n}\n",
		code_path, vars_path, features);
	write_file(f, rel, json, (size_t)n);
}

#define SB "\"secure-boot\", \"requires-smm\","
#define SB_MS "\"enrolled-keys\", \"secure-boot\", \"requires-smm\","

/* Debian's three: enrolled 40, secure 50, plain 60, and their images. */
static void write_debian(struct fixture *f)
{
	write_image(f, "OVMF_CODE.fd", CODE_SIZE, true);
	write_image(f, "OVMF_CODE.secboot.fd", CODE_SIZE, true);
	assert_int_equal(symlink("OVMF_CODE.secboot.fd", fx_path(f, "OVMF_CODE.ms.fd")), 0);
	write_image(f, "OVMF_VARS.fd", VARS_SIZE, false);
	write_image(f, "OVMF_VARS.ms.fd", VARS_SIZE, false);
	write_desc(f, "share/40-edk2-x86_64-secure-enrolled.json", "OVMF_CODE.ms.fd",
		   "OVMF_VARS.ms.fd", SB_MS);
	write_desc(f, "share/50-edk2-x86_64-secure.json", "OVMF_CODE.secboot.fd", "OVMF_VARS.fd",
		   SB);
	write_desc(f, "share/60-edk2-x86_64.json", "OVMF_CODE.fd", "OVMF_VARS.fd", "");
}

/* A fresh folder under $TMPDIR (or /tmp), canonical as realpath() gives it. */
static bool temp_dir(char out[PATH_MAX])
{
	const char *tmp = getenv("TMPDIR");
	char templ[PATH_MAX];
	snprintf(templ, sizeof(templ), "%s/passvm-fw-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(templ) && realpath(templ, out);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f || !temp_dir(f->dir))
		return -1;
	static const char *const sub[] = { "share", "etc", "user" };
	for (unsigned i = 0; i < 3; i++) {
		snprintf(f->dirs.dir[i], sizeof(f->dirs.dir[i]), "%.4000s/%s", f->dir, sub[i]);
		if (mkdir(f->dirs.dir[i], 0700))
			return -1;
	}
	f->dirs.n = 3;
	char env[3 * PATH_MAX + 4];
	snprintf(env, sizeof(env), "%s:%s:%s", f->dirs.dir[0], f->dirs.dir[1], f->dirs.dir[2]);
	setenv("PASSVM_FIRMWARE_DIR", env, 1);
	snprintf(env, sizeof(env), "%s/state", f->dir);
	setenv("XDG_STATE_HOME", env, 1);
	unsetenv("PASSVM_PROFILE_DIR");
	config_defaults(&f->cfg);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unsetenv("PASSVM_FIRMWARE_DIR");
	unsetenv("XDG_STATE_HOME");
	config_release(&f->cfg);
	int rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static void resolve_ok(struct fixture *f, const char *value)
{
	if (firmware_resolve(value, &f->dirs, &f->info, &f->err))
		fail_msg("firmware = %s refused: %s", value, f->err.msg);
}

static void assert_in_dir(struct fixture *f, const char *path, const char *rel)
{
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s/%s", f->dir, rel);
	assert_string_equal(path, want);
}

/* ---- choosing ------------------------------------------------------------- */

static void test_uefi_and_secure(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	resolve_ok(f, "uefi");
	assert_string_equal(f->info.keyword, "uefi");
	assert_in_dir(f, f->info.descriptor, "share/60-edk2-x86_64.json");
	assert_in_dir(f, f->info.code, "OVMF_CODE.fd");
	assert_in_dir(f, f->info.vars_template, "OVMF_VARS.fd");
	assert_int_equal(f->info.code_size, CODE_SIZE);
	assert_int_equal(f->info.template_size, VARS_SIZE);
	assert_false(f->info.secure_boot || f->info.enrolled_keys || f->info.requires_smm);

	resolve_ok(f, "uefi-secure");
	assert_string_equal(f->info.keyword, "uefi-secure");
	assert_in_dir(f, f->info.descriptor, "share/40-edk2-x86_64-secure-enrolled.json");
	assert_in_dir(f, f->info.code, "OVMF_CODE.ms.fd");   /* as written: not the link's target */
	assert_in_dir(f, f->info.vars_template, "OVMF_VARS.ms.fd");
	assert_true(f->info.secure_boot && f->info.enrolled_keys && f->info.requires_smm);
}

/* Lowest file name first, across folders; same-name files in a later folder
 * replace the earlier one's; an empty one hides it. */
static void test_order_and_override(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	write_image(f, "mine.fd", CODE_SIZE, true);
	write_desc(f, "user/70-mine.json", "mine.fd", "OVMF_VARS.fd", "");
	resolve_ok(f, "uefi");   /* 60 sorts before 70 */
	assert_in_dir(f, f->info.code, "OVMF_CODE.fd");

	write_desc(f, "etc/55-mine.json", "mine.fd", "OVMF_VARS.fd", "");
	resolve_ok(f, "uefi");   /* now 55 does */
	assert_in_dir(f, f->info.descriptor, "etc/55-mine.json");

	/* the user's 60 replaces the distro's: still the first plain one */
	unlink(fx_path(f, "etc/55-mine.json"));
	write_desc(f, "user/60-edk2-x86_64.json", "mine.fd", "OVMF_VARS.fd", "");
	resolve_ok(f, "uefi");
	assert_in_dir(f, f->info.descriptor, "user/60-edk2-x86_64.json");

	/* an empty 60 hides it: the next in order is 70 */
	write_file(f, "user/60-edk2-x86_64.json", "", 0);
	resolve_ok(f, "uefi");
	assert_in_dir(f, f->info.descriptor, "user/70-mine.json");

	/* hiding the enrolled one leaves no uefi-secure: 50 has no enrolled keys */
	write_file(f, "etc/40-edk2-x86_64-secure-enrolled.json", "", 0);
	assert_int_equal(firmware_resolve("uefi-secure", &f->dirs, &f->info, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "with Secure Boot and Microsoft's keys enrolled"));
}

/* Other firmware (another arch, i440fx only, combined mode, not raw,
 * not uefi) never fits. */
static void test_descriptors_that_do_not_fit(void **state)
{
	struct fixture *f = *state;
	write_image(f, "c.fd", CODE_SIZE, true);
	write_image(f, "v.fd", VARS_SIZE, false);
	char base[2048];
	write_desc(f, "share/10-ok.json", "c.fd", "v.fd", "");
	FILE *fp = fopen(f->path, "r");
	assert_non_null(fp);
	size_t n = fread(base, 1, sizeof(base) - 1, fp);
	fclose(fp);
	base[n] = '\0';
	unlink(f->path);
	static const struct { const char *from, *to; } bad[] = {
		{ "\"x86_64\"", "\"aarch64\"" },
		{ "\"pc-q35-*\"", "\"pc-i440fx-9.*\"" },
		{ "\"device\": \"flash\",", "\"device\": \"flash\", \"mode\": \"combined\"," },
		{ "\"format\": \"raw\" }\n  }", "\"format\": \"qcow2\" }\n  }" },
		{ "[ \"uefi\" ]", "[ \"bios\" ]" },
		{ "\"device\": \"flash\"", "\"device\": \"memory\"" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char json[2200], *at = strstr(base, bad[i].from);
		assert_non_null(at);
		int len = snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - base), base, bad[i].to,
				   at + strlen(bad[i].from));
		write_file(f, "share/20-bad.json", json, (size_t)len);
		if (!firmware_resolve("uefi", &f->dirs, &f->info, &f->err))
			fail_msg("'%s' fitted", bad[i].to);
		assert_non_null(strstr(f->err.msg, "among the 1 descriptor(s)"));
	}
}

static void test_bad_json_names_file(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	write_file(f, "etc/45-broken.json", "{ \"mapping\": ", 13);
	assert_int_equal(firmware_resolve("uefi", &f->dirs, &f->info, &f->err), -1);
	snprintf(f->expect, sizeof(f->expect), "firmware descriptor %s/etc/45-broken.json: ",
		 f->dir);
	assert_memory_equal(f->err.msg, f->expect, strlen(f->expect));
	assert_non_null(strstr(f->err.msg, "fix it, or hide it with an empty file of the same "
			       "name in /etc/qemu/firmware or ~/.config/qemu/firmware"));
	/* JSON that is not an object */
	write_file(f, "etc/45-broken.json", "[1]", 3);
	assert_int_equal(firmware_resolve("uefi", &f->dirs, &f->info, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "45-broken.json: not a JSON object"));
	/* hidden by an empty file of its name in a later folder: fine again */
	write_file(f, "user/45-broken.json", "", 0);
	resolve_ok(f, "uefi");
}

static void test_no_descriptors(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(firmware_resolve("uefi-secure", &f->dirs, &f->info, &f->err), -1);
	snprintf(f->expect, sizeof(f->expect), "firmware = uefi-secure: no UEFI firmware with "
		 "Secure Boot and Microsoft's keys enrolled for x86_64 q35 among the 0 "
		 "descriptor(s) in %s/share, %s/etc, %s/user: install OVMF with 'apt-get install "
		 "ovmf' (as root), or give firmware = the path of an OVMF code image",
		 f->dir, f->dir, f->dir);
	assert_string_equal(f->err.msg, f->expect);
}

/* A descriptor naming a code image that is gone. */
static void test_descriptor_image_missing(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	unlink(fx_path(f, "OVMF_CODE.fd"));
	assert_int_equal(firmware_resolve("uefi", &f->dirs, &f->info, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "60-edk2-x86_64.json names code image"));
	assert_non_null(strstr(f->err.msg, "apt-get install --reinstall ovmf"));
}

/* ---- a path --------------------------------------------------------------- */

static void test_path_with_descriptor(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	char code[PATH_MAX + 64];
	/* by its own name: 50's template, not 40's (whose link points to it) */
	snprintf(code, sizeof(code), "%s/OVMF_CODE.secboot.fd", f->dir);
	resolve_ok(f, code);
	assert_null(f->info.keyword);
	assert_in_dir(f, f->info.descriptor, "share/50-edk2-x86_64-secure.json");
	assert_in_dir(f, f->info.vars_template, "OVMF_VARS.fd");
	/* by another name of a file a descriptor names */
	assert_int_equal(symlink("OVMF_CODE.fd", fx_path(f, "other.fd")), 0);
	snprintf(code, sizeof(code), "%s/other.fd", f->dir);
	resolve_ok(f, code);
	assert_in_dir(f, f->info.descriptor, "share/60-edk2-x86_64.json");
	assert_string_equal(f->info.code, code);
}

static void test_path_without_descriptor(void **state)
{
	struct fixture *f = *state;
	write_image(f, "lone.fd", CODE_SIZE, true);
	char code[PATH_MAX + 64], vars[PATH_MAX + 64];
	snprintf(code, sizeof(code), "%s/lone.fd", f->dir);
	snprintf(vars, sizeof(vars), "%s/lone.vars.fd", f->dir);
	resolve_ok(f, code);
	assert_string_equal(f->info.descriptor, "");
	assert_string_equal(f->info.vars_template, "");
	bool exists;
	/* no template: the store must be there, and make 2 or 4 MiB with the code */
	assert_int_equal(firmware_vars_check(&f->info, vars, &exists, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "lone.vars.fd does not exist, and no descriptor names "
			       "firmware"));
	write_image(f, "lone.vars.fd", 64 * KiB, false);
	assert_int_equal(firmware_vars_check(&f->info, vars, &exists, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "makes no 2 MiB or 4 MiB flash"));
	write_image(f, "lone.vars.fd", VARS_SIZE, false);
	assert_int_equal(firmware_vars_check(&f->info, vars, &exists, &f->err), 0);
	assert_true(exists);
	assert_int_equal(firmware_vars_prepare(&f->info, vars, &f->err), 0);
}

static void test_not_an_image(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/missing.fd", f->dir);
	assert_int_equal(firmware_resolve(p, &f->dirs, &f->info, &f->err), -1);
	snprintf(f->expect, sizeof(f->expect), "firmware %s: No such file or directory: give "
		 "the path of a UEFI code image (like /usr/share/OVMF/OVMF_CODE_4M.fd), or write "
		 "uefi or uefi-secure", p);
	assert_string_equal(f->err.msg, f->expect);

	write_image(f, "odd.fd", CODE_SIZE + 512, true);
	assert_int_equal(firmware_resolve(f->path, &f->dirs, &f->info, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "1966592 bytes, not a UEFI code image: the size of a "
			       "flash image is a multiple of 4 KiB, at most 4 MiB"));
	write_image(f, "big.fd", 8 * MiB, true);
	assert_int_equal(firmware_resolve(f->path, &f->dirs, &f->info, &f->err), -1);
	write_image(f, "nojump.fd", CODE_SIZE, false);
	assert_int_equal(firmware_resolve(f->path, &f->dirs, &f->info, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "hold no jump; give an OVMF_CODE*.fd"));
	assert_int_equal(firmware_resolve(f->dir, &f->dirs, &f->info, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "not a regular file"));
}

/* ---- the variable store --------------------------------------------------- */

static void file_bytes(const char *path, unsigned char **data, size_t *len)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	struct stat st;
	assert_int_equal(fstat(fileno(fp), &st), 0);
	*len = (size_t)st.st_size;
	*data = malloc(*len + 1);
	assert_int_equal(fread(*data, 1, *len, fp), *len);
	fclose(fp);
}

static void test_vars_first_use(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	unsigned char marks[VARS_SIZE];
	for (size_t i = 0; i < sizeof(marks); i++)
		marks[i] = (unsigned char)(i * 7);
	write_file(f, "OVMF_VARS.ms.fd", marks, sizeof(marks));
	assert_int_equal(chmod(f->path, 0444), 0);   /* as root-owned in /usr/share */
	struct stat before;
	assert_int_equal(stat(f->path, &before), 0);
	resolve_ok(f, "uefi-secure");

	char vars[PATH_MAX + 64];
	snprintf(vars, sizeof(vars), "%s/state/passvm/deep/win.vars.fd", f->dir);
	bool exists;
	assert_int_equal(firmware_vars_check(&f->info, vars, &exists, &f->err), 0);
	assert_false(exists);
	assert_int_equal(firmware_vars_prepare(&f->info, vars, &f->err), 0);
	unsigned char *got;
	size_t len;
	file_bytes(vars, &got, &len);
	assert_int_equal(len, sizeof(marks));
	assert_memory_equal(got, marks, len);
	free(got);
	struct stat st;
	assert_int_equal(stat(vars, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* no temporary file left beside it */
	snprintf(f->expect, sizeof(f->expect), "%s.tmp-%ld", vars, (long)getpid());
	assert_int_equal(access(f->expect, F_OK), -1);

	/* the guest's writes stay: a second run copies nothing */
	write_image(f, "state/passvm/deep/win.vars.fd", VARS_SIZE, false);
	assert_int_equal(firmware_vars_prepare(&f->info, vars, &f->err), 0);
	file_bytes(vars, &got, &len);
	assert_int_equal(got[0], 0xFF);
	free(got);

	/* the template is untouched */
	struct stat after;
	assert_int_equal(stat(fx_path(f, "OVMF_VARS.ms.fd"), &after), 0);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(after.st_mode & 0777, 0444);
}

static void test_vars_wrong_size(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	resolve_ok(f, "uefi");
	write_image(f, "old.vars.fd", 540672, false);
	assert_int_equal(firmware_vars_prepare(&f->info, f->path, &f->err), -1);
	snprintf(f->expect, sizeof(f->expect), "vars %s/old.vars.fd is 540672 bytes, but this "
		 "firmware's template %s/OVMF_VARS.fd is 131072: it was made for another "
		 "firmware build; delete it to start from a fresh copy of the template (the VM's "
		 "UEFI settings and boot entries are lost), or give vars = a store made for "
		 "%s/OVMF_CODE.fd", f->dir, f->dir, f->dir);
	assert_string_equal(f->err.msg, f->expect);
}

static void test_vars_is_template(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	resolve_ok(f, "uefi");
	assert_int_equal(firmware_vars_prepare(&f->info, f->info.vars_template, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "itself, which every VM starts from and passvm never "
			       "writes"));
}

static void test_vars_default(void **state)
{
	struct fixture *f = *state;
	char buf[PATH_MAX];
	write_file(f, "win.ini", "", 0);
	assert_int_equal(firmware_vars_default(f->path, "gaming", "/x/OVMF_CODE_4M.ms.fd", buf,
					       sizeof(buf), &f->err), 0);
	assert_in_dir(f, buf, "gaming.vars.fd");
	assert_int_equal(firmware_vars_default(NULL, NULL, "/x/OVMF_CODE_4M.ms.fd", buf,
					       sizeof(buf), &f->err), 0);
	assert_in_dir(f, buf, "state/passvm/flags-OVMF_CODE_4M.ms.vars.fd");
	const char *home = getenv("HOME");
	char *saved = home ? strdup(home) : NULL;
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/me", 1);
	int rc = firmware_vars_default(NULL, NULL, "/x/OVMF_CODE.fd", buf, sizeof(buf), &f->err);
	if (saved)
		setenv("HOME", saved, 1);
	free(saved);
	assert_int_equal(rc, 0);
	assert_string_equal(buf, "/home/me/.local/state/passvm/flags-OVMF_CODE.vars.fd");
}

/* ---- [boot] through the profile, the flags, finalize and check ---------------- */

static int load_profile(struct fixture *f, const char *text)
{
	config_release(&f->cfg);
	config_defaults(&f->cfg);
	f->err.msg[0] = '\0';
	return profile_load(write_file(f, "vm.ini", text, strlen(text)), &f->cfg, &f->err);
}

static void expect_profile_error(struct fixture *f, const char *text, const char *msg)
{
	if (!load_profile(f, text))
		fail_msg("accepted, expected: %s", msg);
	snprintf(f->expect, sizeof(f->expect), "%s/vm.ini:%s", f->dir, msg);
	assert_string_equal(f->err.msg, f->expect);
}

static void test_profile_messages(void **state)
{
	struct fixture *f = *state;
	expect_profile_error(f, "[boot]\nfirmware = uefi-sb\n", "2: firmware = uefi-sb: use uefi, "
			     "uefi-secure (with Microsoft's keys, for Windows 11) or the path of a "
			     "UEFI code image (./uefi-sb for a file of that name)");
	expect_profile_error(f, "[boot]\nvars = a.fd\n", "2: vars is the UEFI variable store of "
			     "a firmware: add firmware = uefi (or uefi-secure), or remove vars");
	expect_profile_error(f, "[boot]\nfirmware = uefi\ninitrd = /i\n", "3: initrd goes with a "
			     "kernel, but this VM boots firmware (line 2): remove it");
	expect_profile_error(f, "[boot]\nkernel = /k\nfirmware = uefi-secure\n", "3: [boot] has "
			     "both kernel (line 2) and firmware (line 3): a VM boots a Linux kernel "
			     "or UEFI firmware; remove one");
	assert_int_equal(load_profile(f, "[boot]\nfirmware = uefi\n"), 0);
	assert_string_equal(f->cfg.firmware, "uefi");
	assert_int_equal(load_profile(f, "[boot]\nfirmware = ./uefi\nvars = v.fd\n"), 0);
	assert_in_dir(f, f->cfg.firmware, "uefi");
	assert_in_dir(f, f->cfg.firmware_vars, "v.fd");
}

/* A profile, then `passvm run` flags on it. */
static int run_flags(struct fixture *f, const char *text, const char *flag, const char *value)
{
	char prof[PATH_MAX + 64];
	snprintf(prof, sizeof(prof), "%s", write_file(f, "vm.ini", text, strlen(text)));
	char *argv[] = { "run", prof, (char *)flag, (char *)value, NULL };
	config_release(&f->cfg);
	config_defaults(&f->cfg);
	return cli_parse_run(value ? 4 : 3, argv, &f->cfg, &f->err);
}

static void test_flags_precedence(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(run_flags(f, "[boot]\nkernel = /k\ninitrd = /i\ncmdline = quiet\n",
				   "--firmware", "uefi-secure"), 0);
	assert_string_equal(f->cfg.firmware, "uefi-secure");
	assert_null(f->cfg.kernel);
	assert_null(f->cfg.initrd);
	assert_null(f->cfg.cmdline);
	assert_int_equal(run_flags(f, "[boot]\nfirmware = uefi\nvars = v.fd\n", "--kernel", "/k"),
			 0);
	assert_null(f->cfg.firmware);
	assert_null(f->cfg.firmware_vars);
	assert_string_equal(f->cfg.kernel, "/k");
	/* a profile's vars stays with the firmware --firmware picks */
	assert_int_equal(run_flags(f, "[boot]\nfirmware = uefi\nvars = v.fd\n", "--firmware",
				   "uefi-secure"), 0);
	assert_in_dir(f, f->cfg.firmware_vars, "v.fd");
	assert_int_equal(run_flags(f, "", "--firmware", "uefi-x"), -1);
	assert_string_equal(f->err.msg, "--firmware uefi-x: use uefi, uefi-secure (with "
			    "Microsoft's keys, for Windows 11) or the path of a UEFI code image "
			    "(./uefi-x for a file of that name)");
}

static void test_finalize(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	assert_int_equal(load_profile(f, "[machine]\nname = win\n[boot]\nfirmware = uefi-secure\n"),
			 0);
	if (config_finalize(&f->cfg, &f->err))
		fail_msg("%s", f->err.msg);
	assert_in_dir(f, f->cfg.firmware, "OVMF_CODE.ms.fd");
	assert_in_dir(f, f->cfg.firmware_vars, "win.vars.fd");
	assert_non_null(f->cfg.fw);
	assert_true(f->cfg.fw->secure_boot && f->cfg.fw->enrolled_keys);
	assert_int_equal(access(f->cfg.firmware_vars, F_OK), -1);   /* finalize writes nothing */
	assert_int_equal(config_finalize_firmware(&f->cfg, &f->err), 0);   /* once is enough */

	/* flags only: the state folder */
	config_release(&f->cfg);
	config_defaults(&f->cfg);
	char *argv[] = { "run", "--firmware", "uefi", NULL };
	assert_int_equal(cli_parse_run(3, argv, &f->cfg, &f->err), 0);
	assert_int_equal(config_finalize(&f->cfg, &f->err), 0);
	assert_in_dir(f, f->cfg.firmware_vars, "state/passvm/flags-OVMF_CODE.vars.fd");

	/* a wrong store fails finalize but keeps what was found, for check */
	assert_int_equal(load_profile(f, "[boot]\nfirmware = uefi\nvars = big.fd\n"), 0);
	write_image(f, "big.fd", 2 * VARS_SIZE, false);
	assert_int_equal(config_finalize(&f->cfg, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "big.fd is 262144 bytes"));
	assert_non_null(f->cfg.fw);
}

static const struct vmm_options *boot_decl(void)
{
	const struct vmm_options *all[VMM_OPTIONS_MAX];
	size_t n = vmm_options_all(all);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i]->section, "boot") && all[i]->check)
			return all[i];
	fail_msg("no [boot] check");
	return NULL;
}

static void test_check_lines(void **state)
{
	struct fixture *f = *state;
	write_debian(f);
	assert_int_equal(load_profile(f, "[boot]\nfirmware = uefi-secure\n"), 0);
	assert_int_equal(config_finalize(&f->cfg, &f->err), 0);
	char nokvm[PATH_MAX + 64];
	snprintf(nokvm, sizeof(nokvm), "%s/no-kvm", f->dir);
	struct check_env env = { .sysfs_root = f->dir, .proc_root = f->dir, .kvm_path = nokvm };
	struct report r;
	report_init(&r);
	boot_decl()->check(&r, &env, &f->cfg);
	assert_int_equal(r.n, 2);   /* no KVM to ask about SMM: the KVM line says why */
	assert_int_equal(r.lines[0].level, REPORT_OK);
	snprintf(f->expect, sizeof(f->expect), "uefi-secure: 40-edk2-x86_64-secure-enrolled.json, "
		 "code %s/OVMF_CODE.ms.fd (1920 KiB); Secure Boot, Microsoft's keys enrolled, "
		 "needs SMM", f->dir);
	assert_string_equal(r.lines[0].detail, f->expect);
	snprintf(f->expect, sizeof(f->expect), "%s/vm.vars.fd will be created from "
		 "%s/OVMF_VARS.ms.fd on the first run", f->dir, f->dir);
	assert_string_equal(r.lines[1].detail, f->expect);
	report_free(&r);

	assert_int_equal(firmware_vars_prepare(f->cfg.fw, f->cfg.firmware_vars, &f->err), 0);
	report_init(&r);
	boot_decl()->check(&r, &env, &f->cfg);
	assert_non_null(strstr(r.lines[1].detail, "vm.vars.fd exists, with the size it needs"));
	report_free(&r);
}

/* ---- the host's own descriptors --------------------------------------------- */

static void test_host_ovmf(void **state)
{
	struct fixture *f = *state;
	struct firmware_dirs host = { .n = 1, .dir = { "/usr/share/qemu/firmware" } };
	if (access("/usr/share/qemu/firmware/60-edk2-x86_64.json", R_OK)) {
		print_message("SKIP: /usr/share/qemu/firmware has no Debian OVMF descriptors "
			      "(apt-get install ovmf)\n");
		skip();
	}
	if (firmware_resolve("uefi", &host, &f->info, &f->err))
		fail_msg("%s", f->err.msg);
	assert_string_equal(f->info.code, "/usr/share/OVMF/OVMF_CODE_4M.fd");
	assert_false(f->info.secure_boot);
	if (firmware_resolve("uefi-secure", &host, &f->info, &f->err))
		fail_msg("%s", f->err.msg);
	assert_string_equal(f->info.code, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd");
	assert_string_equal(f->info.vars_template, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd");
	assert_string_equal(f->info.descriptor,
			    "/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json");
	assert_true(f->info.secure_boot && f->info.enrolled_keys && f->info.requires_smm);
	assert_int_equal(f->info.code_size + f->info.template_size, 4 * MiB);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_uefi_and_secure),
		T(test_order_and_override),
		T(test_descriptors_that_do_not_fit),
		T(test_bad_json_names_file),
		T(test_no_descriptors),
		T(test_descriptor_image_missing),
		T(test_path_with_descriptor),
		T(test_path_without_descriptor),
		T(test_not_an_image),
		T(test_vars_first_use),
		T(test_vars_wrong_size),
		T(test_vars_is_template),
		T(test_vars_default),
		T(test_profile_messages),
		T(test_flags_precedence),
		T(test_finalize),
		T(test_check_lines),
		T(test_host_ovmf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
