// SPDX-License-Identifier: GPL-2.0-only
/*
 * [input]: the host's evdev devices the guest gets (device = PATH, one line
 * each) and the key combination that gives them back (grab-toggle). `passvm
 * check` opens each device as the run would.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/evdev.h"
#include "input/input.h"
#include "input/options.h"

#define INPUT_MAX_GRAB_KEYS 4

static int input_set_device(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct input_config *in = ctx->part;
	if (v[0] != '/')
		return err_setf(err, "give the device's full path, like "
				"/dev/input/by-id/usb-...-event-kbd (ls /dev/input/by-id)");
	for (unsigned i = 0; i < in->n; i++)
		if (!strcmp(in->devices[i], v))
			return err_setf(err, "listed already on line %u", in->line[i]);
	if (in->n >= INPUT_MAX_DEVICES)
		return err_setf(err, "too many input devices: at most %d", INPUT_MAX_DEVICES);
	if (vmm_option_str(ctx, v, &in->devices[in->n], err))
		return -1;
	in->line[in->n++] = ctx->line;
	return 0;
}

/* One KEY_ name from linux/input-event-codes.h: KEY_ and capitals, digits, '_'. */
static bool input_key_token(const char *s, size_t n)
{
	if (n <= 4 || strncmp(s, "KEY_", 4))
		return false;
	for (size_t i = 4; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static int input_set_grab_toggle(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	unsigned keys = 0;
	for (const char *s = v;; keys++) {
		size_t n = strcspn(s, "+");
		if (!input_key_token(s, n))
			return err_setf(err, "'%.*s' is not a key name: write KEY_ names joined by '+', "
					"like KEY_LEFTCTRL+KEY_RIGHTCTRL (names as in "
					"linux/input-event-codes.h)", (int)n, s);
		if (!s[n])
			break;
		s += n + 1;
	}
	if (keys + 1 > INPUT_MAX_GRAB_KEYS)
		return err_setf(err, "at most %d keys", INPUT_MAX_GRAB_KEYS);
	return vmm_option_str(ctx, v, &((struct input_config *)ctx->part)->grab_toggle, err);
}

static const struct vmm_option input_option_list[] = {
	{ .key = "device", .set = input_set_device, .flags = VMM_OPT_REPEATABLE },
	{ .key = "grab-toggle", .set = input_set_grab_toggle },
};

static int input_finish(struct vmm_option_ctx *ctx, unsigned *line, struct error *err)
{
	struct input_config *in = ctx->part;
	unsigned sect = vmm_option_line_of(ctx, -1, NULL);
	if (!sect)
		return 0;
	if (!in->n) {
		*line = sect;
		return err_setf(err, "[input] lists no device: add 'device = "
				"/dev/input/by-id/...-event-kbd' (one line per device)");
	}
	if (!in->grab_toggle)
		in->grab_toggle = INPUT_TOGGLE_DEFAULT;
	return 0;
}

/* Each device opens as an evdev node, and the toggle names real keys. */
static void input_check(struct report *r, const struct check_env *env,
			const struct vm_config *cfg)
{
	const struct input_config *in = input_config(cfg);
	for (unsigned i = 0; i < in->n; i++) {
		struct input_caps *caps = malloc(sizeof(*caps));
		struct error err;
		struct input_evdev *e = caps ? input_evdev_open(in->devices[i], caps, &err) : NULL;
		char what[REPORT_WHAT_LEN];
		snprintf(what, sizeof(what), "input device %u", i + 1);
		if (e)
			report_add(r, REPORT_OK, what, "%s (\"%s\"): passvm grabs it for the guest",
				   in->devices[i], caps->name);
		else
			report_fix(report_add(r, REPORT_FAIL, what, "%s",
					      caps ? err.msg : "out of memory"),
				   "list the keyboard's and mouse's event nodes in [input] device, "
				   "as /dev/input/by-id/ names them (ls -l /dev/input/by-id)");
		input_evdev_close(e);
		free(caps);
	}
	struct input_toggle t;
	struct error err;
	if (in->n && input_toggle_parse(&t, in->grab_toggle ? in->grab_toggle
						     : INPUT_TOGGLE_DEFAULT, &err))
		report_fix(report_add(r, REPORT_FAIL, "input grab-toggle", "%s", err.msg),
			   "use KEY_ names from linux/input-event-codes.h joined by '+'");
}

VMM_OPTIONS(input_options) = {
	.section = "input", .order = 70, .size = sizeof(struct input_config),
	.options = input_option_list, .nr_options = ARRAY_SIZE(input_option_list),
	.finish = input_finish, .check = input_check,
};
