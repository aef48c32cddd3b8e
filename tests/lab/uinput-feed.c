// SPDX-License-Identifier: GPL-2.0-only
/*
 * uinput-feed: run INSIDE the lab (it has uinput) by passvm-input.sh. Plays a
 * keyboard and a mouse that passvm forwards to the test guest, and checks
 * passvm's grab from outside:
 *   1. creates both with uinput ("passvm-lab-keyboard" 1234:5678 with Caps
 *      Lock's LED, "passvm-lab-mouse" 1234:5679) and writes their event
 *      nodes, one a line, to DIR/devices;
 *   2. waits until passvm grabs both (our own EVIOCGRAB then fails, EBUSY)
 *      and the guest says "input-ready" on its console (DIR/serial.log);
 *   3. phase 1, for the guest: KEY_A press + release; mouse REL_X 5;
 *   4. Left Ctrl + Right Ctrl: passvm must let go of both devices (our grab
 *      succeeds); phase 2, for the host only: KEY_B, mouse REL_Y 7;
 *   5. Left Ctrl + Right Ctrl again: passvm grabs both again; phase 3, for
 *      the guest: KEY_C press + release, mouse BTN_LEFT press + release;
 *   6. unplugs the keyboard and plugs it in again (the same name and ids;
 *      the kernel gives it the same event node, the lowest free); passvm
 *      must grab it again; phase 4, for the guest: KEY_D press + release;
 *   7. waits for the guest's Caps Lock LED (EV_LED LED_CAPSL 1) to arrive on
 *      the keyboard (the guest's status queue through passvm), then for
 *      DIR/stop, and destroys the devices.
 * The guest's side: tests/guest/tests/input. Exit 0 when every step held.
 * uinput-feed DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/uinput.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define WAIT_S 180

static const char *dir;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stdout, "uinput-feed: FAIL: ");
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	exit(1);
}

static void say(const char *what)
{
	printf("uinput-feed: ok: %s\n", what);
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void ioc(int fd, unsigned long req, long arg, const char *what)
{
	if (ioctl(fd, req, arg) < 0)
		die("%s: %s", what, strerror(errno));
}

/* A uinput device; returns its fd, *node gets /dev/input/eventN. */
static int make_dev(const char *name, uint16_t product, bool kbd, char *node, size_t len)
{
	int fd = open("/dev/uinput", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/uinput: %s", strerror(errno));
	if (kbd) {
		ioc(fd, UI_SET_EVBIT, EV_KEY, "EV_KEY");
		int keys[] = { KEY_A, KEY_B, KEY_C, KEY_D, KEY_LEFTCTRL, KEY_RIGHTCTRL,
				KEY_CAPSLOCK };
		for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			ioc(fd, UI_SET_KEYBIT, keys[i], "keybit");
		ioc(fd, UI_SET_EVBIT, EV_LED, "EV_LED");
		ioc(fd, UI_SET_LEDBIT, LED_CAPSL, "LED_CAPSL");
	} else {
		ioc(fd, UI_SET_EVBIT, EV_KEY, "EV_KEY");
		ioc(fd, UI_SET_KEYBIT, BTN_LEFT, "BTN_LEFT");
		ioc(fd, UI_SET_EVBIT, EV_REL, "EV_REL");
		ioc(fd, UI_SET_RELBIT, REL_X, "REL_X");
		ioc(fd, UI_SET_RELBIT, REL_Y, "REL_Y");
	}
	struct uinput_setup us = { .id = { BUS_USB, 0x1234, product, 1 } };
	snprintf(us.name, sizeof(us.name), "%s", name);
	ioc(fd, UI_DEV_SETUP, (long)&us, "UI_DEV_SETUP");
	ioc(fd, UI_DEV_CREATE, 0, "UI_DEV_CREATE");
	char sys[64];
	if (ioctl(fd, UI_GET_SYSNAME(sizeof(sys)), sys) < 0)
		die("UI_GET_SYSNAME: %s", strerror(errno));
	/* /sys/devices/virtual/input/inputN/eventM: udev is not there to wait for. */
	for (int tries = 0; tries < 100; tries++) {
		for (int m = 0; m < 64; m++) {
			char p[160];
			snprintf(p, sizeof(p), "/sys/devices/virtual/input/%s/event%d", sys, m);
			if (access(p, F_OK))
				continue;
			snprintf(node, len, "/dev/input/event%d", m);
			if (!access(node, F_OK))
				return fd;
		}
		usleep(50000);
	}
	die("%s: no event node appeared", name);
	return -1;
}

static void emit(int fd, uint16_t type, uint16_t code, int32_t value)
{
	struct input_event ev = { .type = type, .code = code, .value = value };
	if (write(fd, &ev, sizeof(ev)) != sizeof(ev))
		die("uinput write: %s", strerror(errno));
}

static void report(int fd, uint16_t type, uint16_t code, int32_t value)
{
	emit(fd, type, code, value);
	emit(fd, EV_SYN, SYN_REPORT, 0);
	usleep(20000); /* one report at a time through passvm's loop */
}

/* Is someone else (passvm) holding node grabbed? Our own try says. */
static bool grabbed_by_other(const char *node)
{
	int fd = open(node, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", node, strerror(errno));
	bool busy = ioctl(fd, EVIOCGRAB, 1) < 0 && errno == EBUSY;
	if (!busy)
		ioctl(fd, EVIOCGRAB, 0);
	close(fd);
	return busy;
}

static void wait_grab(char nodes[2][64], bool want, const char *what)
{
	double end = now() + WAIT_S;
	while (grabbed_by_other(nodes[0]) != want || grabbed_by_other(nodes[1]) != want) {
		if (now() > end)
			die("timed out waiting until %s", what);
		usleep(50000);
	}
	say(what);
}

static bool file_has(const char *name, const char *text)
{
	char path[512], buf[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(buf, sizeof(buf), f))
		found = strstr(buf, text) != NULL;
	fclose(f);
	return found;
}

static void wait_file(const char *name, const char *text, const char *what)
{
	double end = now() + WAIT_S;
	while (!file_has(name, text)) {
		if (now() > end)
			die("timed out waiting for %s", what);
		usleep(50000);
	}
	say(what);
}

static void toggle(int kbd)
{
	report(kbd, EV_KEY, KEY_LEFTCTRL, 1);
	report(kbd, EV_KEY, KEY_RIGHTCTRL, 1);
}

static void untoggle(int kbd)
{
	report(kbd, EV_KEY, KEY_RIGHTCTRL, 0);
	report(kbd, EV_KEY, KEY_LEFTCTRL, 0);
}

/* The guest's LED write reaches the uinput device as EV_LED on its fd. */
static void wait_led(int kbd)
{
	double end = now() + WAIT_S;
	while (now() < end) {
		struct pollfd p = { .fd = kbd, .events = POLLIN };
		if (poll(&p, 1, 200) <= 0)
			continue;
		struct input_event ev;
		while (read(kbd, &ev, sizeof(ev)) == sizeof(ev))
			if (ev.type == EV_LED && ev.code == LED_CAPSL && ev.value == 1) {
				say("the guest's Caps Lock LED reached the host keyboard");
				return;
			}
	}
	die("no EV_LED LED_CAPSL 1 from the guest");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: uinput-feed DIR\n");
		return 2;
	}
	dir = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	char nodes[2][64];
	int kbd = make_dev("passvm-lab-keyboard", 0x5678, true, nodes[0], sizeof(nodes[0]));
	int mouse = make_dev("passvm-lab-mouse", 0x5679, false, nodes[1], sizeof(nodes[1]));
	char path[512];
	snprintf(path, sizeof(path), "%s/devices", dir);
	FILE *f = fopen(path, "w");
	if (!f || fprintf(f, "%s\n%s\n", nodes[0], nodes[1]) < 0 || fclose(f))
		die("cannot write %s", path);
	printf("uinput-feed: keyboard %s, mouse %s\n", nodes[0], nodes[1]);

	wait_grab(nodes, true, "passvm grabbed both devices");
	wait_file("serial.log", "input-ready", "the guest is reading its input devices");
	report(kbd, EV_KEY, KEY_A, 1);
	report(kbd, EV_KEY, KEY_A, 0);
	report(mouse, EV_REL, REL_X, 5);
	say("phase 1 sent: KEY_A, REL_X 5");

	toggle(kbd);
	wait_grab(nodes, false, "Ctrl+Ctrl: passvm let go of both devices");
	untoggle(kbd);
	report(kbd, EV_KEY, KEY_B, 1);
	report(kbd, EV_KEY, KEY_B, 0);
	report(mouse, EV_REL, REL_Y, 7);
	say("phase 2 sent (host only): KEY_B, REL_Y 7");

	toggle(kbd);
	wait_grab(nodes, true, "Ctrl+Ctrl again: passvm grabbed both again");
	untoggle(kbd);
	report(kbd, EV_KEY, KEY_C, 1);
	report(kbd, EV_KEY, KEY_C, 0);
	report(mouse, EV_KEY, BTN_LEFT, 1);
	report(mouse, EV_KEY, BTN_LEFT, 0);
	say("phase 3 sent: KEY_C, BTN_LEFT");

	ioc(kbd, UI_DEV_DESTROY, 0, "UI_DEV_DESTROY");
	close(kbd);
	usleep(300000);
	char again[64];
	kbd = make_dev("passvm-lab-keyboard", 0x5678, true, again, sizeof(again));
	if (strcmp(again, nodes[0]))
		die("the new keyboard is %s, not %s (the test needs the same node)", again, nodes[0]);
	wait_grab(nodes, true, "the keyboard unplugged and back: passvm grabbed it again");
	report(kbd, EV_KEY, KEY_D, 1);
	report(kbd, EV_KEY, KEY_D, 0);
	say("phase 4 sent: KEY_D");

	wait_led(kbd);
	snprintf(path, sizeof(path), "%s/stop", dir);
	for (double end = now() + WAIT_S; access(path, F_OK); usleep(50000))
		if (now() > end)
			die("timed out waiting for %s", path);
	ioctl(kbd, UI_DEV_DESTROY);
	ioctl(mouse, UI_DEV_DESTROY);
	say("PASS");
	return 0;
}
