// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio/bind.c on a fake sysfs tree: binding to vfio-pci writes the restore
 * record before any sysfs write, restoring replays a record, a vanished or
 * replaced device is a clear error that keeps the record, a device already on
 * vfio-pci needs nothing. The fake tree's attributes are plain files, so each
 * one holds the last value written to it; it cannot play the kernel (no
 * driver link changes), which is why vfio_bind_check() is tested on its own.
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
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vfio/bind.h"

#define BDF "0000:01:00.0"

/* ---- a small fake tree ---------------------------------------------------- */

struct tree {
	char root[64];          /* mkdtemp */
	char sys[128];          /* root/sys */
	char state[128];        /* root/state (not created: bind makes it) */
	struct vfio_host_addr addr;
};

static void tree_path(char *buf, const char *base, const char *fmt, va_list ap)
{
	char rel[PATH_MAX];
	vsnprintf(rel, sizeof(rel), fmt, ap);
	assert_true((size_t)snprintf(buf, PATH_MAX, "%s/%s", base, rel) < PATH_MAX);
}

/* mkdir -p of the parent folder of path */
static void tree_mkparents(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
		*s = '/';
	}
}

__attribute__((format(printf, 3, 4)))
static void tree_put(const struct tree *t, const char *val, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	tree_path(path, t->sys, fmt, ap);
	va_end(ap);
	tree_mkparents(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(val, f);
	fclose(f);
}

/* The whole file as written (newlines kept); "<missing>" when absent. */
__attribute__((format(printf, 2, 3)))
static const char *tree_get(const struct tree *t, const char *fmt, ...)
{
	static char buf[256];
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	tree_path(path, t->sys, fmt, ap);
	va_end(ap);
	FILE *f = fopen(path, "r");
	if (!f)
		return "<missing>";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A driver folder with empty bind/unbind files (what a write leaves shows). */
static void tree_driver(const struct tree *t, const char *drv)
{
	tree_put(t, "", "bus/pci/drivers/%s/bind", drv);
	tree_put(t, "", "bus/pci/drivers/%s/unbind", drv);
}

/* A device bound to drv (NULL: none) with the given driver_override. */
static void tree_device(const struct tree *t, const char *bdf, const char *drv,
			const char *override)
{
	tree_put(t, "0x10de\n", "bus/pci/devices/%s/vendor", bdf);
	tree_put(t, "0x2684\n", "bus/pci/devices/%s/device", bdf);
	tree_put(t, "0x030000\n", "bus/pci/devices/%s/class", bdf);
	tree_put(t, override, "bus/pci/devices/%s/driver_override", bdf);
	if (!drv)
		return;
	tree_driver(t, drv);
	char link[PATH_MAX], target[PATH_MAX];
	snprintf(link, sizeof(link), "%s/bus/pci/devices/%s/driver", t->sys, bdf);
	snprintf(target, sizeof(target), "%s/bus/pci/drivers/%s", t->sys, drv);
	unlink(link);
	assert_int_equal(symlink(target, link), 0);
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	snprintf(t->root, sizeof(t->root), "/tmp/passvm-test-bind.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->state, sizeof(t->state), "%s/state", t->root);
	tree_put(t, "", "bus/pci/drivers_probe");
	tree_driver(t, "vfio-pci");
	assert_int_equal(vfio_host_addr_parse(BDF, &t->addr, NULL, NULL), 0);
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static bool record_exists(const struct tree *t, const struct vfio_host_addr *a)
{
	char path[PATH_MAX];
	assert_int_equal(vfio_bind_record_path(t->state, a, path, sizeof(path)), 0);
	return access(path, F_OK) == 0;
}

static void record_read(const struct tree *t, struct vfio_bind_record *r)
{
	char path[PATH_MAX];
	struct error err = { "" };
	assert_int_equal(vfio_bind_record_path(t->state, &t->addr, path, sizeof(path)), 0);
	assert_int_equal(vfio_bind_record_read(path, r, &err), 0);
}

/* ---- bind ----------------------------------------------------------------- */

static void test_plan(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, "nvidia", "");
	struct vfio_bind_record rec;
	struct error err = { "" };
	assert_int_equal(vfio_bind_plan(t->sys, &t->addr, &rec, &err), 0);
	assert_string_equal(rec.driver, "nvidia");
	assert_string_equal(rec.driver_override, "");
	assert_int_equal(rec.vendor, 0x10de);
	assert_int_equal(rec.device, 0x2684);
}

/* The record comes first: when it cannot be written, sysfs stays untouched. */
static void test_record_before_sysfs_write(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, "nvidia", "");
	char blocker[PATH_MAX];
	snprintf(blocker, sizeof(blocker), "%s/not-a-folder", t->root);
	FILE *f = fopen(blocker, "w");
	assert_non_null(f);
	fclose(f);
	char bad_state[PATH_MAX + 8];
	snprintf(bad_state, sizeof(bad_state), "%s/state", blocker);

	bool changed = true;
	struct error err = { "" };
	assert_int_equal(vfio_bind_device(t->sys, bad_state, &t->addr, &changed, &err), -1);
	assert_false(changed);
	assert_non_null(strstr(err.msg, "PASSVM_STATE_DIR"));
	assert_non_null(strstr(err.msg, BDF));
	assert_string_equal(tree_get(t, "bus/pci/devices/" BDF "/driver_override"), "");
	assert_string_equal(tree_get(t, "bus/pci/drivers/nvidia/unbind"), "");
	assert_string_equal(tree_get(t, "bus/pci/drivers_probe"), "");
}

static void test_bind_writes(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, "nvidia", "");
	bool changed = false;
	struct error err = { "" };
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), 0);
	assert_true(changed);
	struct vfio_bind_record r;
	record_read(t, &r);
	assert_string_equal(r.driver, "nvidia");
	assert_true(vfio_host_addr_eq(&r.addr, &t->addr));
	assert_string_equal(tree_get(t, "bus/pci/devices/" BDF "/driver_override"), "vfio-pci");
	assert_string_equal(tree_get(t, "bus/pci/drivers/nvidia/unbind"), BDF);
	assert_string_equal(tree_get(t, "bus/pci/drivers_probe"), BDF);
	/* The fake kernel did not move the driver link: the check says so. */
	assert_int_equal(vfio_bind_check(t->sys, &t->addr, &err), -1);
	assert_non_null(strstr(err.msg, "vfio-pci did not take " BDF));
	assert_non_null(strstr(err.msg, "nvidia"));
}

static void test_already_on_vfio(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, "vfio-pci", "vfio-pci");
	bool changed = true;
	struct error err = { "" };
	assert_int_equal(vfio_bind(t->sys, t->state, &t->addr, &changed, &err), 0);
	assert_false(changed);
	assert_false(record_exists(t, &t->addr));
	assert_string_equal(tree_get(t, "bus/pci/drivers/vfio-pci/unbind"), "");
	assert_string_equal(tree_get(t, "bus/pci/drivers_probe"), "");
}

static void test_unbound_device(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, NULL, "");
	bool changed = false;
	struct error err = { "" };
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), 0);
	assert_true(changed);
	struct vfio_bind_record r;
	record_read(t, &r);
	assert_string_equal(r.driver, "");
	assert_string_equal(tree_get(t, "bus/pci/drivers_probe"), BDF);
}

static void test_vfio_pci_not_loaded(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, "nvidia", "");
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/bus/pci/drivers/vfio-pci'", t->sys);
	assert_int_equal(system(cmd), 0);
	bool changed = true;
	struct error err = { "" };
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), -1);
	assert_non_null(strstr(err.msg, "modprobe vfio-pci"));
	assert_false(record_exists(t, &t->addr));
}

static void test_missing_device(void **state)
{
	struct tree *t = *state;
	bool changed = true;
	struct error err = { "" };
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), -1);
	assert_non_null(strstr(err.msg, BDF));
	assert_false(record_exists(t, &t->addr));
}

/* A crash mid-bind left override=vfio-pci and a record: the old record wins. */
static void test_earlier_record_kept(void **state)
{
	struct tree *t = *state;
	struct vfio_bind_record old = { .addr = t->addr, .vendor = 0x10de, .device = 0x2684 };
	snprintf(old.driver, sizeof(old.driver), "nouveau");
	struct error err = { "" };
	assert_int_equal(vfio_bind_record_write(t->state, &old, &err), 0);
	tree_device(t, BDF, NULL, "vfio-pci");
	bool changed = false;
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), 0);
	struct vfio_bind_record r;
	record_read(t, &r);
	assert_string_equal(r.driver, "nouveau");
	assert_string_equal(r.driver_override, "");
}

/* A sysfs write fails half-way: what was written is undone, the record goes. */
static void test_failed_write_rolls_back(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, "nvidia", "");
	char unbind[PATH_MAX];
	snprintf(unbind, sizeof(unbind), "%s/bus/pci/drivers/nvidia/unbind", t->sys);
	assert_int_equal(unlink(unbind), 0);
	bool changed = false;
	struct error err = { "" };
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), -1);
	assert_non_null(strstr(err.msg, "unbinding " BDF " from nvidia"));
	assert_string_equal(tree_get(t, "bus/pci/devices/" BDF "/driver_override"), "\n");
	assert_false(record_exists(t, &t->addr));
}

/* ---- restore -------------------------------------------------------------- */

static void write_record(const struct tree *t, const char *bdf, const char *drv,
			 const char *override)
{
	struct vfio_bind_record r = { .vendor = 0x10de, .device = 0x2684 };
	assert_int_equal(vfio_host_addr_parse(bdf, &r.addr, NULL, NULL), 0);
	snprintf(r.driver, sizeof(r.driver), "%s", drv);
	snprintf(r.driver_override, sizeof(r.driver_override), "%s", override);
	struct error err = { "" };
	assert_int_equal(vfio_bind_record_write(t->state, &r, &err), 0);
}

static char *log_text(FILE *log)
{
	static char buf[1024];
	fflush(log);
	rewind(log);
	size_t n = fread(buf, 1, sizeof(buf) - 1, log);
	buf[n] = '\0';
	return buf;
}

static void test_restore_from_record(void **state)
{
	struct tree *t = *state;
	write_record(t, BDF, "nvidia", "");
	tree_device(t, BDF, "vfio-pci", "vfio-pci");
	tree_driver(t, "nvidia");
	FILE *log = tmpfile();
	assert_non_null(log);
	struct error err = { "" };
	assert_int_equal(vfio_bind_restore_all(t->sys, t->state, log, &err), 1);
	assert_string_equal(tree_get(t, "bus/pci/devices/" BDF "/driver_override"), "\n");
	assert_string_equal(tree_get(t, "bus/pci/drivers/vfio-pci/unbind"), BDF);
	assert_string_equal(tree_get(t, "bus/pci/drivers/nvidia/bind"), BDF);
	assert_string_equal(tree_get(t, "bus/pci/drivers_probe"), "");
	assert_false(record_exists(t, &t->addr));
	assert_non_null(strstr(log_text(log), BDF ": restored to nvidia"));
	fclose(log);
	/* Nothing left: a second run has nothing to do. */
	assert_int_equal(vfio_bind_restore_all(t->sys, t->state, NULL, &err), 0);
	assert_int_equal(vfio_bind_restore(t->sys, t->state, &t->addr, NULL, &err), 1);
}

/* The old driver's module is gone: the kernel picks one (drivers_probe). */
static void test_restore_probe_fallback(void **state)
{
	struct tree *t = *state;
	write_record(t, BDF, "nvidia", "pci-stub");
	tree_device(t, BDF, "vfio-pci", "vfio-pci");
	struct error err = { "" };
	assert_int_equal(vfio_bind_restore(t->sys, t->state, &t->addr, NULL, &err), 0);
	assert_string_equal(tree_get(t, "bus/pci/devices/" BDF "/driver_override"), "pci-stub");
	assert_string_equal(tree_get(t, "bus/pci/drivers/vfio-pci/unbind"), BDF);
	assert_string_equal(tree_get(t, "bus/pci/drivers_probe"), BDF);
	assert_false(record_exists(t, &t->addr));
}

static void test_restore_device_vanished(void **state)
{
	struct tree *t = *state;
	write_record(t, "0000:05:00.0", "amdgpu", "");
	write_record(t, BDF, "nvidia", "");
	tree_device(t, BDF, "vfio-pci", "vfio-pci");
	tree_driver(t, "nvidia");
	FILE *log = tmpfile();
	assert_non_null(log);
	struct error err = { "" };
	/* The other device is still restored; the gone one is an error. */
	assert_int_equal(vfio_bind_restore_all(t->sys, t->state, log, &err), -1);
	assert_non_null(strstr(err.msg, "0000:05:00.0"));
	assert_non_null(strstr(err.msg, "gone"));
	assert_non_null(strstr(err.msg, "amdgpu"));
	assert_non_null(strstr(err.msg, "vfio-bind/0000:05:00.0"));
	assert_non_null(strstr(log_text(log), BDF ": restored to nvidia"));
	fclose(log);
	struct vfio_host_addr gone;
	assert_int_equal(vfio_host_addr_parse("0000:05:00.0", &gone, NULL, NULL), 0);
	assert_true(record_exists(t, &gone));
	assert_false(record_exists(t, &t->addr));
}

static void test_restore_other_device(void **state)
{
	struct tree *t = *state;
	write_record(t, BDF, "nvidia", "");
	tree_device(t, BDF, "vfio-pci", "vfio-pci");
	tree_put(t, "0x1002\n", "bus/pci/devices/" BDF "/vendor");
	struct error err = { "" };
	assert_int_equal(vfio_bind_restore(t->sys, t->state, &t->addr, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "different device"));
	assert_true(record_exists(t, &t->addr));
	assert_string_equal(tree_get(t, "bus/pci/drivers/vfio-pci/unbind"), "");
}

/* Rebound by hand since: only the override is put back, the driver left alone. */
static void test_restore_rebound_by_hand(void **state)
{
	struct tree *t = *state;
	write_record(t, BDF, "nvidia", "");
	tree_device(t, BDF, "nouveau", "vfio-pci");
	tree_driver(t, "nvidia");
	struct error err = { "" };
	assert_int_equal(vfio_bind_restore(t->sys, t->state, &t->addr, NULL, &err), 0);
	assert_string_equal(tree_get(t, "bus/pci/drivers/nouveau/unbind"), "");
	assert_string_equal(tree_get(t, "bus/pci/drivers/nvidia/bind"), "");
	assert_false(record_exists(t, &t->addr));
}

static void test_damaged_record(void **state)
{
	struct tree *t = *state;
	write_record(t, BDF, "nvidia", "");
	char path[PATH_MAX];
	assert_int_equal(vfio_bind_record_path(t->state, &t->addr, path, sizeof(path)), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("driver=nvidia\nids=zz\n", f);
	fclose(f);
	struct error err = { "" };
	assert_int_equal(vfio_bind_restore_all(t->sys, t->state, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_true(record_exists(t, &t->addr));
}

/* A record written, then read back: every field survives. */
static void test_record_round_trip(void **state)
{
	struct tree *t = *state;
	write_record(t, BDF, "snd_hda_intel", "pci-stub");
	struct vfio_bind_record r;
	record_read(t, &r);
	assert_string_equal(r.driver, "snd_hda_intel");
	assert_string_equal(r.driver_override, "pci-stub");
	assert_int_equal(r.vendor, 0x10de);
	assert_int_equal(r.device, 0x2684);
	/* No temp file left beside it for restore_all to trip over. */
	char tmp[PATH_MAX + 8];
	assert_int_equal(vfio_bind_record_path(t->state, &t->addr, tmp, PATH_MAX), 0);
	strcat(tmp, ".tmp");
	assert_int_not_equal(access(tmp, F_OK), 0);
}

static void test_state_dir_env(void **state)
{
	(void)state;
	setenv("PASSVM_STATE_DIR", "/tmp/x", 1);
	assert_string_equal(vfio_bind_state_dir(), "/tmp/x");
	unsetenv("PASSVM_STATE_DIR");
	assert_string_equal(vfio_bind_state_dir(), "/run/passvm");
}

/* ---- the owner ------------------------------------------------------------- */

/* Binding records this process (PID + start time) as the device's owner. */
static void test_record_owner(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, "nvidia", "");
	bool changed = false;
	struct error err = { "" };
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), 0);
	struct vfio_bind_record r;
	record_read(t, &r);
	assert_int_equal(r.owner_pid, (int)getpid());
	assert_true(r.owner_start > 0);
	assert_true(vfio_bind_owner_alive(&r));
	r.owner_start++;               /* the PID, recycled by another process */
	assert_false(vfio_bind_owner_alive(&r));
	r.owner_pid = 0;               /* records of older versions: dead */
	assert_false(vfio_bind_owner_alive(&r));
}

/* Field 22 of /proc/PID/stat, read the plain way (the code under test has its own). */
static unsigned long long proc_start(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	unsigned long long start = 0;
	for (int tries = 0; tries < 1000 && !start; tries++) {
		FILE *f = fopen(path, "r");
		if (!f) {
			usleep(1000);
			continue;
		}
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *p = strrchr(buf, ')');
		assert_non_null(p);
		assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
					"%*d %*d %*d %*d %*d %*d %llu", &start), 1);
	}
	return start;
}

static void write_owned_record(const struct tree *t, int pid, unsigned long long start)
{
	struct vfio_bind_record r = { .vendor = 0x10de, .device = 0x2684, .owner_pid = pid,
				      .owner_start = start };
	r.addr = t->addr;
	snprintf(r.driver, sizeof(r.driver), "nvidia");
	struct error err = { "" };
	assert_int_equal(vfio_bind_record_write(t->state, &r, &err), 0);
}

/* A live process that is not us, as a record's owner (kill it with child_end). */
static pid_t child_start(unsigned long long *start)
{
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	*start = proc_start(child);
	return child;
}

static void child_end(pid_t child)
{
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

/* restore_all (passvm restore, and every start) never takes a device from
 * another running passvm; a dead owner's device, or the caller's own, is
 * given back. */
static void test_restore_all_skips_live_owner(void **state)
{
	struct tree *t = *state;
	unsigned long long start;
	pid_t child = child_start(&start);
	write_owned_record(t, child, start);
	tree_device(t, BDF, "vfio-pci", "vfio-pci");
	tree_driver(t, "nvidia");
	FILE *log = tmpfile();
	struct error err = { "" };
	assert_int_equal(vfio_bind_restore_all(t->sys, t->state, log, &err), 0);
	assert_true(record_exists(t, &t->addr));
	assert_string_equal(tree_get(t, "bus/pci/drivers/vfio-pci/unbind"), "");
	char want[64];
	snprintf(want, sizeof(want), "in use by passvm PID %d", child);
	assert_non_null(strstr(log_text(log), want));
	fclose(log);

	write_owned_record(t, child, start + 1); /* owner died, PID reused */
	assert_int_equal(vfio_bind_restore_all(t->sys, t->state, NULL, &err), 1);
	assert_false(record_exists(t, &t->addr));
	assert_string_equal(tree_get(t, "bus/pci/drivers/nvidia/bind"), BDF);

	struct vfio_bind_record me;
	vfio_bind_owner_self(&me);
	write_owned_record(t, me.owner_pid, me.owner_start);
	assert_int_equal(vfio_bind_restore_all(t->sys, t->state, NULL, &err), 1);
	assert_false(record_exists(t, &t->addr));
	child_end(child);
}

/* Binding a device whose record belongs to a running passvm is refused
 * before any sysfs write; a dead owner's record is taken over (driver kept). */
static void test_bind_live_owner_refused(void **state)
{
	struct tree *t = *state;
	tree_device(t, BDF, "nvidia", "");
	struct vfio_bind_record me;
	vfio_bind_owner_self(&me);
	int parent = (int)getppid();
	write_owned_record(t, parent, 0);
	bool changed = false;
	struct error err = { "" };
	/* start 0 = unknown = dead: taken over, owner becomes us, driver kept. */
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), 0);
	struct vfio_bind_record r;
	record_read(t, &r);
	assert_int_equal(r.owner_pid, me.owner_pid);
	assert_string_equal(r.driver, "nvidia");

	/* A live owner that is not us: refused, nothing written to sysfs. */
	unsigned long long start;
	pid_t child = child_start(&start);
	struct vfio_bind_record other = { .owner_pid = child, .owner_start = start };
	assert_true(vfio_bind_owner_alive(&other));
	write_owned_record(t, child, other.owner_start);
	tree_put(t, "", "bus/pci/devices/" BDF "/driver_override");
	assert_int_equal(vfio_bind_device(t->sys, t->state, &t->addr, &changed, &err), -1);
	char want[64];
	snprintf(want, sizeof(want), "running passvm (PID %d)", child);
	assert_non_null(strstr(err.msg, want));
	assert_string_equal(tree_get(t, "bus/pci/devices/" BDF "/driver_override"), "");
	child_end(child);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, tree_setup, tree_teardown)
	const struct CMUnitTest tests[] = {
		T(test_plan),
		T(test_record_before_sysfs_write),
		T(test_bind_writes),
		T(test_already_on_vfio),
		T(test_unbound_device),
		T(test_vfio_pci_not_loaded),
		T(test_missing_device),
		T(test_earlier_record_kept),
		T(test_failed_write_rolls_back),
		T(test_restore_from_record),
		T(test_restore_probe_fallback),
		T(test_restore_device_vanished),
		T(test_restore_other_device),
		T(test_restore_rebound_by_hand),
		T(test_damaged_record),
		T(test_record_round_trip),
		T(test_record_owner),
		T(test_restore_all_skips_live_owner),
		T(test_bind_live_owner_refused),
		cmocka_unit_test(test_state_dir_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
