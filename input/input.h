/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Input forwarding: each [input] device of the profile (a host evdev node)
 * becomes a virtio-input device in the guest. passvm holds every one of them
 * grabbed, so the host sees none of their events, until the grab-toggle
 * combination (default Left Ctrl + Right Ctrl, pressed on any of them) gives
 * them all back to the host; the same combination takes them again. Keys the
 * guest holds down when they go are released in the guest, so nothing
 * sticks. A device that is unplugged (a USB switch, a wireless keyboard
 * asleep) stays in the guest, silent, and is taken again when the same
 * device (name and ids) is back at its path. The VMM device type registers itself (VMM_DEVICE); main() lists
 * no devices.
 */
#ifndef PASSVM_INPUT_INPUT_H
#define PASSVM_INPUT_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

#define INPUT_TOGGLE_MAX_KEYS 8
#define INPUT_TOGGLE_DEFAULT "KEY_LEFTCTRL+KEY_RIGHTCTRL"

/* The grab-toggle combination and which of its keys are down now. */
struct input_toggle {
	unsigned n;
	uint16_t keys[INPUT_TOGGLE_MAX_KEYS];
	uint32_t down;      /* bit i: keys[i] is down */
};

/* "KEY_LEFTCTRL+KEY_RIGHTCTRL" -> t; errors name the unknown key. */
int input_toggle_parse(struct input_toggle *t, const char *spec, struct error *err);

/*
 * Feed one event; true when it completes the combination (its last key goes
 * down while the others are held). Only EV_KEY events matter.
 */
bool input_toggle_feed(struct input_toggle *t, uint16_t type, uint16_t code, int32_t value);

#endif
