/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Input's settings (options.c): [input] device (one line each) and
 * grab-toggle, and their `passvm check` lines.
 */
#ifndef PASSVM_INPUT_OPTIONS_H
#define PASSVM_INPUT_OPTIONS_H

#include "vmm/options.h"

#define INPUT_MAX_DEVICES 8

/* evdev devices forwarded to the guest as virtio-input. */
struct input_config {
	unsigned n;
	const char *devices[INPUT_MAX_DEVICES];  /* /dev/input/by-id/... */
	unsigned line[INPUT_MAX_DEVICES];        /* where each was listed */
	const char *grab_toggle;  /* key combination, e.g. "KEY_LEFTCTRL+KEY_RIGHTCTRL" */
};

extern const struct vmm_options input_options;
static inline struct input_config *input_config(const struct vm_config *cfg)
{
	return vmm_options_part(cfg, &input_options);
}

#endif
