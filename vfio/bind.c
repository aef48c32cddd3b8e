// SPDX-License-Identifier: GPL-2.0-only
#include "vfio/bind.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VFIO_BIND_DRIVER "vfio-pci"
#define VFIO_BIND_SUBDIR "vfio-bind"

const char *vfio_bind_state_dir(void)
{
	const char *s = getenv("PASSVM_STATE_DIR");
	return s && *s ? s : VFIO_BIND_STATE_DIR;
}

/* ---- sysfs writes -------------------------------------------------------- */

/*
 * One write() of the whole value, as sysfs wants. O_CREAT never: a missing
 * attribute means a missing driver or device, not a file to make.
 */
static int bind_sysfs_write(const char *path, const char *val, struct error *err)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return err_setf(err, "cannot open %s: %s", path, strerror(errno));
	size_t len = strlen(val);
	ssize_t n = write(fd, val, len);
	int e = errno;
	close(fd);
	if (n != (ssize_t)len)
		return err_setf(err, "writing '%s' to %s: %s", val[0] == '\n' ? "\\n" : val, path,
				n < 0 ? strerror(e) : "short write");
	return 0;
}

static int bind_dev_attr(char *buf, size_t len, const char *sysfs,
			 const struct vfio_host_addr *a, const char *attr)
{
	int n = snprintf(buf, len, "%s/bus/pci/devices/%s/%s", sysfs, vfio_host_addr_fmt(a).s, attr);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int bind_driver_attr(char *buf, size_t len, const char *sysfs, const char *driver,
			    const char *attr)
{
	int n = snprintf(buf, len, "%s/bus/pci/drivers/%s%s%s", sysfs, driver, *attr ? "/" : "",
			 attr);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int bind_write_override(const char *sysfs, const struct vfio_host_addr *a,
			       const char *drv, struct error *err)
{
	char path[PATH_MAX];
	if (bind_dev_attr(path, sizeof(path), sysfs, a, "driver_override"))
		return err_setf(err, "sysfs path too long");
	/* A lone newline clears driver_override. */
	return bind_sysfs_write(path, *drv ? drv : "\n", err);
}

/* echo <bdf> > <root>/bus/pci/drivers/<driver>/<attr> (bind or unbind) */
static int bind_driver_write(const char *sysfs, const char *driver, const char *attr,
			     const struct vfio_host_addr *a, struct error *err)
{
	char path[PATH_MAX];
	if (bind_driver_attr(path, sizeof(path), sysfs, driver, attr))
		return err_setf(err, "sysfs path too long");
	return bind_sysfs_write(path, vfio_host_addr_fmt(a).s, err);
}

static int bind_probe(const char *sysfs, const struct vfio_host_addr *a, struct error *err)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/bus/pci/drivers_probe", sysfs);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_setf(err, "sysfs path too long");
	return bind_sysfs_write(path, vfio_host_addr_fmt(a).s, err);
}

static bool bind_driver_loaded(const char *sysfs, const char *driver)
{
	char path[PATH_MAX];
	struct stat st;
	return !bind_driver_attr(path, sizeof(path), sysfs, driver, "") &&
	       stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- restore records ----------------------------------------------------- */

int vfio_bind_record_path(const char *state_dir, const struct vfio_host_addr *a, char *buf,
			  size_t len)
{
	int n = snprintf(buf, len, "%s/" VFIO_BIND_SUBDIR "/%s", state_dir,
			 vfio_host_addr_fmt(a).s);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int bind_mkdir(const char *path, struct error *err)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return err_setf(err, "cannot create %s for passvm's restore records: %s: set "
			"PASSVM_STATE_DIR to a writable folder", path, strerror(errno));
}

static int bind_record_dir(const char *state_dir, char *dir, size_t len, struct error *err)
{
	int n = snprintf(dir, len, "%s/" VFIO_BIND_SUBDIR, state_dir);
	if (n < 0 || (size_t)n >= len)
		return err_setf(err, "state folder path too long: %s", state_dir);
	if (bind_mkdir(state_dir, err) || bind_mkdir(dir, err))
		return -1;
	return 0;
}

static int bind_fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int bind_record_format(const struct vfio_bind_record *r, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "# passvm bound this device to vfio-pci; 'passvm restore' gives it back\n"
			 "address=%s\nids=%04x:%04x\ndriver=%s\ndriver_override=%s\n"
			 "owner=%d %llu\n",
			 vfio_host_addr_fmt(&r->addr).s, r->vendor, r->device, r->driver,
			 r->driver_override, r->owner_pid, r->owner_start);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int vfio_bind_record_write(const char *state_dir, const struct vfio_bind_record *r,
			   struct error *err)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8], text[512];
	if (bind_record_dir(state_dir, dir, sizeof(dir), err))
		return -1;
	int len = bind_record_format(r, text, sizeof(text));
	if (len < 0 || vfio_bind_record_path(state_dir, &r->addr, path, sizeof(path)))
		return err_setf(err, "restore record for %s too long", vfio_host_addr_fmt(&r->addr).s);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return err_setf(err, "cannot write the restore record %s: %s", tmp, strerror(errno));
	bool ok = fwrite(text, 1, (size_t)len, f) == (size_t)len && fflush(f) == 0 &&
		  fsync(fileno(f)) == 0;
	int e = errno;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		e = ok ? errno : e;
		unlink(tmp);
		return err_setf(err, "cannot write the restore record %s: %s", path, strerror(e));
	}
	/* The rename is durable only once the folder is synced. */
	bind_fsync_path(dir, O_RDONLY | O_DIRECTORY);
	return 0;
}

static void bind_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static int bind_record_line(struct vfio_bind_record *r, char *line, bool *have_addr)
{
	char *eq = strchr(line, '=');
	if (line[0] == '#' || !eq)
		return 0;
	*eq = '\0';
	const char *key = line, *val = eq + 1;
	if (!strcmp(key, "address")) {
		*have_addr = true;
		return vfio_host_addr_parse(val, &r->addr, NULL, NULL);
	}
	if (!strcmp(key, "ids")) {
		unsigned v, d;
		if (sscanf(val, "%4x:%4x", &v, &d) != 2)
			return -1;
		r->vendor = (uint16_t)v;
		r->device = (uint16_t)d;
	} else if (!strcmp(key, "driver")) {
		bind_copy(r->driver, sizeof(r->driver), val);
	} else if (!strcmp(key, "driver_override")) {
		bind_copy(r->driver_override, sizeof(r->driver_override), val);
	} else if (!strcmp(key, "owner")) {
		if (sscanf(val, "%d %llu", &r->owner_pid, &r->owner_start) != 2 || r->owner_pid < 0)
			return -1;
	}
	return 0;
}

int vfio_bind_record_read(const char *path, struct vfio_bind_record *r, struct error *err)
{
	memset(r, 0, sizeof(*r));
	FILE *f = fopen(path, "re");
	if (!f)
		return err_setf(err, "cannot read the restore record %s: %s", path, strerror(errno));
	char line[256];
	bool have_addr = false;
	int rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		rc = bind_record_line(r, line, &have_addr);
	}
	fclose(f);
	if (rc || !have_addr)
		return err_setf(err, "restore record %s is damaged: restore that device by hand "
				"(driver_override, drivers_probe), then delete the file", path);
	return 0;
}

/* ---- owner ---------------------------------------------------------------- */

/* Field 22 of /proc/PID/stat (after the command name, which may hold spaces). */
static unsigned long long bind_proc_start(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long long start = 0;
	/* After ")": each space found starts the next field, from field 3 (state). */
	for (int field = 3; p && field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (p && field == 22)
			start = strtoull(p + 1, NULL, 10);
	}
	return start;
}

void vfio_bind_owner_self(struct vfio_bind_record *r)
{
	r->owner_pid = (int)getpid();
	r->owner_start = bind_proc_start(r->owner_pid);
}

bool vfio_bind_owner_alive(const struct vfio_bind_record *r)
{
	if (r->owner_pid <= 0 || !r->owner_start)
		return false;
	return bind_proc_start(r->owner_pid) == r->owner_start;
}

/* ---- bind ---------------------------------------------------------------- */

int vfio_bind_plan(const char *sysfs, const struct vfio_host_addr *a,
		   struct vfio_bind_record *rec, struct error *err)
{
	struct vfio_host_device d;
	if (vfio_host_device_read(sysfs, a, &d, err))
		return -1;
	if (vfio_host_is_vfio_driver(d.driver))
		return 1;
	if (!bind_driver_loaded(sysfs, VFIO_BIND_DRIVER))
		return err_setf(err, "cannot bind %s to vfio-pci: the vfio-pci driver is not loaded "
				"(%s/bus/pci/drivers/vfio-pci is missing): modprobe vfio-pci",
				vfio_host_addr_fmt(a).s, sysfs);
	memset(rec, 0, sizeof(*rec));
	rec->addr = *a;
	rec->vendor = d.vendor;
	rec->device = d.device;
	bind_copy(rec->driver, sizeof(rec->driver), d.driver);
	/* A half-done bind left override=vfio-pci: that is not the device's own. */
	if (!vfio_host_is_vfio_driver(d.driver_override))
		bind_copy(rec->driver_override, sizeof(rec->driver_override), d.driver_override);
	return 0;
}

static int bind_apply(const char *sysfs, const struct vfio_bind_record *rec, struct error *err)
{
	if (bind_write_override(sysfs, &rec->addr, VFIO_BIND_DRIVER, err))
		return -1;
	if (rec->driver[0] && bind_driver_write(sysfs, rec->driver, "unbind", &rec->addr, err))
		return err_prefix(err, "unbinding %s from %s", vfio_host_addr_fmt(&rec->addr).s,
				  rec->driver);
	return bind_probe(sysfs, &rec->addr, err);
}

/* The record, once written, is the only undo information: keep it unless undone. */
static int bind_write_new_record(const char *state_dir, const struct vfio_bind_record *rec,
				 struct error *err)
{
	char path[PATH_MAX];
	if (vfio_bind_record_path(state_dir, &rec->addr, path, sizeof(path)))
		return err_setf(err, "state folder path too long: %s", state_dir);
	struct vfio_bind_record old;
	if (access(path, F_OK) == 0 && vfio_bind_record_read(path, &old, err) == 0) {
		if (vfio_bind_owner_alive(&old) && old.owner_pid != (int)getpid())
			return err_setf(err, "%s is held by a running passvm (PID %d): stop that VM "
					"first", vfio_host_addr_fmt(&rec->addr).s, old.owner_pid);
		/* An earlier, dead run's record knows the older driver: keep it. */
		vfio_bind_owner_self(&old);
		return vfio_bind_record_write(state_dir, &old, err);
	}
	if (access(path, F_OK) == 0)
		return -1;  /* damaged record: err says what to do */
	struct vfio_bind_record mine = *rec;
	vfio_bind_owner_self(&mine);
	return vfio_bind_record_write(state_dir, &mine, err);
}

int vfio_bind_device(const char *sysfs, const char *state_dir, const struct vfio_host_addr *a,
		     bool *changed, struct error *err)
{
	struct vfio_bind_record rec;
	*changed = false;
	int rc = vfio_bind_plan(sysfs, a, &rec, err);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (bind_write_new_record(state_dir, &rec, err))
		return err_prefix(err, "not binding %s to vfio-pci", vfio_host_addr_fmt(a).s);
	*changed = true;
	if (bind_apply(sysfs, &rec, err) == 0)
		return 0;
	err_prefix(err, "binding %s to vfio-pci", vfio_host_addr_fmt(a).s);
	struct error undo;
	if (vfio_bind_restore(sysfs, state_dir, a, NULL, &undo) < 0 && err) {
		char first[sizeof(err->msg)];
		memcpy(first, err->msg, sizeof(first));
		err_setf(err, "%s; undoing it failed too: %s", first, undo.msg);
	}
	return -1;
}

int vfio_bind_check(const char *sysfs, const struct vfio_host_addr *a, struct error *err)
{
	struct vfio_host_device d;
	if (vfio_host_device_read(sysfs, a, &d, err))
		return -1;
	if (!vfio_host_is_vfio_driver(d.driver))
		return err_setf(err, "vfio-pci did not take %s (its driver is now %s): see dmesg; "
				"'passvm restore' gives it back to its old driver",
				vfio_host_addr_fmt(a).s, d.driver[0] ? d.driver : "none");
	return 0;
}

int vfio_bind(const char *sysfs, const char *state_dir, const struct vfio_host_addr *a,
	      bool *changed, struct error *err)
{
	if (vfio_bind_device(sysfs, state_dir, a, changed, err))
		return -1;
	return vfio_bind_check(sysfs, a, err);
}

/* ---- restore ------------------------------------------------------------- */

static int restore_check_device(const char *sysfs, const struct vfio_bind_record *r,
				const char *path, struct vfio_host_device *d, struct error *err)
{
	const char *bdf = vfio_host_addr_fmt(&r->addr).s;
	if (!vfio_host_device_exists(sysfs, &r->addr))
		return err_setf(err, "cannot restore %s to %s: the device is gone (unplugged, or "
				"the bus was renumbered); its record %s is kept: delete it if the "
				"device is gone for good", bdf, r->driver[0] ? r->driver : "no driver",
				path);
	if (vfio_host_device_read(sysfs, &r->addr, d, err))
		return -1;
	if (d->vendor != r->vendor || d->device != r->device)
		return err_setf(err, "cannot restore %s: it is %04x:%04x now, the record %s is "
				"for %04x:%04x: a different device sits there; delete the record "
				"after checking", bdf, d->vendor, d->device, path, r->vendor,
				r->device);
	return 0;
}

/* Back to the old driver; a device that had none stays unbound. */
static int restore_rebind(const char *sysfs, const struct vfio_bind_record *r,
			  struct error *err)
{
	if (!r->driver[0])
		return 0;
	if (bind_driver_loaded(sysfs, r->driver) &&
	    bind_driver_write(sysfs, r->driver, "bind", &r->addr, err) == 0)
		return 0;
	/* Its module may be gone or renamed: let the kernel pick the driver. */
	return bind_probe(sysfs, &r->addr, err);
}

static int restore_apply(const char *sysfs, const struct vfio_bind_record *r,
			 const struct vfio_host_device *d, struct error *err)
{
	if (bind_write_override(sysfs, &r->addr, r->driver_override, err))
		return -1;
	/* Someone rebound it by hand since: only vfio-pci is ours to undo. */
	if (d->driver[0] && !vfio_host_is_vfio_driver(d->driver))
		return 0;
	if (d->driver[0] && bind_driver_write(sysfs, d->driver, "unbind", &r->addr, err))
		return -1;
	return restore_rebind(sysfs, r, err);
}

static int restore_record(const char *sysfs, const char *path, FILE *log, struct error *err)
{
	struct vfio_bind_record r;
	struct vfio_host_device d;
	if (vfio_bind_record_read(path, &r, err) ||
	    restore_check_device(sysfs, &r, path, &d, err))
		return -1;
	const char *bdf = vfio_host_addr_fmt(&r.addr).s;
	if (restore_apply(sysfs, &r, &d, err))
		return err_prefix(err, "restoring %s to %s (record %s kept)", bdf,
				  r.driver[0] ? r.driver : "no driver", path);
	if (unlink(path) < 0)
		return err_setf(err, "%s restored, but its record %s cannot be deleted: %s", bdf,
				path, strerror(errno));
	if (log)
		fprintf(log, "%s: restored to %s\n", bdf, r.driver[0] ? r.driver : "no driver");
	return 0;
}

int vfio_bind_restore(const char *sysfs, const char *state_dir, const struct vfio_host_addr *a,
		      FILE *log, struct error *err)
{
	char path[PATH_MAX];
	if (vfio_bind_record_path(state_dir, a, path, sizeof(path)))
		return err_setf(err, "state folder path too long: %s", state_dir);
	if (access(path, F_OK) < 0)
		return 1;
	return restore_record(sysfs, path, log, err);
}

/* Record names are addresses; anything else there (temp files) is not ours to replay. */
static bool restore_is_record_name(const char *name)
{
	struct vfio_host_addr a;
	bool slot;
	return vfio_host_addr_parse(name, &a, &slot, NULL) == 0 && !slot &&
	       !strcmp(vfio_host_addr_fmt(&a).s, name);
}

int vfio_bind_restore_all(const char *sysfs, const char *state_dir, FILE *log,
			  struct error *err)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	snprintf(dir, sizeof(dir), "%s/" VFIO_BIND_SUBDIR, state_dir);
	DIR *dh = opendir(dir);
	if (!dh)
		return errno == ENOENT ? 0 : err_setf(err, "cannot list %s: %s", dir, strerror(errno));
	int restored = 0, failed = 0;
	struct dirent *e;
	while ((e = readdir(dh))) {
		if (!restore_is_record_name(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct error one;
		struct vfio_bind_record r;
		/* Another live passvm's device is not ours to take; our own is. */
		if (vfio_bind_record_read(path, &r, NULL) == 0 && vfio_bind_owner_alive(&r) &&
		    r.owner_pid != (int)getpid()) {
			if (log)
				fprintf(log, "%s: in use by passvm PID %d, left alone\n", e->d_name,
					r.owner_pid);
			continue;
		}
		if (restore_record(sysfs, path, log, &one) == 0) {
			restored++;
			continue;
		}
		if (log)
			fprintf(log, "%s: %s\n", e->d_name, one.msg);
		if (!failed++ && err)
			*err = one;
	}
	closedir(dh);
	if (failed > 1)
		err_prefix(err, "%d devices not restored, the first", failed);
	return failed ? -1 : restored;
}
