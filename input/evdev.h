/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A host input device (an evdev node, /dev/input/eventN or a by-id link)
 * read through libevdev: what it can do as virtio-input caps, its events,
 * an exclusive grab (EVIOCGRAB: while held, the host's desktop sees none of
 * its events), and LED writes for the guest's Caps/Num/Scroll Lock.
 */
#ifndef PASSVM_INPUT_EVDEV_H
#define PASSVM_INPUT_EVDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "input/virtio_input.h"

struct input_evdev;

/* One event as read: type, code, value (linux/input.h). */
typedef void (*input_evdev_fn)(void *opaque, uint16_t type, uint16_t code, int32_t value);

/*
 * Open path (read-write when allowed, for LEDs; else read-only) and fill
 * caps. Errors name the path and the fix (permissions, not an evdev node).
 */
struct input_evdev *input_evdev_open(const char *path, struct input_caps *caps,
				     struct error *err);
void input_evdev_close(struct input_evdev *e);   /* ungrabs */
int input_evdev_fd(const struct input_evdev *e);
const char *input_evdev_path(const struct input_evdev *e);

/* Take (on) or give back (off) the exclusive grab. */
int input_evdev_grab(struct input_evdev *e, bool on, struct error *err);

/*
 * Read every event that is waiting and hand each to fn, in order. After the
 * kernel dropped events (SYN_DROPPED), the device's state is resynced and
 * the differences come as events, so fn still sees a consistent stream.
 * Returns 0, or -1 when the device is gone (unplugged: err says so).
 */
int input_evdev_read(struct input_evdev *e, input_evdev_fn fn, void *opaque, struct error *err);

/* Set an LED (EV_LED code) on the host device; silently nothing when the
 * device has no such LED or was opened read-only. */
void input_evdev_set_led(struct input_evdev *e, uint16_t code, int32_t value);

/* "KEY_LEFTCTRL" -> its code; -1 when no key has that name. */
int input_evdev_key_code(const char *name);

#endif
