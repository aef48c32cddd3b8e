// SPDX-License-Identifier: GPL-2.0-only
/*
 * Profiles (app/profile.c and the devices' VMM_OPTIONS declarations): the
 * exact error messages, the bundled profiles, name lookup and listing. Profiles under test are
 * written to a fresh temporary folder.
 */
#include <errno.h>
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

#include "app/profile.h"
#include "audio/options.h"
#include "display-shm/options.h"
#include "input/options.h"
#include "passvm-config.h"
#include "vfio/options.h"
#include "vmm/virtio/blk.h"

struct fixture {
	char dir[PATH_MAX];        /* canonical: what relative paths resolve against */
	char path[PATH_MAX + 16];  /* the last profile written */
	char expect[3 * PATH_MAX];
	struct vm_config cfg;
	struct error err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	char templ[PATH_MAX];
	snprintf(templ, sizeof(templ), "%s/passvm-profile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!f || !mkdtemp(templ) || !realpath(templ, f->dir))
		return -1;
	config_defaults(&f->cfg);
	unsetenv("PASSVM_PROFILE_DIR");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[PATH_MAX + 16];
	config_release(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	int rc = system(cmd);
	unsetenv("PASSVM_PROFILE_DIR");
	free(f);
	return rc == 0 ? 0 : -1;
}

static const char *write_file(struct fixture *f, const char *name, const char *text)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

/* Load `text` as t.ini; return 0 or -1 (f->err). */
static int load_text(struct fixture *f, const char *text)
{
	config_release(&f->cfg);
	config_defaults(&f->cfg);
	f->err.msg[0] = '\0';
	return profile_load(write_file(f, "t.ini", text), &f->cfg, &f->err);
}

/* The profile must fail with "PATH:" + `msg` exactly. */
static void expect_error(struct fixture *f, const char *text, const char *msg)
{
	if (load_text(f, text) == 0)
		fail_msg("profile was accepted, expected: %s", msg);
	snprintf(f->expect, sizeof(f->expect), "%s:%s", f->path, msg);
	assert_string_equal(f->err.msg, f->expect);
}

static void expect_ok(struct fixture *f, const char *text)
{
	if (load_text(f, text))
		fail_msg("profile refused: %s", f->err.msg);
}

static void test_unknown_key(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "[machine]\nname = x\nmemroy = 16G\n",
		     "3: unknown key 'memroy' in [machine] — did you mean 'memory'?");
	expect_error(f, "[disk.system]\npth = a.img\n",
		     "2: unknown key 'pth' in [disk.system] — did you mean 'path'?");
	/* nothing close: the section's keys are listed */
	expect_error(f, "[audio]\nspeakers = 2\n",
		     "2: unknown key 'speakers' in [audio]: its keys are device, scream-size, "
		     "target, latency");
	/* a key of another section: where it goes */
	expect_error(f, "[machine]\nvcpus = 4\n", "2: 'vcpus' belongs in [cpu], not in [machine]");
}

static void test_unknown_section(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "; a comment\n[machin]\nmemory = 1G\n",
		     "2: unknown section [machin] — did you mean [machine]?");
	expect_error(f, "[disks.system]\n",
		     "1: unknown section [disks.system] — did you mean [disk.system]?");
	expect_error(f, "[network]\n", "1: unknown section [network]: the sections are [machine], "
		     "[cpu], [boot], [disk.NAME], [passthrough.NAME], [display], [input], [audio]");
	expect_error(f, "[disk]\n", "1: [disk] needs a name: one section per disk, like "
		     "[disk.system]");
	expect_error(f, "[cpu]\n[machine]\n[cpu]\n",
		     "3: [cpu] again (first on line 1): put all its keys under one header");
}

static void test_duplicate_key(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "[machine]\nmemory = 1G\n\nname = a\nmemory = 2G\n",
		     "5: 'memory' is set twice in [machine] (first on line 2): keep one");
	/* repeatable keys add up instead */
	expect_ok(f, "[boot]\ncmdline = console=ttyS0\ncmdline = quiet ; a comment\n");
	assert_string_equal(f->cfg.cmdline, "console=ttyS0 quiet");
}

static void test_bad_values(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "[machine]\nmemory = 16X\n", "2: memory = 16X: expected a size like 512M "
		     "or 16G");
	expect_error(f, "[machine]\nhugepages = 4M\n", "2: hugepages = 4M: use 2M, 1G or off");
	expect_error(f, "[machine]\nrng = maybe\n", "2: rng = maybe: use yes or no");
	expect_error(f, "[machine]\nvfio = vfio-pci\n",
		     "2: vfio = vfio-pci: use auto, iommufd or container");
	expect_error(f, "[cpu]\nhyperv = maybe\n", "2: hyperv = maybe: use auto, on or off");
	expect_error(f, "[cpu]\nhv-vendor-id = ThirteenChars\n",
		     "2: hv-vendor-id = ThirteenChars: give 1 to 12 characters, like AuthenticAMD "
		     "or 1234567890ab");
	expect_ok(f, "[cpu]\nhyperv = on\nkvm-hidden = yes\nhv-vendor-id = 1234567890ab\n");
	assert_int_equal(f->cfg.hyperv.mode, HYPERV_ON);
	assert_true(f->cfg.hyperv.kvm_hidden);
	assert_string_equal(f->cfg.hyperv.vendor_id, "1234567890ab");
	expect_ok(f, "[machine]\nvfio = iommufd\n");
	assert_int_equal(vfio_config(&f->cfg)->backend, VFIO_BACKEND_IOMMUFD);
	expect_error(f, "[machine]\nname =\n",
		     "2: 'name' has no value: write 'name = VALUE' or remove the line");
	expect_error(f, "[boot]\nkernel = \"/boot/vmlinuz\"\n", "2: kernel = \"/boot/vmlinuz\": "
		     "remove the quotes (values are taken as written)");
	expect_error(f, "[cpu]\nvcpus = 0\n", "2: vcpus = 0: give a number of vCPUs from 1 to 256");
	expect_error(f, "[audio]\ndevice = hda\n", "2: device = hda: use scream (Windows guests "
		     "with the Scream driver) or virtio-snd (Linux guests)");
	expect_error(f, "[audio]\nscream-size = 3M\n", "2: scream-size = 3M: write a power of two "
		     "from 1M to 64M, like 2M (the same number of MiB as Scream's UseIVSHMEM "
		     "registry value in the guest)");
	expect_error(f, "[audio]\nscream-size = 128M\n", "2: scream-size = 128M: write a power of "
		     "two from 1M to 64M, like 2M (the same number of MiB as Scream's UseIVSHMEM "
		     "registry value in the guest)");
	expect_ok(f, "[audio]\ndevice = scream\nscream-size = 8M\n");
	assert_true(audio_config(&f->cfg)->enabled);
	assert_int_equal(audio_config(&f->cfg)->device, AUDIO_DEVICE_SCREAM);
	assert_int_equal(audio_config(&f->cfg)->scream_size, 8u << 20);
	assert_int_equal(audio_config(&f->cfg)->latency_ms, 20);
	expect_ok(f, "[audio]\n");
	assert_int_equal(audio_config(&f->cfg)->scream_size, 2u << 20);
}

static void test_bad_cpuset(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "[cpu]\nvcpus = 4\npin = 4-x\n", "3: pin = 4-x: bad CPU range in '4-x' at "
		     "'4-x'; write host CPUs like 4-7,12-15, or auto");
	expect_error(f, "[cpu]\nemulator-pin = 0;1\n", "2: emulator-pin = 0;1: bad CPU list '0;1' "
		     "at ';1'; write host CPUs like 4-7,12-15, or auto");
	expect_ok(f, "[cpu]\nvcpus = 4\npin = 4-5,12-13\nio-pin = auto\n");
	assert_int_equal(f->cfg.pin_vcpus.n, 4);
	assert_int_equal(f->cfg.pin_vcpus.cpus[2], 12);
	assert_true(f->cfg.cpu_auto.io_pin);
	assert_false(f->cfg.cpu_auto.pin);
}

static void test_kernel_and_firmware(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "[boot]\nkernel = /boot/vmlinuz\ninitrd = /boot/initrd.img\n"
		     "firmware = /usr/share/OVMF/OVMF_CODE_4M.fd\n",
		     "4: [boot] has both kernel (line 2) and firmware (line 4): a VM boots a "
		     "Linux kernel or UEFI firmware; remove one");
	expect_error(f, "[boot]\nfirmware = /f.fd\ncmdline = quiet\n", "3: cmdline goes with a "
		     "kernel, but this VM boots firmware (line 2): remove it");
}

static void test_shm_too_small(void **state)
{
	struct fixture *f = *state;
	/* Looking Glass's table: 1080p 32M, 1440p 64M, 4K 128M */
	assert_int_equal(dshm_shm_size_for(1920, 1080, false), 32 * MiB);
	assert_int_equal(dshm_shm_size_for(2560, 1440, false), 64 * MiB);
	assert_int_equal(dshm_shm_size_for(3840, 2160, false), 128 * MiB);
	assert_int_equal(dshm_shm_size_for(2560, 1440, true), 128 * MiB);
	expect_error(f, "[display]\nresolution = 2560x1440\nsize = 32M\n",
		     "3: size 32M is too small for 2560x1440: it needs 64M (two frames of 4 bytes a "
		     "pixel + 10M, rounded up to a power of two); write size = 64M or size = auto");
	expect_error(f, "[display]\nsize = 48M\n", "2: size = 48M: write a power of two like 32M, "
		     "64M or 128M, or auto");
	/* size = auto follows the resolution */
	expect_ok(f, "[display]\nwidth = 3840\nheight = 2160\nhdr = yes\n");
	assert_int_equal(display_config(&f->cfg)->shm_size, 256 * MiB);
	assert_string_equal(display_config(&f->cfg)->shm_path, "/dev/shm/passvm-t");
}

static void test_line_too_long(void **state)
{
	struct fixture *f = *state;
	char text[400], *p = text;
	p += sprintf(p, "[boot]\n; comment\ncmdline = ");
	memset(p, 'a', 240);
	strcpy(p + 240, "\n");
	expect_error(f, text, "3: line is 250 characters long, the most is 199: shorten it "
		     "(a long cmdline can go over several 'cmdline =' lines)");
	/* 199 characters fit, as one value (no silent cut) */
	p = text + sprintf(text, "[boot]\ncmdline = ");
	memset(p, 'b', 189);
	strcpy(p + 189, "\r\n");
	expect_ok(f, text);
	assert_int_equal(strlen(f->cfg.cmdline), 189);
}

static void test_file_errors(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/none.ini", f->dir);
	assert_int_equal(profile_load(path, &f->cfg, &f->err), -1);
	snprintf(f->expect, sizeof(f->expect), "%s: no such profile file: check the path, or "
		 "give a profile name ('passvm list' shows them)", path);
	assert_string_equal(f->err.msg, f->expect);

	snprintf(path, sizeof(path), "%s/dir.ini", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(profile_load(path, &f->cfg, &f->err), -1);
	snprintf(f->expect, sizeof(f->expect), "%s is a directory: give a profile file in it "
		 "(NAME.ini)", path);
	assert_string_equal(f->err.msg, f->expect);

	if (geteuid() == 0)
		return;     /* root reads any file */
	write_file(f, "secret.ini", "[machine]\n");
	assert_int_equal(chmod(f->path, 0), 0);
	assert_int_equal(profile_load(f->path, &f->cfg, &f->err), -1);
	snprintf(f->expect, sizeof(f->expect), "%s: cannot read it (permission denied): make it "
		 "readable (chmod u+r), or run as its owner", f->path);
	assert_string_equal(f->err.msg, f->expect);
}

static void test_syntax(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "memory = 1G\n[machine]\n",
		     "1: key 'memory' before any section: put it under [machine]");
	expect_error(f, "\n\ncolor = red\n",
		     "3: key 'color' before any section: start with a section header, like [machine]");
	expect_error(f, "[machine\n", "1: section header without ']': write it like [machine]");
	expect_error(f, "[machine]\nmemory 1G\n", "2: expected 'key = value' or a [section] header");
	/* libinih would read the indented line as more of memory's value */
	expect_error(f, "[machine]\nmemory = 1G\n  name = x\n", "3: indented line: INI reads it "
		     "as more of the value on the line above; remove the indentation");
	/* ...but an indented first key, comments and a BOM are fine */
	expect_ok(f, "\xEF\xBB\xBF# comment\n[machine]\n  name = vm1 ; inline comment\n"
		  "memory: 2G\n");
	assert_string_equal(f->cfg.name, "vm1");
	assert_int_equal(f->cfg.memory, 2 * GiB);
}

static void test_too_many_disks(void **state)
{
	struct fixture *f = *state;
	char text[2048], *p = text;
	for (int i = 0; i < BLK_MAX_DISKS + 1; i++)
		p += sprintf(p, "[disk.d%d]\npath = d%d.img\n", i, i);
	expect_error(f, text, "17: too many disks: a VM has at most 8 ([disk.d8] would be disk 9)");
	text[strlen(text) - strlen("[disk.d8]\npath = d8.img\n")] = '\0';
	expect_ok(f, text);
	assert_int_equal(blk_config(&f->cfg)->n, BLK_MAX_DISKS);
	char want[PATH_MAX + 16];
	snprintf(want, sizeof(want), "%s/d7.img", f->dir);
	assert_string_equal(blk_config(&f->cfg)->disks[7].path, want);
	expect_error(f, "[disk.a]\nreadonly = yes\n", "1: this disk has no path: add 'path = "
		     "/var/lib/passvm/NAME.img' (an image file or a block device)");
}

static void test_passthrough(void **state)
{
	struct fixture *f = *state;
	expect_ok(f, "[passthrough.gpu]\naddress = 0000:0a:00\nromfile = vbios.rom\n"
		  "[passthrough.nic]\naddress = 03:00.1\n");
	assert_int_equal(vfio_config(&f->cfg)->n, 2);
	assert_true(vfio_config(&f->cfg)->devices[0].whole_slot);
	assert_int_equal(vfio_config(&f->cfg)->devices[0].bus, 0x0a);
	assert_int_equal(vfio_config(&f->cfg)->devices[1].func, 1);
	assert_false(vfio_config(&f->cfg)->devices[1].whole_slot);
	expect_error(f, "[passthrough.gpu]\naddress = 0000:01:00\n[passthrough.audio]\n"
		     "address = 0000:01:00.1\n",
		     "4: 0000:01:00.1 is passed through already (line 2): list each device once");
}

static void test_relative_paths(void **state)
{
	struct fixture *f = *state;
	expect_ok(f, "[boot]\nkernel = vmlinux\ninitrd = ./sub/initrd\n"
		  "[machine]\nserial = file:../serial.log\n");
	char want[PATH_MAX + 32];
	snprintf(want, sizeof(want), "%s/vmlinux", f->dir);
	assert_string_equal(f->cfg.kernel, want);
	snprintf(want, sizeof(want), "%s/sub/initrd", f->dir);
	assert_string_equal(f->cfg.initrd, want);
	const char *slash = strrchr(f->dir, '/');   /* "../" is the parent folder */
	assert_non_null(slash);
	snprintf(want, sizeof(want), "%.*s/serial.log", (int)(slash - f->dir), f->dir);
	assert_string_equal(f->cfg.serial_path, want);
	assert_int_equal(f->cfg.serial, SERIAL_FILE);
	snprintf(want, sizeof(want), "%s/t.ini", f->dir);
	assert_string_equal(f->cfg.profile_path, want);
}

static void test_demo_profile(void **state)
{
	struct fixture *f = *state;
	if (profile_load(PASSVM_SOURCE_ROOT "/profiles/demo.ini", &f->cfg, &f->err))
		fail_msg("%s", f->err.msg);
	struct vm_config *c = &f->cfg;
	assert_string_equal(c->name, "demo");
	assert_int_equal(c->cpus, 2);
	assert_int_equal(c->memory, GiB);
	assert_string_equal(c->kernel, PASSVM_SOURCE_ROOT "/build/tests/guest/vmlinux");
	assert_string_equal(c->initrd, PASSVM_SOURCE_ROOT "/build/tests/guest/test-guest.cpio.gz");
	assert_string_equal(c->cmdline, "console=ttyS0 quiet passvm.test=demo");
	assert_null(c->firmware);
	assert_int_equal(vfio_config(c)->n, 0);
	assert_int_equal(blk_config(c)->n, 0);
	assert_false(display_config(c)->enabled);
	assert_int_equal(c->hugepages, GMEM_HUGE_NONE);
	assert_string_equal(c->profile_path, PASSVM_SOURCE_ROOT "/profiles/demo.ini");
}

static void test_windows_profile(void **state)
{
	struct fixture *f = *state;
	const char *path = PASSVM_SOURCE_ROOT "/profiles/windows-gaming.example.ini";
	if (profile_load(path, &f->cfg, &f->err))
		fail_msg("%s", f->err.msg);
	struct vm_config *c = &f->cfg;
	assert_string_equal(c->name, "windows");
	assert_int_equal(c->memory, 16 * GiB);
	assert_int_not_equal(c->hugepages, GMEM_HUGE_NONE);
	assert_int_equal(c->cpus, 8);
	assert_true(c->cpu_auto.pin && c->cpu_auto.topology && c->cpu_auto.emulator_pin);
	assert_string_equal(c->firmware, "uefi-secure");
	assert_string_equal(c->firmware_vars, PASSVM_SOURCE_ROOT "/profiles/windows-vars.fd");
	assert_null(c->kernel);
	assert_int_equal(blk_config(c)->n, 1);
	assert_non_null(blk_config(c)->disks[0].path);
	assert_int_equal(vfio_config(c)->n, 2);
	assert_int_equal(vfio_config(c)->devices[0].bus, 1);
	assert_int_equal(vfio_config(c)->devices[0].func, 0);
	assert_int_equal(vfio_config(c)->devices[1].func, 1);
	assert_true(display_config(c)->enabled);
	assert_int_equal(display_config(c)->width, 2560);
	assert_int_equal(display_config(c)->height, 1440);
	assert_int_equal(display_config(c)->shm_size, 64 * MiB);
	assert_int_equal(input_config(c)->n, 2);
	assert_non_null(strstr(input_config(c)->devices[0], "/dev/input/by-id/"));
	assert_string_equal(input_config(c)->grab_toggle, "KEY_LEFTCTRL+KEY_RIGHTCTRL");
	assert_true(audio_config(c)->enabled);
	assert_non_null(audio_config(c)->target);
	assert_int_equal(audio_config(c)->latency_ms, 20);
}

static void test_lookup_by_name(void **state)
{
	struct fixture *f = *state;
	write_file(f, "mine.ini", "[machine]\nmemory = 3G\n");
	write_file(f, "demo.ini", "[cpu]\nvcpus = 3\n");   /* hides the bundled demo */
	write_file(f, "notes.txt", "not a profile\n");
	assert_int_equal(setenv("PASSVM_PROFILE_DIR", f->dir, 1), 0);

	const char *dirs[PROFILE_MAX_DIRS];
	assert_int_equal(profile_dirs(dirs), 2);
	assert_string_equal(dirs[0], f->dir);
	assert_string_equal(dirs[1], PASSVM_SOURCE_ROOT "/profiles");

	if (profile_load("mine", &f->cfg, &f->err))
		fail_msg("%s", f->err.msg);
	assert_int_equal(f->cfg.memory, 3 * GiB);
	assert_string_equal(f->cfg.name, "mine");

	/* found in the second folder */
	config_release(&f->cfg);
	config_defaults(&f->cfg);
	if (profile_load("windows-gaming.example", &f->cfg, &f->err))
		fail_msg("%s", f->err.msg);
	assert_int_equal(f->cfg.cpus, 8);

	assert_int_equal(profile_load("nosuch", &f->cfg, &f->err), -1);
	snprintf(f->expect, sizeof(f->expect), "no profile named 'nosuch' (looked for nosuch.ini "
		 "in %s and %s/profiles): 'passvm list' shows the profiles there, or give the path "
		 "of an .ini file", f->dir, PASSVM_SOURCE_ROOT);
	assert_string_equal(f->err.msg, f->expect);

	struct profile_entry *list;
	size_t n;
	assert_int_equal(profile_list(&list, &n, &f->err), 0);
	assert_true(n >= 3);
	char want[PATH_MAX + 16];
	bool seen_mine = false, seen_demo = false, seen_windows = false;
	for (size_t i = 0; i < n; i++) {
		if (i)
			assert_true(strcmp(list[i - 1].name, list[i].name) < 0);
		if (!strcmp(list[i].name, "mine"))
			seen_mine = true;
		if (!strcmp(list[i].name, "demo")) {
			snprintf(want, sizeof(want), "%s/demo.ini", f->dir);
			assert_string_equal(list[i].path, want);
			seen_demo = true;
		}
		if (!strcmp(list[i].name, "windows-gaming.example"))
			seen_windows = true;
		assert_null(strstr(list[i].name, "notes"));
	}
	assert_true(seen_mine && seen_demo && seen_windows);
	profile_list_free(list, n);
}

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(profile_edit_distance("memroy", "memory"), 1);   /* a swap is one */
	assert_int_equal(profile_edit_distance("vcpu", "vcpus"), 1);
	assert_int_equal(profile_edit_distance("", "abc"), 3);
	assert_int_equal(profile_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(profile_edit_distance("same", "same"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_cpuset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_and_firmware, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shm_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_disks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passthrough, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demo_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_windows_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_by_name, setup, teardown),
		cmocka_unit_test(test_edit_distance),
	};
	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
