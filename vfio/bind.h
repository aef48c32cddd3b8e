/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Binding host devices to vfio-pci, and undoing it.
 *
 * Taking a device from its host driver must be undoable even when passvm
 * dies (crash, SIGKILL, power cut of the session): before the first sysfs
 * write, a restore record naming the device and its driver is written to
 * <state_dir>/vfio-bind/<DDDD:BB:SS.F> (state_dir: env PASSVM_STATE_DIR,
 * default /run/passvm). `passvm restore` replays the records left over.
 *
 * Binding, as the kernel documents it (Documentation/ABI/testing/sysfs-bus-pci):
 *   echo vfio-pci > <dev>/driver_override
 *   echo <bdf>    > <root>/bus/pci/drivers/<old>/unbind
 *   echo <bdf>    > <root>/bus/pci/drivers_probe
 * Restoring: clear driver_override (restore the old one, if any), unbind from
 * vfio-pci, bind to the remembered driver (drivers_probe when it has no bind
 * file); a device that had no driver is left without one.
 *
 * Every path is under the sysfs root (vm_config.sysfs_root, "/sys"), so the
 * tests run on a fake tree where these writes land in plain files; such a
 * tree cannot play the kernel, so vfio_bind_device() only writes and
 * vfio_bind_check() then asks sysfs whether vfio-pci took the device.
 */
#ifndef PASSVM_VFIO_BIND_H
#define PASSVM_VFIO_BIND_H

#include <stdbool.h>
#include <stdio.h>

#include "vfio/host.h"

#define VFIO_BIND_STATE_DIR "/run/passvm"

/* What a device was bound to before passvm took it. */
struct vfio_bind_record {
	struct vfio_host_addr addr;
	uint16_t vendor, device;                   /* to notice a different device later */
	char driver[VFIO_HOST_NAME_LEN];           /* "" when it had none */
	char driver_override[VFIO_HOST_NAME_LEN];  /* "" when not set */
	/* The passvm that holds the device: its PID and start time (field 22 of
	 * /proc/PID/stat, so a recycled PID is not mistaken for it); 0: unknown
	 * (records of older passvm versions count as dead). */
	int owner_pid;
	unsigned long long owner_start;
};

/* Fill r's owner with this process. */
void vfio_bind_owner_self(struct vfio_bind_record *r);
/* Is the record's owner still running (same PID and start time)? */
bool vfio_bind_owner_alive(const struct vfio_bind_record *r);

/* env PASSVM_STATE_DIR, else VFIO_BIND_STATE_DIR. */
const char *vfio_bind_state_dir(void);

/* <state_dir>/vfio-bind/<addr>; -1 when it does not fit. */
int vfio_bind_record_path(const char *state_dir, const struct vfio_host_addr *a, char *buf,
			  size_t len);
/* Written atomically (temp file, fsync, rename) and durably (fsync of the folder). */
int vfio_bind_record_write(const char *state_dir, const struct vfio_bind_record *r,
			   struct error *err);
int vfio_bind_record_read(const char *path, struct vfio_bind_record *r, struct error *err);

/*
 * What binding `a` takes: 1 when it is on vfio-pci already (nothing to do),
 * 0 with *rec filled with its current driver, -1 when it cannot be done
 * (no such device, vfio-pci not loaded).
 */
int vfio_bind_plan(const char *sysfs, const struct vfio_host_addr *a,
		   struct vfio_bind_record *rec, struct error *err);

/*
 * Plan, write the record (owner: this process), then the sysfs writes above.
 * *changed: false when the device was on vfio-pci already (then no record).
 * A record left by an earlier, dead run is kept (it holds the driver from
 * before that run) and taken over; one whose owner lives is an error. On a failed
 * write, what was written is undone (best effort) and the record stays only
 * if undoing failed too.
 */
int vfio_bind_device(const char *sysfs, const char *state_dir, const struct vfio_host_addr *a,
		     bool *changed, struct error *err);
/* Is `a` now bound to vfio-pci (or a vendor variant)? */
int vfio_bind_check(const char *sysfs, const struct vfio_host_addr *a, struct error *err);
/* vfio_bind_device() then vfio_bind_check(): what start-up calls. */
int vfio_bind(const char *sysfs, const char *state_dir, const struct vfio_host_addr *a,
	      bool *changed, struct error *err);

/*
 * Give `a` back to the driver in its record and delete the record.
 * Returns 1 when there is no record (nothing to do). A device that vanished
 * or was replaced (other ids) is an error and its record is kept.
 * `log` (may be NULL) gets one line saying what was done.
 */
int vfio_bind_restore(const char *sysfs, const char *state_dir, const struct vfio_host_addr *a,
		      FILE *log, struct error *err);
/*
 * Every record in state_dir whose owner is dead: the number restored, or -1
 * when any failed (the others are still restored; err holds the first
 * failure, log all). Records of another running passvm are left alone
 * (logged); the caller's own are restored.
 */
int vfio_bind_restore_all(const char *sysfs, const char *state_dir, FILE *log,
			  struct error *err);

#endif
