// SPDX-License-Identifier: GPL-2.0-only
/*
 * `passvm check` on fake sysfs/procfs trees (fake_sysfs.h): the host checks
 * (CPU, KVM, IOMMU, interrupt remapping, VFIO modules), each passthrough
 * device (driver, reset, IOMMU group viability) and the resources a profile
 * asks for (huge pages, pinning and isolation, memlock, shm space). The
 * configs are filled directly, as a profile would fill them.
 */
#include "tests/unit/fake_sysfs.h"

#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "app/check.h"
#include "app/check_internal.h"
#include "common/report.h"
#include "display-shm/options.h"
#include "input/options.h"
#include "vfio/names.h"
#include "vfio/options.h"
#include "vfio/pci_addr.h"
#include "vmm/config.h"

struct tc {
	struct fake_host *h;
	struct check_env env;
	struct vm_config cfg;
	struct report r;
	char kvm[PATH_MAX];
};

static int tc_setup(void **state)
{
	struct tc *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->h = fh_new();
	fh_fmt(t->kvm, sizeof(t->kvm), "%s/kvm", t->h->top);
	fh_write(t->h->top, "kvm", "%s", "");
	config_defaults(&t->cfg);
	t->cfg.sysfs_root = t->h->sys;
	t->cfg.kvm_path = t->kvm;
	t->env = (struct check_env){ .sysfs_root = t->h->sys, .proc_root = t->h->proc,
				     .kvm_path = t->kvm, .memlock_limit = UINT64_MAX };
	t->env.names = vfio_names_open(t->h->sys, t->h->ids);
	assert_non_null(t->env.names);
	report_init(&t->r);
	*state = t;
	return 0;
}

static int tc_teardown(void **state)
{
	struct tc *t = *state;
	report_free(&t->r);
	vfio_names_close(t->env.names);
	config_release(&t->cfg);
	fh_free(t->h);
	free(t);
	return 0;
}

/* The report, for a failing assertion's context. */
static void tc_dump(const struct report *r)
{
	report_print(r, stderr);
}

static const struct report_line *tc_find(const struct report *r, const char *what)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->lines[i].what, what))
			return &r->lines[i];
	tc_dump(r);
	fail_msg("no report line '%s'", what);
	return NULL;
}

static bool tc_has(const struct report *r, const char *what)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->lines[i].what, what))
			return true;
	return false;
}

/* The line `what` has `level`, and detail/fix hold each of the NULL-ended words. */
static const struct report_line *tc_expect(const struct report *r, const char *what,
					   enum report_level level, const char *const *detail,
					   const char *const *fix)
{
	const struct report_line *l = tc_find(r, what);
	if (l->level != level) {
		tc_dump(r);
		fail_msg("'%s' is %s, expected %s", what, report_level_name(l->level),
			 report_level_name(level));
	}
	for (unsigned i = 0; detail && detail[i]; i++)
		if (!strstr(l->detail, detail[i])) {
			tc_dump(r);
			fail_msg("'%s' detail lacks '%s': %s", what, detail[i], l->detail);
		}
	for (unsigned i = 0; fix && fix[i]; i++)
		if (!strstr(l->fix, fix[i])) {
			tc_dump(r);
			fail_msg("'%s' fix lacks '%s': %s", what, fix[i], l->fix);
		}
	if (level != REPORT_OK && level != REPORT_SKIP && !l->fix[0]) {
		tc_dump(r);
		fail_msg("'%s' is %s without a fix", what, report_level_name(level));
	}
	return l;
}

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void tc_pass(struct tc *t, const char *addr)
{
	struct passthrough_config *pc = &vfio_config(&t->cfg)->devices[vfio_config(&t->cfg)->n++];
	bool slot;
	struct vfio_host_addr a;
	/* The address syntax is vfio/host.c's: reuse it rather than hand-parse. */
	assert_int_equal(vfio_host_addr_parse(addr, &a, &slot, NULL), 0);
	*pc = (struct passthrough_config){ .domain = a.domain, .bus = a.bus, .slot = a.slot,
					   .func = a.func, .whole_slot = slot };
}

/* ---- report.c ------------------------------------------------------------------ */

static void test_report_print(void **state)
{
	(void)state;
	struct report r;
	report_init(&r);
	report_add(&r, REPORT_OK, "KVM", "fine");
	report_fix(report_add(&r, REPORT_FAIL, "IOMMU group 12", "not %s", "viable"), "do %d", 1);
	report_fix(NULL, "ignored");
	for (unsigned i = 0; i < 100; i++)
		report_add(&r, REPORT_WARN, "many", "%u", i);
	assert_int_equal(r.n, 102);
	assert_int_equal(report_count(&r, REPORT_WARN), 100);
	assert_int_equal(report_count(&r, REPORT_FAIL), 1);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	report_print(&r, f);
	fclose(f);
	/* Levels first, the `what` column aligned to the longest. */
	assert_non_null(strstr(text, "OK    KVM             fine\n"));
	assert_non_null(strstr(text, "FAIL  IOMMU group 12  not viable\n      fix: do 1\n"));
	free(text);
	assert_string_equal(report_level_name((enum report_level)7), "?");
	report_free(&r);
}

/* ---- the host ------------------------------------------------------------------ */

static void test_host_ready(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_nvidia_card(t->h, "vfio-pci", 1);
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "CPU virtualization", REPORT_OK, W("VT-x"), NULL);
	tc_expect(&t->r, "KVM", REPORT_OK, W(t->kvm), NULL);
	tc_expect(&t->r, "IOMMU", REPORT_OK, W("dmar0 dmar1", "1 IOMMU groups"), NULL);
	tc_expect(&t->r, "interrupt remapping", REPORT_OK, W("IR-"), NULL);
	tc_expect(&t->r, "VFIO modules", REPORT_OK, NULL, NULL);
	assert_int_equal(report_count(&t->r, REPORT_FAIL), 0);
	assert_int_equal(report_count(&t->r, REPORT_WARN), 0);
}

static void test_host_no_virt_no_kvm(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_cpuinfo(t->h, "AuthenticAMD", "sse2 svm_lock", 2);   /* svm_lock is not svm */
	fh_fmt(t->kvm, sizeof(t->kvm), "%s/no-kvm", t->h->top);
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "CPU virtualization", REPORT_FAIL, W("no vmx or svm"), W("SVM Mode"));
	tc_expect(&t->r, "KVM", REPORT_FAIL, W("No such file"), W("modprobe kvm_amd"));
}

/* (d) VT-d in the firmware tables, but the kernel was not told to use it. */
static void test_iommu_not_on_cmdline(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_remove(t->h->sys, "class/iommu/dmar0");
	fh_remove(t->h->sys, "class/iommu/dmar1");
	fh_write(t->h->proc, "cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n");
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "IOMMU", REPORT_FAIL, W("class/iommu is empty", "lacks intel_iommu=on"),
		  W("intel_iommu=on iommu=pt", "kernel command line", "GRUB"));
	tc_expect(&t->r, "interrupt remapping", REPORT_SKIP, W("active IOMMU"), NULL);
}

/* (d) No DMAR table: the firmware has VT-d off, the command line cannot help alone. */
static void test_iommu_off_in_firmware(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_remove(t->h->sys, "class/iommu/dmar0");
	fh_remove(t->h->sys, "class/iommu/dmar1");
	fh_remove(t->h->sys, "firmware/acpi/tables/DMAR");
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "IOMMU", REPORT_FAIL, W("no ACPI DMAR table"),
		  W("enable VT-d in the firmware", "intel_iommu=on"));
}

/* The kernel lets the last intel_iommu= win; "on,sm_on" lists on. */
static void test_iommu_cmdline_last_wins(void **state)
{
	struct tc *t = *state;
	assert_true(check_cmdline_has("a intel_iommu=on,sm_on b", "intel_iommu", "on"));
	assert_true(check_cmdline_has("intel_iommu=sm_on,on", "intel_iommu", "on"));
	assert_false(check_cmdline_has("intel_iommu=on intel_iommu=off", "intel_iommu", "on"));
	assert_false(check_cmdline_has("xintel_iommu=on", "intel_iommu", "on"));
	assert_false(check_cmdline_has("intel_iommu=", "intel_iommu", "on"));
	assert_false(check_cmdline_has("intel_iommu", "intel_iommu", "on"));
	assert_false(check_cmdline_has("amd_iommu=on", "iommu", "on"));
	fh_ready_host(t->h);
	fh_remove(t->h->sys, "class/iommu/dmar0");
	fh_remove(t->h->sys, "class/iommu/dmar1");
	fh_write(t->h->proc, "cmdline", "ro intel_iommu=on intel_iommu=off\n");
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "IOMMU", REPORT_FAIL, W("intel_iommu=off"), W("remove intel_iommu=off"));
}

/* An AMD host without IVRS, and units but no groups. */
static void test_iommu_amd_and_no_groups(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_cpuinfo(t->h, "AuthenticAMD", "svm npt", 2);
	fh_remove(t->h->sys, "class/iommu/dmar0");
	fh_remove(t->h->sys, "class/iommu/dmar1");
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "CPU virtualization", REPORT_OK, W("AMD-V"), NULL);
	tc_expect(&t->r, "IOMMU", REPORT_FAIL, W("no ACPI IVRS table"), W("AMD-Vi", "iommu=pt"));

	report_free(&t->r);
	fh_link(t->h->sys, "class/iommu/ivhd0", "../../devices/virtual/iommu/ivhd0");
	fh_mkdir(t->h->sys, "devices/virtual/iommu/ivhd0");
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "IOMMU", REPORT_FAIL, W("ivhd0 present but no IOMMU groups"),
		  W("iommu=pt"));
}

static void test_intremap(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_nvidia_card(t->h, "vfio-pci", 1);
	fh_interrupts(t->h, 0);
	fh_dmar(t->h, "dmar0", 0xf050daULL & ~(1ull << 3));
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "interrupt remapping", REPORT_FAIL, W("hardware lacks it", "refuses"),
		  W("allow_unsafe_interrupts"));

	report_free(&t->r);
	fh_dmar(t->h, "dmar0", 0xf050daULL | 1u << 3);
	fh_write(t->h->sys, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", "Y\n");
	check_host(&t->r, &t->env);
	tc_expect(&t->r, "interrupt remapping", REPORT_WARN,
		  W("did not turn it on", "allow_unsafe_interrupts=Y"), W("intremap=off"));
}

static void test_vfio_modules_missing(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_nvidia_card(t->h, "vfio-pci", 1);
	fh_remove(t->h->sys, "module/vfio_pci/parameters");
	fh_remove(t->h->sys, "module/vfio_pci");
	check_host(&t->r, &t->env);
	const struct report_line *l = tc_expect(&t->r, "VFIO modules", REPORT_WARN, W("vfio_pci"),
						W("modprobe vfio-pci"));
	/* Only the missing one is named. */
	assert_null(strstr(l->detail, "type1"));
}

/* Roots come from the config (PASSVM_SYSFS_ROOT) and PASSVM_PROC_ROOT. */
static void test_env_init(void **state)
{
	struct tc *t = *state;
	struct check_env env;
	assert_int_equal(setenv("PASSVM_PROC_ROOT", t->h->proc, 1), 0);
	check_env_init(&env, &t->cfg);
	unsetenv("PASSVM_PROC_ROOT");
	assert_string_equal(env.sysfs_root, t->h->sys);
	assert_string_equal(env.proc_root, t->h->proc);
	assert_string_equal(env.kvm_path, t->kvm);
	check_env_init(&env, &t->cfg);
	assert_string_equal(env.proc_root, "/proc");
}

/* ---- passthrough devices ----------------------------------------------------- */

/* (a) GPU and HDMI audio alone in their group, on vfio-pci; the root port elsewhere. */
static void test_devices_clean_group(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_root_port(t->h, "0000:00:01.0", 2);
	fh_nvidia_card(t->h, "vfio-pci", 1);
	tc_pass(t, "0000:01:00");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:01:00.0", REPORT_OK,
		  W("VGA compatible controller", "AD102 test [GeForce RTX 4090]", "[10de:2684]"),
		  NULL);
	tc_expect(&t->r, "0000:01:00.1", REPORT_OK, W("Audio device", "[10de:22ba]"), NULL);
	tc_expect(&t->r, "0000:01:00.0 driver", REPORT_OK, W("vfio-pci already holds it"), NULL);
	tc_expect(&t->r, "0000:01:00.1 driver", REPORT_OK, W("vfio-pci"), NULL);
	tc_expect(&t->r, "0000:01:00.0 reset", REPORT_OK, W("flr bus"), NULL);
	tc_expect(&t->r, "IOMMU group 1", REPORT_OK, W("viable", "2 devices"), NULL);
	assert_false(tc_has(&t->r, "IOMMU group 2"));
	assert_false(tc_has(&t->r, "0000:01:00.0 boot GPU"));
	assert_int_equal(report_count(&t->r, REPORT_FAIL), 0);
	assert_int_equal(report_count(&t->r, REPORT_WARN), 0);
}

/* (b) The group also holds the SATA controller on ahci: not viable; the bridge is fine. */
static void test_devices_group_with_sata(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_root_port(t->h, "0000:00:01.0", 1);
	fh_sata(t->h, "0000:00:17.0", 1);
	fh_nvidia_card(t->h, "vfio-pci", 1);
	tc_pass(t, "0000:01:00");
	vfio_check(&t->r, &t->env, &t->cfg);
	const struct report_line *l = tc_expect(&t->r, "IOMMU group 1", REPORT_FAIL,
		W("not viable", "0000:00:17.0", "SATA controller", "Test SATA AHCI Controller",
		  "[8086:a352]", "driver ahci"),
		W("not isolated", "slot", "vfio-pci"));
	assert_null(strstr(l->detail, "0000:00:01.0"));   /* the bridge does not block */
	assert_null(strstr(l->fix, "pass "));             /* no sibling to add */

	/* Once the SATA controller is unbound, the group is viable (bridge included). */
	report_free(&t->r);
	fh_pci_bind(t->h, "0000:00:17.0", NULL);
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "IOMMU group 1", REPORT_OK, W("viable", "4 devices"), NULL);
}

/* A bridge is recognised by its header type even when its class says otherwise,
 * and by its class when config cannot be read. */
static void test_devices_bridge_without_config(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_root_port(t->h, "0000:00:01.0", 1);
	fh_remove(t->h->sys, "devices/pci0000:00/0000:00:01.0/config");
	fh_nvidia_card(t->h, "vfio-pci", 1);
	tc_pass(t, "0000:01:00.0");
	tc_pass(t, "0000:01:00.1");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "IOMMU group 1", REPORT_OK, W("3 devices"), NULL);
}

/* Passing the GPU alone leaves its audio function, on snd_hda_intel, in the group. */
static void test_devices_sibling_left_out(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_nvidia_card(t->h, "nvidia", 1);
	tc_pass(t, "0000:01:00.0");
	vfio_check(&t->r, &t->env, &t->cfg);
	const struct report_line *l = tc_expect(&t->r, "IOMMU group 1", REPORT_FAIL,
		W("0000:01:00.1", "snd_hda_intel"), W("pass 0000:01:00.1 through too"));
	assert_null(strstr(l->fix, "not isolated"));
}

/* (c) nvidia holds the GPU: reported, with the boot-time vfio-pci binding. */
static void test_devices_nvidia_driver(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_nvidia_card(t->h, "nvidia", 1);
	tc_pass(t, "0000:01:00");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:01:00.0 driver", REPORT_WARN, W("nvidia holds it",
		  "nvidia-persistenced"),
		  W("vfio-pci.ids=10de:2684,10de:22ba", "softdep nvidia pre: vfio-pci"));
	tc_expect(&t->r, "0000:01:00.1 driver", REPORT_OK, W("snd_hda_intel holds it"), NULL);
	/* passvm binds both to vfio-pci at start: their drivers do not block the group. */
	tc_expect(&t->r, "IOMMU group 1", REPORT_OK, W("viable"), NULL);
}

/* (c) amdgpu on a Polaris card: the driver, and the reset bug with vendor-reset's fix. */
static void test_devices_amdgpu_reset_bug(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_pci_add(t->h, &(struct fh_pci){ "0000:03:00.0", 0x1002, 0x67df, 0x030000, 0x80,
					   "amdgpu", 5, "pm bus", 1 });
	fh_pci_add(t->h, &(struct fh_pci){ "0000:03:00.1", 0x1002, 0xaaf0, 0x040300, 0x80,
					   "snd_hda_intel", 5, "pm bus", -1 });
	tc_pass(t, "0000:03:00");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:03:00.0", REPORT_OK, W("Ellesmere test [Radeon RX 580]"), NULL);
	tc_expect(&t->r, "0000:03:00.0 driver", REPORT_WARN, W("amdgpu holds it"),
		  W("vfio-pci.ids=1002:67df,1002:aaf0", "softdep amdgpu pre: vfio-pci"));
	tc_expect(&t->r, "0000:03:00.0 reset", REPORT_WARN, W("Polaris 10", "reset bug"),
		  W("vendor-reset", "device_specific", "0000:03:00.0/reset_method"));
	/* The audio function is no GPU: no reset-bug line for it. */
	tc_expect(&t->r, "0000:03:00.1 reset", REPORT_OK, W("pm bus"), NULL);
	/* The host's only GPU, and the boot one. */
	tc_expect(&t->r, "0000:03:00.0 boot GPU", REPORT_WARN, W("boot_vga=1", "only GPU"),
		  W("headless"));

	/* vendor-reset loaded and chosen: fine. */
	report_free(&t->r);
	fh_mkdir(t->h->sys, "module/vendor_reset");
	fh_write(t->h->sys, "devices/pci0000:00/0000:03:00.0/reset_method", "device_specific\n");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:03:00.0 reset", REPORT_OK, W("vendor-reset"), NULL);
}

/* A newer AMD card has no reset bug; a device without any reset method warns. */
static void test_devices_reset_methods(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_pci_add(t->h, &(struct fh_pci){ "0000:03:00.0", 0x1002, 0x744c, 0x030000, 0x00,
					   "vfio-pci", 5, "flr bus", 0 });
	fh_pci_add(t->h, &(struct fh_pci){ "0000:04:00.0", 0x8086, 0xa3af, 0x0c0330, 0x00,
					   "vfio-pci", 6, NULL, -1 });
	tc_pass(t, "0000:03:00.0");
	tc_pass(t, "0000:04:00.0");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:03:00.0 reset", REPORT_OK, W("flr bus"), NULL);
	tc_expect(&t->r, "0000:04:00.0 reset", REPORT_WARN, W("no reset method"), W("reboot"));

	/* Before Linux 5.15 only `reset` shows that one exists. */
	report_free(&t->r);
	fh_write(t->h->sys, "devices/pci0000:00/0000:04:00.0/reset", "%s", "");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:04:00.0 reset", REPORT_OK, W("predates reset_method"), NULL);
}

/* Resizable BAR (resourceN_resize): a BAR left small warns with the sysfs
 * write that fixes it; at its largest it is fine; no capability, no line. */
static void test_devices_rebar(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_pci_add(t->h, &(struct fh_pci){ "0000:03:00.0", 0x1002, 0x744c, 0x030000, 0x00,
					   "amdgpu", 5, "flr bus", 0 });
	fh_pci_add(t->h, &(struct fh_pci){ "0000:04:00.0", 0x8086, 0xa3af, 0x0c0330, 0x00,
					   "vfio-pci", 6, "flr", -1 });
	/* BAR0: 256 MiB of 256 MiB .. 32 GiB (bits 8..15); BAR2 2 MiB, fixed. */
	fh_write(t->h->sys, "devices/pci0000:00/0000:03:00.0/resource",
		 "0x0000006000000000 0x000000600fffffff 0x000000000014220c\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		 "0x0000006010000000 0x00000060101fffff 0x000000000014220c\n");
	fh_write(t->h->sys, "devices/pci0000:00/0000:03:00.0/resource0_resize", "000000000000ff00\n");
	tc_pass(t, "0000:03:00.0");
	tc_pass(t, "0000:04:00.0");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:03:00.0 Resizable BAR", REPORT_WARN,
		  W("BAR0 is 256 MiB but can be 32 GiB"),
		  W("Above 4G Decoding", "unbind it first", "echo 15 >",
		    "0000:03:00.0/resource0_resize"));
	assert_false(tc_has(&t->r, "0000:04:00.0 Resizable BAR"));

	/* Resized on the host: the largest. */
	report_free(&t->r);
	fh_write(t->h->sys, "devices/pci0000:00/0000:03:00.0/resource",
		 "0x0000008000000000 0x00000087ffffffff 0x000000000014220c\n");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:03:00.0 Resizable BAR", REPORT_OK, W("BAR0: 32 GiB, the largest"),
		  NULL);
}

/* [input]: a missing node and a file that is no evdev device fail, naming
 * the path and the fix; a bad toggle key fails. (Real evdev devices: lab.) */
static void test_resources_input(void **state)
{
	struct tc *t = *state;
	char bogus[PATH_MAX + 16];
	snprintf(bogus, sizeof(bogus), "%s/not-evdev", t->h->top);
	fh_write(t->h->top, "not-evdev", "text\n");
	input_config(&t->cfg)->n = 2;
	input_config(&t->cfg)->devices[0] = "/nonexistent/by-id/usb-kbd-event-kbd";
	input_config(&t->cfg)->devices[1] = bogus;
	input_config(&t->cfg)->grab_toggle = "KEY_LEFTCTRL+KEY_BOGUS";
	check_profile(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "input device 1", REPORT_FAIL,
		  W("/nonexistent/by-id/usb-kbd-event-kbd", "cannot open it", "plugged in"),
		  W("/dev/input/by-id"));
	tc_expect(&t->r, "input device 2", REPORT_FAIL, W("not-evdev", "not an evdev device"),
		  W("[input] device"));
	tc_expect(&t->r, "input grab-toggle", REPORT_FAIL, W("'KEY_BOGUS'"), W("KEY_ names"));
	input_config(&t->cfg)->n = 0;
}

/* vfio = iommufd needs the kernel's iommufd (class/misc/iommu in sysfs). */
static void test_resources_vfio_backend(void **state)
{
	struct tc *t = *state;
	vfio_config(&t->cfg)->backend = VFIO_BACKEND_IOMMUFD;
	vfio_config(&t->cfg)->n = 1;
	check_profile(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "VFIO back end", REPORT_FAIL, W("no iommufd"),
		  W("modprobe iommufd", "vfio = auto or container"));
	report_free(&t->r);
	fh_mkdir(t->h->sys, "class/misc/iommu");
	check_profile(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "VFIO back end", REPORT_OK, W("iommufd"), NULL);
	vfio_config(&t->cfg)->backend = VFIO_BACKEND_AUTO;
	vfio_config(&t->cfg)->n = 0;
}

/* hyperv = on: a "KVM" that answers no KVM ioctl (the fixture's file) cannot
 * list Hyper-V features; with hyperv off nothing is said. */
static void test_resources_hyperv(void **state)
{
	struct tc *t = *state;
	check_resources(&t->r, &t->env, &t->cfg);
	assert_false(tc_has(&t->r, "Hyper-V"));
	report_free(&t->r);
	t->cfg.hyperv.mode = HYPERV_ON;
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "Hyper-V", REPORT_FAIL, W("cannot list its Hyper-V features"),
		  W("5.11", "hyperv = off"));
	t->cfg.hyperv.mode = HYPERV_AUTO;
}

/* Addresses that do not exist, and sysfs surprises: clear FAILs, no crash. */
static void test_devices_missing_and_broken(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_nvidia_card(t->h, "vfio-pci", 1);
	/* vendor unreadable, class junk, iommu_group pointing nowhere */
	fh_pci_add(t->h, &(struct fh_pci){ "0000:05:00.0", 0x10de, 0x2684, 0x030000, 0x00,
					   "vfio-pci", 9, "flr", 0 });
	fh_remove(t->h->sys, "devices/pci0000:00/0000:05:00.0/vendor");
	fh_pci_add(t->h, &(struct fh_pci){ "0000:06:00.0", 0x10de, 0x2684, 0x030000, 0x00,
					   "vfio-pci", 10, "flr", 0 });
	fh_write(t->h->sys, "devices/pci0000:00/0000:06:00.0/class", "garbage\n");
	fh_pci_add(t->h, &(struct fh_pci){ "0000:07:00.0", 0x10de, 0x2684, 0x030000, 0x00,
					   "vfio-pci", 11, "flr", 0 });
	fh_remove(t->h->sys, "kernel/iommu_groups/11/devices/0000:07:00.0");
	fh_remove(t->h->sys, "kernel/iommu_groups/11/devices");
	fh_remove(t->h->sys, "kernel/iommu_groups/11");
	tc_pass(t, "0000:02:00.0");
	tc_pass(t, "0000:09:00");
	tc_pass(t, "0000:05:00.0");
	tc_pass(t, "0000:06:00.0");
	tc_pass(t, "0000:07:00.0");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:02:00.0", REPORT_FAIL, W("no such PCI device"), W("passvm gpus"));
	tc_expect(&t->r, "0000:09:00", REPORT_FAIL, W("no PCI device in slot 0000:09:00"), NULL);
	tc_expect(&t->r, "0000:05:00.0", REPORT_FAIL, W("cannot read", "0000:05:00.0/vendor"), NULL);
	tc_expect(&t->r, "0000:06:00.0", REPORT_FAIL, W("0000:06:00.0/class", "no hex number"),
		  NULL);
	tc_expect(&t->r, "IOMMU group 11", REPORT_FAIL, W("IOMMU group 11"), NULL);
}

/* A device in no IOMMU group (IOMMU off): the group line says so. */
static void test_devices_no_group(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_nvidia_card(t->h, "nvidia", -1);
	tc_pass(t, "0000:01:00.0");
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:01:00.0 IOMMU group", REPORT_FAIL, W("no IOMMU group"), NULL);
}

static void test_devices_romfile(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_nvidia_card(t->h, "vfio-pci", 1);
	char rom[PATH_MAX];
	fh_fmt(rom, sizeof(rom), "%s/gpu.rom", t->h->top);
	tc_pass(t, "0000:01:00");
	vfio_config(&t->cfg)->devices[0].romfile = rom;
	vfio_check(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "0000:01:00.0 ROM file", REPORT_FAIL, W(rom), W("romfile"));
	assert_false(tc_has(&t->r, "0000:01:00.1 ROM file"));
}

/* ---- resources ------------------------------------------------------------------ */

static void tc_hugepages(struct tc *t, const char *dir, unsigned nr, unsigned free_,
			 unsigned resv)
{
	char rel[PATH_MAX];
	fh_fmt(rel, sizeof(rel), "kernel/mm/hugepages/%s/nr_hugepages", dir);
	fh_write(t->h->sys, rel, "%u\n", nr);
	fh_fmt(rel, sizeof(rel), "kernel/mm/hugepages/%s/free_hugepages", dir);
	fh_write(t->h->sys, rel, "%u\n", free_);
	fh_fmt(rel, sizeof(rel), "kernel/mm/hugepages/%s/resv_hugepages", dir);
	fh_write(t->h->sys, rel, "%u\n", resv);
	fh_fmt(rel, sizeof(rel), "kernel/mm/hugepages/%s/surplus_hugepages", dir);
	fh_write(t->h->sys, rel, "0\n");
}

/* (f) huge pages free vs needed. */
static void test_resources_hugepages(void **state)
{
	struct tc *t = *state;
	t->cfg.memory = 1 * GiB;
	t->cfg.hugepages = GMEM_HUGE_2M;
	tc_hugepages(t, "hugepages-2048kB", 200, 100, 0);
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "huge pages", REPORT_FAIL, W("1 GiB", "512 free 2 MiB pages", "100 free",
		  "of 200"), W("echo 612 >", "hugepages-2048kB/nr_hugepages", "hugepages=612"));

	report_free(&t->r);
	tc_hugepages(t, "hugepages-2048kB", 600, 600, 0);
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "huge pages", REPORT_OK, W("512", "600 free"), NULL);

	/* Pages reserved by another mapping are counted free but are not available. */
	report_free(&t->r);
	tc_hugepages(t, "hugepages-2048kB", 600, 600, 200);
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "huge pages", REPORT_FAIL, W("400", "reserved"), W("echo 712 >"));

	report_free(&t->r);
	t->cfg.hugepages = GMEM_HUGE_1G;
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "huge pages", REPORT_FAIL, W("no 1 GiB pages", "hugepages-1048576kB"),
		  W("2M"));

	report_free(&t->r);
	t->cfg.memory = 1536 * MiB;
	tc_hugepages(t, "hugepages-1048576kB", 4, 4, 0);
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "huge pages", REPORT_FAIL, W("1536 MiB", "not a multiple", "1 GiB"),
		  W("multiple of 1 GiB"));
}

/* (f) RLIMIT_MEMLOCK vs guest RAM, only with passthrough. */
static void test_resources_memlock(void **state)
{
	struct tc *t = *state;
	t->cfg.memory = 8 * GiB;
	t->env.memlock_limit = 64 * MiB;
	fh_write(t->h->proc, "self/status", "Name:\ttest\nCapEff:\t0000000000000000\n");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "locked memory", REPORT_OK, W("no passthrough"), NULL);

	report_free(&t->r);
	tc_pass(t, "0000:01:00");
	check_resources(&t->r, &t->env, &t->cfg);
	unsigned long long kib = 9 * GiB / KiB;   /* RAM and a GiB of headroom */
	char fix[64];
	fh_fmt(fix, sizeof(fix), "memlock %llu", kib);
	tc_expect(&t->r, "locked memory", REPORT_FAIL, W("64 MiB", "8 GiB"),
		  W(fix, "limits.conf", "LimitMEMLOCK"));

	report_free(&t->r);
	t->env.memlock_limit = 16 * GiB;
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "locked memory", REPORT_OK, W("16 GiB covers the 8 GiB"), NULL);

	/* CAP_IPC_LOCK (bit 14 of CapEff) lifts the limit. */
	report_free(&t->r);
	t->env.memlock_limit = 64 * MiB;
	fh_write(t->h->proc, "self/status", "Name:\ttest\nCapEff:\t0000000000004000\n");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "locked memory", REPORT_OK, W("CAP_IPC_LOCK"), NULL);
}

static void tc_pin(struct tc *t, const char *vcpus, const char *other)
{
	assert_int_equal(cpuset_parse(vcpus, &t->cfg.pin_vcpus, NULL), 0);
	t->cfg.cpus = t->cfg.pin_vcpus.n;
	if (other)
		assert_int_equal(cpuset_parse(other, &t->cfg.pin_other, NULL), 0);
}

/* (f) isolcpus / nohz_full vs the pin set. */
static void test_resources_isolation(void **state)
{
	struct tc *t = *state;
	fh_write(t->h->sys, "devices/system/cpu/online", "0-7\n");
	fh_write(t->h->sys, "devices/system/cpu/isolated", "2-5\n");
	fh_write(t->h->sys, "devices/system/cpu/nohz_full", "2-5\n");
	tc_pin(t, "2-5", "0-1");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU pinning", REPORT_OK, W("vCPUs on 2-5", "VMM threads on 0-1"), NULL);
	tc_expect(&t->r, "CPU isolation", REPORT_OK, W("2-5"), NULL);

	report_free(&t->r);
	fh_write(t->h->sys, "devices/system/cpu/isolated", "2-3\n");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU isolation", REPORT_WARN, W("4-5", "isolated: 2-3"),
		  W("isolcpus=managed_irq,domain,2-5", "nohz_full=2-5"));

	/* Real sysfs shows an empty line when nothing is isolated. */
	report_free(&t->r);
	fh_write(t->h->sys, "devices/system/cpu/isolated", "\n");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU isolation", REPORT_WARN, W("2-5", "isolated: none"), W("isolcpus"));

	report_free(&t->r);
	fh_write(t->h->sys, "devices/system/cpu/isolated", "2-5\n");
	fh_write(t->h->sys, "devices/system/cpu/nohz_full", "\n");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU isolation", REPORT_WARN, W("timer tick", "nohz_full: none"),
		  W("nohz_full=2-5"));

	/* A kernel without NO_HZ_FULL has no nohz_full file: isolcpus is enough. */
	report_free(&t->r);
	fh_remove(t->h->sys, "devices/system/cpu/nohz_full");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU isolation", REPORT_OK, W("2-5", "no nohz_full"), NULL);
	report_free(&t->r);
	fh_write(t->h->sys, "devices/system/cpu/isolated", "2\n");
	check_resources(&t->r, &t->env, &t->cfg);
	const struct report_line *l = tc_expect(&t->r, "CPU isolation", REPORT_WARN, W("3-5"),
						W("isolcpus=managed_irq,domain,2-5"));
	assert_null(strstr(l->fix, "nohz_full"));
}

static void test_resources_pinning(void **state)
{
	struct tc *t = *state;
	fh_write(t->h->sys, "devices/system/cpu/online", "0-7\n");
	fh_write(t->h->sys, "devices/system/cpu/isolated", "\n");
	tc_pin(t, "6-9", NULL);
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU pinning", REPORT_FAIL, W("8-9", "not online", "online: 0-7"),
		  W("lscpu"));

	report_free(&t->r);
	tc_pin(t, "2-5", "0-2");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU pinning", REPORT_WARN, W("share CPUs 2"), W("outside 2-5"));

	report_free(&t->r);
	tc_pin(t, "2,2,3,3", "0");
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU pinning", REPORT_WARN, W("4 vCPUs share 2 host CPUs (2-3)"), NULL);

	report_free(&t->r);
	t->cfg.pin_vcpus.n = 0;
	check_resources(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "CPU pinning", REPORT_OK, W("not pinned"), NULL);
	assert_false(tc_has(&t->r, "CPU isolation"));
}

/* (f) space for the display's shm file. */
static void test_resources_shm(void **state)
{
	struct tc *t = *state;
	char path[PATH_MAX];
	fh_fmt(path, sizeof(path), "%s/shm/passvm-test", t->h->top);
	fh_mkdir(t->h->top, "shm");
	*display_config(&t->cfg) = (struct display_config){ .enabled = true, .shm_path = path,
						  .shm_size = 1ull << 50 };
	check_profile(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "display shm", REPORT_FAIL, W(path, "needs 1024 TiB"), W("free space"));

	/* What fits: OK on a tmpfs, else a WARN about the page cache. */
	report_free(&t->r);
	display_config(&t->cfg)->shm_size = 32 * MiB;
	struct statfs fs;
	assert_int_equal(statfs(t->h->top, &fs), 0);
	check_profile(&t->r, &t->env, &t->cfg);
	if (fs.f_type == 0x01021994)
		tc_expect(&t->r, "display shm", REPORT_OK, W("32 MiB"), NULL);
	else
		tc_expect(&t->r, "display shm", REPORT_WARN, W("not on a tmpfs"), W("/dev/shm"));

	report_free(&t->r);
	fh_fmt(path, sizeof(path), "%s/no-such-dir/passvm-test", t->h->top);
	check_profile(&t->r, &t->env, &t->cfg);
	tc_expect(&t->r, "display shm", REPORT_FAIL, W("cannot create", "No such file"),
		  W("/dev/shm"));

	/* No display: no line. */
	report_free(&t->r);
	display_config(&t->cfg)->enabled = false;
	check_profile(&t->r, &t->env, &t->cfg);
	assert_false(tc_has(&t->r, "display shm"));
}

/* check_profile: devices and resources together on a ready host. */
static void test_profile_all_ok(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_root_port(t->h, "0000:00:01.0", 2);
	fh_pci_add(t->h, &(struct fh_pci){ "0000:00:02.0", 0x8086, 0x1901, 0x030000, 0x00, "i915",
					   0, "flr", 1 });
	fh_nvidia_card(t->h, "vfio-pci", 1);
	fh_write(t->h->sys, "devices/system/cpu/online", "0-7\n");
	fh_write(t->h->sys, "devices/system/cpu/isolated", "2-7\n");
	fh_write(t->h->sys, "devices/system/cpu/nohz_full", "2-7\n");
	tc_hugepages(t, "hugepages-2048kB", 2048, 2048, 0);
	tc_pass(t, "0000:01:00");
	tc_pin(t, "2-7", "0-1");
	t->cfg.memory = 4 * GiB;
	t->cfg.hugepages = GMEM_HUGE_2M;
	check_host(&t->r, &t->env);
	check_profile(&t->r, &t->env, &t->cfg);
	assert_int_equal(report_count(&t->r, REPORT_WARN), 0);
	assert_int_equal(report_count(&t->r, REPORT_FAIL), 0);
	tc_expect(&t->r, "IOMMU group 1", REPORT_OK, NULL, NULL);
}

/* ---- the command -------------------------------------------------------------- */

/* Run check_command with stdout in a file; returns its status, *text the output. */
static int tc_command(struct tc *t, const char *profile, char **text)
{
	char out[PATH_MAX];
	fh_fmt(out, sizeof(out), "%s/check.out", t->h->top);
	assert_int_equal(setenv("PASSVM_SYSFS_ROOT", t->h->sys, 1), 0);
	assert_int_equal(setenv("PASSVM_PROC_ROOT", t->h->proc, 1), 0);
	assert_int_equal(setenv("PASSVM_KVM_DEV", t->kvm, 1), 0);
	assert_int_equal(setenv("PASSVM_PCI_IDS", t->h->ids, 1), 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	char *argv[] = { (char *)"check", (char *)profile, NULL };
	int status = check_command(profile ? 2 : 1, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	unsetenv("PASSVM_SYSFS_ROOT");
	unsetenv("PASSVM_PROC_ROOT");
	unsetenv("PASSVM_KVM_DEV");
	unsetenv("PASSVM_PCI_IDS");
	FILE *f = fopen(out, "re");
	assert_non_null(f);
	*text = calloc(1, 65536);
	assert_non_null(*text);
	(void)!fread(*text, 1, 65535, f);
	fclose(f);
	return status;
}

static void tc_output_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("output lacks '%s':\n%s", want, text);
}

/* 8 P-cores with SMT (CPUs 0-15) and 8 E-cores (16-23), one L3. */
static void tc_hybrid_cpus(struct fake_host *h)
{
	char sib[16];
	fh_write(h->sys, "devices/system/cpu/online", "0-23\n");
	for (unsigned c = 0; c < 24; c++) {
		if (c < 16)
			fh_fmt(sib, sizeof(sib), "%u-%u", c & ~1u, c | 1u);
		else
			fh_fmt(sib, sizeof(sib), "%u", c);
		fh_cpu(h, c, sib, c < 16 ? c / 2 : c, 0, "0-23");
	}
	fh_write(h->sys, "devices/cpu_core/cpus", "0-15\n");
	fh_write(h->sys, "devices/cpu_atom/cpus", "16-23\n");
}

/* `passvm check PROFILE` end to end: pin = auto is resolved before the checks. */
static void test_command_profile(void **state)
{
	struct tc *t = *state;
	fh_ready_host(t->h);
	fh_write(t->h->proc, "self/status", "Name:\ttest\nCapEff:\t0000000000004000\n");
	fh_nvidia_card(t->h, "vfio-pci", 1);
	tc_hybrid_cpus(t->h);
	fh_write(t->h->sys, "devices/system/cpu/isolated", "2-13\n");
	fh_write(t->h->sys, "devices/system/cpu/nohz_full", "2-13\n");
	tc_hugepages(t, "hugepages-2048kB", 2048, 2048, 0);
	fh_write(t->h->top, "vm.ini", "[machine]\nname = gamer\nmemory = 4G\nhugepages = 2M\n"
		 "[cpu]\nvcpus = 12\npin = auto\ntopology = auto\nemulator-pin = auto\n"
		 "[passthrough.gpu]\naddress = 0000:01:00\n");
	char profile[PATH_MAX], *text;
	fh_fmt(profile, sizeof(profile), "%s/vm.ini", t->h->top);
	int status = tc_command(t, profile, &text);
	tc_output_has(text, "passvm check: profile gamer\n");
	tc_output_has(text, "OK    CPU pinning");
	tc_output_has(text, "vCPUs on 2-13, VMM threads on 0-1,14-23");
	tc_output_has(text, "OK    CPU isolation");
	tc_output_has(text, "OK    IOMMU group 1");
	tc_output_has(text, "0 FAIL: gamer can start");
	assert_int_equal(status, 0);
	free(text);

	/* 9 two-thread cores do not fit on 8 P-cores: the profile cannot start. */
	fh_write(t->h->top, "vm.ini", "[machine]\nname = gamer\nmemory = 4G\n"
		 "[cpu]\nvcpus = 18\npin = auto\ntopology = auto\n");
	status = tc_command(t, profile, &text);
	tc_output_has(text, "FAIL  CPU settings");
	tc_output_has(text, "P-cores");
	tc_output_has(text, "gamer cannot start");
	assert_int_equal(status, 1);
	free(text);

	/* Without a profile: the host alone. */
	status = tc_command(t, NULL, &text);
	tc_output_has(text, "passvm check: this host\n");
	tc_output_has(text, "this host is ready for passthrough");
	assert_null(strstr(text, "CPU pinning"));
	assert_int_equal(status, 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_print),
#define T(name) cmocka_unit_test_setup_teardown(name, tc_setup, tc_teardown)
		T(test_host_ready),
		T(test_host_no_virt_no_kvm),
		T(test_iommu_not_on_cmdline),
		T(test_iommu_off_in_firmware),
		T(test_iommu_cmdline_last_wins),
		T(test_iommu_amd_and_no_groups),
		T(test_intremap),
		T(test_vfio_modules_missing),
		T(test_env_init),
		T(test_devices_clean_group),
		T(test_devices_group_with_sata),
		T(test_devices_bridge_without_config),
		T(test_devices_sibling_left_out),
		T(test_devices_nvidia_driver),
		T(test_devices_amdgpu_reset_bug),
		T(test_devices_reset_methods),
		T(test_devices_rebar),
		T(test_resources_input),
		T(test_resources_hyperv),
		T(test_resources_vfio_backend),
		T(test_devices_missing_and_broken),
		T(test_devices_no_group),
		T(test_devices_romfile),
		T(test_resources_hugepages),
		T(test_resources_memlock),
		T(test_resources_isolation),
		T(test_resources_pinning),
		T(test_resources_shm),
		T(test_profile_all_ok),
		T(test_command_profile),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
