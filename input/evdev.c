// SPDX-License-Identifier: GPL-2.0-only
/* Host evdev devices through libevdev (see evdev.h). */
#include "input/evdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libevdev/libevdev.h>

struct input_evdev {
	int fd;
	bool writable;
	bool grabbed;
	struct libevdev *dev;
	char path[256];
};

static int evdev_open_fd(const char *path, bool *writable, struct error *err)
{
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	*writable = fd >= 0;
	if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	int e = errno;
	const char *fix = e == ENOENT ? ": is it plugged in? (ls -l /dev/input/by-id)"
			: e == EACCES || e == EPERM ? ": run passvm as root, or add your user to the "
						      "'input' group (usermod -aG input USER)"
			: "";
	return err_setf(err, "input device %s: cannot open it: %s%s", path, strerror(e), fix);
}

static void evdev_fill_caps(struct libevdev *d, struct input_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	const char *name = libevdev_get_name(d), *uniq = libevdev_get_uniq(d);
	snprintf(caps->name, sizeof(caps->name), "%s", name ? name : "");
	snprintf(caps->serial, sizeof(caps->serial), "%s", uniq ? uniq : "");
	caps->ids = (struct virtio_input_devids){
		(uint16_t)libevdev_get_id_bustype(d), (uint16_t)libevdev_get_id_vendor(d),
		(uint16_t)libevdev_get_id_product(d), (uint16_t)libevdev_get_id_version(d) };
	for (unsigned p = 0; p <= INPUT_PROP_MAX; p++)
		if (libevdev_has_property(d, p))
			input_caps_set(caps->props, p);
	for (unsigned t = 1; t < INPUT_EV_TYPES; t++) {
		if (t == EV_REP || !libevdev_has_event_type(d, t))
			continue; /* autorepeat is the guest's own (its evdev sets EV_REP) */
		int max = libevdev_event_type_get_max(t);
		for (int c = 0; c <= max && c < 8 * VIRTIO_INPUT_CFG_DATA; c++)
			if (libevdev_has_event_code(d, t, (unsigned)c))
				input_caps_set(caps->ev_bits[t], (unsigned)c);
	}
	for (unsigned a = 0; a < INPUT_ABS_AXES; a++) {
		const struct input_absinfo *ai = libevdev_get_abs_info(d, a);
		if (ai && input_caps_has(caps->ev_bits[EV_ABS], a))
			caps->abs[a] = (struct virtio_input_absinfo){
				(uint32_t)ai->minimum, (uint32_t)ai->maximum, (uint32_t)ai->fuzz,
				(uint32_t)ai->flat, (uint32_t)ai->resolution };
	}
}

struct input_evdev *input_evdev_open(const char *path, struct input_caps *caps,
				     struct error *err)
{
	struct input_evdev *e = calloc(1, sizeof(*e));
	if (!e) {
		err_setf(err, "out of memory");
		return NULL;
	}
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->fd = evdev_open_fd(path, &e->writable, err);
	if (e->fd < 0) {
		free(e);
		return NULL;
	}
	int r = libevdev_new_from_fd(e->fd, &e->dev);
	if (r < 0) {
		err_setf(err, "input device %s is not an evdev device (%s): give an event node, "
			 "like /dev/input/by-id/...-event-kbd", path, strerror(-r));
		close(e->fd);
		free(e);
		return NULL;
	}
	evdev_fill_caps(e->dev, caps);
	return e;
}

void input_evdev_close(struct input_evdev *e)
{
	if (!e)
		return;
	if (e->grabbed)
		libevdev_grab(e->dev, LIBEVDEV_UNGRAB);
	libevdev_free(e->dev);
	close(e->fd);
	free(e);
}

int input_evdev_fd(const struct input_evdev *e)
{
	return e->fd;
}

const char *input_evdev_path(const struct input_evdev *e)
{
	return e->path;
}

int input_evdev_grab(struct input_evdev *e, bool on, struct error *err)
{
	if (e->grabbed == on)
		return 0;
	int r = libevdev_grab(e->dev, on ? LIBEVDEV_GRAB : LIBEVDEV_UNGRAB);
	if (r < 0)
		return err_setf(err, "input device %s: cannot %s it: %s%s", e->path,
				on ? "grab" : "release", strerror(-r),
				r == -EBUSY ? ": another program holds it grabbed (another VM, "
					      "evtest --grab?)" : "");
	e->grabbed = on;
	return 0;
}

int input_evdev_read(struct input_evdev *e, input_evdev_fn fn, void *opaque, struct error *err)
{
	unsigned flags = LIBEVDEV_READ_FLAG_NORMAL;
	for (;;) {
		struct input_event ev;
		int r = libevdev_next_event(e->dev, flags, &ev);
		if (r == -EAGAIN) {
			if (flags & LIBEVDEV_READ_FLAG_SYNC) {
				flags = LIBEVDEV_READ_FLAG_NORMAL; /* resync done */
				continue;
			}
			return 0;
		}
		if (r < 0)
			return err_setf(err, "input device %s: %s (unplugged?)", e->path,
					strerror(-r));
		if (r == LIBEVDEV_READ_STATUS_SYNC && !(flags & LIBEVDEV_READ_FLAG_SYNC)) {
			/* SYN_DROPPED: the deltas come next, in sync mode. */
			flags = LIBEVDEV_READ_FLAG_SYNC;
			continue;
		}
		fn(opaque, ev.type, ev.code, ev.value);
	}
}

void input_evdev_set_led(struct input_evdev *e, uint16_t code, int32_t value)
{
	if (!e->writable || !libevdev_has_event_code(e->dev, EV_LED, code))
		return;
	libevdev_kernel_set_led_value(e->dev, code, value ? LIBEVDEV_LED_ON : LIBEVDEV_LED_OFF);
}

int input_evdev_key_code(const char *name)
{
	return libevdev_event_code_from_name(EV_KEY, name);
}
