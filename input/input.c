// SPDX-License-Identifier: GPL-2.0-only
/* Input forwarding: host evdev devices -> virtio-input, with the grab toggle (input.h). */
#include "input/input.h"

#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "input/evdev.h"
#include "input/options.h"
#include "input/virtio_input.h"
#include "vmm/config.h"
#include "vmm/evloop.h"
#include "vmm/vm.h"

/* ---- the toggle combination ----------------------------------------------------- */

int input_toggle_parse(struct input_toggle *t, const char *spec, struct error *err)
{
	memset(t, 0, sizeof(*t));
	for (const char *s = spec; *s;) {
		size_t n = strcspn(s, "+");
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)MIN(n, sizeof(name) - 1), s);
		int code = input_evdev_key_code(name);
		if (code < 0)
			return err_setf(err, "grab-toggle %s: no key is called '%s' (names as in "
					"linux/input-event-codes.h, like KEY_LEFTCTRL)", spec, name);
		if (t->n == INPUT_TOGGLE_MAX_KEYS)
			return err_setf(err, "grab-toggle %s: at most %d keys", spec,
					INPUT_TOGGLE_MAX_KEYS);
		t->keys[t->n++] = (uint16_t)code;
		s += n + (s[n] == '+');
	}
	if (!t->n)
		return err_setf(err, "grab-toggle is empty");
	return 0;
}

bool input_toggle_feed(struct input_toggle *t, uint16_t type, uint16_t code, int32_t value)
{
	if (type != EV_KEY || value == 2) /* autorepeat changes nothing */
		return false;
	uint32_t all = (t->n >= 32 ? 0 : 1u << t->n) - 1;
	for (unsigned i = 0; i < t->n; i++) {
		if (t->keys[i] != code)
			continue;
		bool was_all = (t->down & all) == all;
		if (value)
			t->down |= 1u << i;
		else
			t->down &= ~(1u << i);
		return value && !was_all && (t->down & all) == all;
	}
	return false;
}

/* ---- the VM's input devices ------------------------------------------------------- */

struct input_hub;

struct input_port {
	struct input_hub *hub;
	const char *path;
	struct input_evdev *evdev;   /* NULL while unplugged */
	struct virtio_input_devids ids;          /* who it is, to know it again */
	char name[VIRTIO_INPUT_CFG_DATA];
	struct virtio_input *vi;
	uint8_t guest_down[(KEY_MAX + 1) / 8];  /* keys the guest believes held */
	bool unreported;         /* events sent since the guest's last SYN_REPORT */
	bool told_other;         /* said once that another device sits at path */
};

struct input_hub {
	struct vm *vm;
	bool to_guest;                /* grabbed and forwarding */
	int retry_fd;                 /* timerfd: reopen unplugged devices, or -1 */
	struct input_toggle toggle;
	unsigned n;
	struct input_port ports[INPUT_MAX_DEVICES];
};

static bool port_key_down(const struct input_port *p, uint16_t code)
{
	return code <= KEY_MAX && (p->guest_down[code / 8] >> (code % 8) & 1);
}

static void port_key_track(struct input_port *p, uint16_t code, int32_t value)
{
	if (code > KEY_MAX)
		return;
	if (value)
		p->guest_down[code / 8] |= (uint8_t)(1u << (code % 8));
	else
		p->guest_down[code / 8] &= (uint8_t)~(1u << (code % 8));
}

/* The devices go to the host: whatever the guest holds is let go first. */
static void port_release_all(struct input_port *p)
{
	bool any = false;
	for (unsigned c = 0; c <= KEY_MAX; c++) {
		if (!port_key_down(p, (uint16_t)c))
			continue;
		virtio_input_send(p->vi, EV_KEY, (uint16_t)c, 0);
		any = true;
	}
	memset(p->guest_down, 0, sizeof(p->guest_down));
	if (any || p->unreported)
		virtio_input_send(p->vi, EV_SYN, SYN_REPORT, 0);
	p->unreported = false;
}

static void hub_toggle(struct input_hub *h)
{
	h->to_guest = !h->to_guest;
	for (unsigned i = 0; i < h->n; i++) {
		struct input_port *p = &h->ports[i];
		struct error e;
		if (!h->to_guest)
			port_release_all(p);
		if (p->evdev && input_evdev_grab(p->evdev, h->to_guest, &e))
			log_warn("%s", e.msg);
	}
	log_info("input: %s (%s toggles)", h->to_guest ? "grabbed for the guest"
				     : "given back to the host", input_config(h->vm->cfg)->grab_toggle
				     ? input_config(h->vm->cfg)->grab_toggle : INPUT_TOGGLE_DEFAULT);
}

static void port_event(void *opaque, uint16_t type, uint16_t code, int32_t value)
{
	struct input_port *p = opaque;
	struct input_hub *h = p->hub;
	if (input_toggle_feed(&h->toggle, type, code, value)) {
		hub_toggle(h);
		return;
	}
	if (!h->to_guest)
		return;
	if (type == EV_KEY) {
		/* A release of a key the guest never saw pressed (held across a
		 * toggle) is left out. */
		if (value == 0 && !port_key_down(p, code))
			return;
		port_key_track(p, code, value);
	}
	/* A report whose events were all left out is left out too. */
	if (type == EV_SYN && code == SYN_REPORT) {
		if (!p->unreported)
			return;
		p->unreported = false;
	} else {
		p->unreported = true;
	}
	virtio_input_send(p->vi, type, code, value);
}

/* While a device is unplugged, try its path again every second. */
static void hub_retry_arm(struct input_hub *h, bool on)
{
	struct itimerspec t = { .it_interval = { on, 0 }, .it_value = { on, 0 } };
	if (h->retry_fd >= 0)
		timerfd_settime(h->retry_fd, 0, &t, NULL);
}

static void port_readable(void *opaque, int fd, uint32_t events)
{
	struct input_port *p = opaque;
	struct error e;
	(void)events;
	if (!input_evdev_read(p->evdev, port_event, p, &e))
		return;
	/* Unplugged (a USB switch, a wireless keyboard asleep): the guest keeps
	 * its device, silent, and nothing stays pressed in it. */
	log_warn("%s; passvm takes it again when it comes back", e.msg);
	evloop_del(&p->hub->vm->loop, fd);
	input_evdev_close(p->evdev);
	p->evdev = NULL;
	port_release_all(p);
	hub_retry_arm(p->hub, true);
}

/* The device at p's path again: the same one (name and ids), grabbed as the
 * others are. */
static bool port_reopen(struct input_port *p)
{
	struct input_caps *caps = malloc(sizeof(*caps));
	struct error e;
	struct input_evdev *ev = caps ? input_evdev_open(p->path, caps, &e) : NULL;
	bool same = ev && !memcmp(&caps->ids, &p->ids, sizeof(p->ids)) &&
		    !strcmp(caps->name, p->name);
	free(caps);
	if (ev && !same && !p->told_other)
		log_warn("input: %s is another device now (not \"%s\"): left alone", p->path,
			 p->name);
	p->told_other = ev && !same;
	if (!same || (p->hub->to_guest && input_evdev_grab(ev, true, &e)) ||
	    evloop_add(&p->hub->vm->loop, input_evdev_fd(ev), EPOLLIN, port_readable, p, &e)) {
		input_evdev_close(ev);
		return false;
	}
	p->evdev = ev;
	log_info("input: %s is back", p->path);
	return true;
}

static void hub_retry(void *opaque, int fd, uint32_t events)
{
	struct input_hub *h = opaque;
	uint64_t ticks;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	bool missing = false;
	for (unsigned i = 0; i < h->n; i++)
		if (!h->ports[i].evdev && !port_reopen(&h->ports[i]))
			missing = true;
	if (!missing)
		hub_retry_arm(h, false);
}

/* Caps Lock & co. from the guest light up the host keyboard. */
static void port_status(void *opaque, const struct virtio_input_event *ev)
{
	struct input_port *p = opaque;
	if (ev->type == EV_LED && p->evdev)
		input_evdev_set_led(p->evdev, ev->code, (int32_t)ev->value);
}

static void hub_destroy(struct vm *vm, void *state)
{
	struct input_hub *h = state;
	for (unsigned i = 0; i < h->n; i++) {
		if (!h->ports[i].evdev)
			continue;
		evloop_del(&vm->loop, input_evdev_fd(h->ports[i].evdev));
		input_evdev_close(h->ports[i].evdev); /* ungrabs: the host has them back */
	}
	if (h->retry_fd >= 0) {
		evloop_del(&vm->loop, h->retry_fd);
		close(h->retry_fd);
	}
	free(h);
}

static int hub_add_port(struct input_hub *h, const char *path, struct error *err)
{
	struct input_port *p = &h->ports[h->n];
	struct input_caps *caps = malloc(sizeof(*caps));
	if (!caps)
		return err_setf(err, "out of memory");
	p->hub = h;
	p->path = path;
	p->evdev = input_evdev_open(path, caps, err);
	if (!p->evdev) {
		free(caps);
		return -1;
	}
	p->ids = caps->ids;
	memcpy(p->name, caps->name, sizeof(p->name));
	h->n++; /* closed by hub_destroy from here on */
	char name[32];
	snprintf(name, sizeof(name), "virtio-input%u", h->n - 1);
	p->vi = virtio_input_create(h->vm, name, caps, port_status, p, err);
	free(caps);
	if (!p->vi || input_evdev_grab(p->evdev, true, err) ||
	    evloop_add(&h->vm->loop, input_evdev_fd(p->evdev), EPOLLIN, port_readable, p, err))
		return err_prefix(err, "[input] device %s", path);
	log_info("input: %s -> guest %s", path, name);
	return 0;
}

static int input_init(struct vm *vm, struct error *err)
{
	const struct input_config *in = input_config(vm->cfg);
	if (!in->n)
		return 0;
	struct input_hub *h = calloc(1, sizeof(*h));
	if (!h)
		return err_setf(err, "out of memory");
	h->vm = vm;
	h->to_guest = true;
	h->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (input_toggle_parse(&h->toggle, in->grab_toggle ? in->grab_toggle
							   : INPUT_TOGGLE_DEFAULT, err)) {
		free(h);
		return -1;
	}
	if (vm_device_add(vm, "input", h, hub_destroy, err)) {
		if (h->retry_fd >= 0)
			close(h->retry_fd);
		free(h);
		return -1;
	}
	if (h->retry_fd >= 0 && evloop_add(&vm->loop, h->retry_fd, EPOLLIN, hub_retry, h, err))
		return -1;
	for (unsigned i = 0; i < in->n; i++)
		if (hub_add_port(h, in->devices[i], err))
			return -1;
	return 0;
}

VMM_DEVICE(input_device) = {
	.name = "input",
	.order = VMM_ORDER_DEVICE,
	.init = input_init,
};
