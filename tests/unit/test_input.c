// SPDX-License-Identifier: GPL-2.0-only
/*
 * Input forwarding without devices: the virtio-input config answers a
 * hostile driver can ask for, the status queue parser, and the grab-toggle
 * combination. (Real evdev devices, the grab and the guest's driver are
 * proven in the lab: tests/lab/passvm-input.sh.)
 */
#include <linux/input-event-codes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "input/input.h"
#include "input/virtio_input.h"

static struct input_caps test_caps(void)
{
	struct input_caps c;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "Test Keyboard");
	snprintf(c.serial, sizeof(c.serial), "SN-42");
	c.ids = (struct virtio_input_devids){ 3, 0x046d, 0xc31c, 0x0111 };
	input_caps_set(c.props, INPUT_PROP_POINTER);
	input_caps_set(c.ev_bits[EV_KEY], KEY_A);
	input_caps_set(c.ev_bits[EV_KEY], KEY_RIGHTCTRL); /* 97: byte 12 */
	input_caps_set(c.ev_bits[EV_ABS], ABS_X);
	c.abs[ABS_X] = (struct virtio_input_absinfo){ 0, 32767, 1, 2, 3 };
	c.abs[ABS_Y] = (struct virtio_input_absinfo){ 0, 99, 0, 0, 0 }; /* not in EV_ABS */
	return c;
}

static void test_config_ids(void **state)
{
	(void)state;
	struct input_caps c = test_caps();
	struct virtio_input_config out;
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_ID_NAME, 0, &out);
	assert_int_equal(out.size, strlen("Test Keyboard"));
	assert_memory_equal(out.u.string, "Test Keyboard", out.size);
	assert_int_equal(out.select, VIRTIO_INPUT_CFG_ID_NAME);
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_ID_SERIAL, 0, &out);
	assert_int_equal(out.size, 5);
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, &out);
	assert_int_equal(out.size, sizeof(out.u.ids));
	assert_int_equal(out.u.ids.vendor, 0x046d);
	assert_int_equal(out.u.ids.product, 0xc31c);
	/* A name filling all 128 bytes has no NUL and is not overrun. */
	memset(c.name, 'x', sizeof(c.name));
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_ID_NAME, 0, &out);
	assert_int_equal(out.size, 128);
}

static void test_config_bits(void **state)
{
	(void)state;
	struct input_caps c = test_caps();
	struct virtio_input_config out;
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY, &out);
	assert_int_equal(out.size, KEY_RIGHTCTRL / 8 + 1);
	assert_true(input_caps_has(out.u.bitmap, KEY_A));
	assert_true(input_caps_has(out.u.bitmap, KEY_RIGHTCTRL));
	assert_false(input_caps_has(out.u.bitmap, KEY_B));
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_EV_BITS, EV_REL, &out);
	assert_int_equal(out.size, 0);  /* no such type: size 0 */
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_PROP_BITS, 0, &out);
	assert_int_equal(out.size, 1);
	assert_int_equal(out.u.bitmap[0], 1u << INPUT_PROP_POINTER);
	/* Hostile subsels: EV_SYN, past EV_MAX, 255. */
	for (unsigned sub = 0; sub < 256; sub += (sub ? 1 : 0x20)) {
		virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_EV_BITS, (uint8_t)sub, &out);
		assert_int_equal(out.size, 0);
	}
}

static void test_config_abs_and_junk(void **state)
{
	(void)state;
	struct input_caps c = test_caps();
	struct virtio_input_config out;
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_ABS_INFO, ABS_X, &out);
	assert_int_equal(out.size, sizeof(out.u.abs));
	assert_int_equal(out.u.abs.max, 32767);
	assert_int_equal(out.u.abs.res, 3);
	/* An axis the device lacks (its info set or not), and one past ABS_MAX. */
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_ABS_INFO, ABS_Y, &out);
	assert_int_equal(out.size, 0);
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_ABS_INFO, 0x40, &out);
	assert_int_equal(out.size, 0);
	virtio_input_config_answer(&c, VIRTIO_INPUT_CFG_ABS_INFO, 0xFF, &out);
	assert_int_equal(out.size, 0);
	/* Unset and unknown selects answer nothing, and every data byte is 0. */
	for (unsigned sel = 0; sel < 256; sel++) {
		if (sel == 1 || sel == 2 || sel == 3 || sel == 0x10 || sel == 0x11 || sel == 0x12)
			continue;
		virtio_input_config_answer(&c, (uint8_t)sel, 7, &out);
		assert_int_equal(out.size, 0);
		for (unsigned i = 0; i < sizeof(out.u); i++)
			assert_int_equal(out.u.bitmap[i], 0);
	}
}

struct seen {
	unsigned n;
	struct virtio_input_event ev[8];
};

static void on_status(void *opaque, const struct virtio_input_event *ev)
{
	struct seen *s = opaque;
	if (s->n < 8)
		s->ev[s->n] = *ev;
	s->n++;
}

static void test_status_parse(void **state)
{
	(void)state;
	struct virtio_input_event evs[3] = {
		{ EV_LED, LED_CAPSL, 1 }, { EV_LED, LED_NUML, 0 }, { EV_SYN, SYN_REPORT, 0 } };
	uint8_t buf[sizeof(evs) + 5];
	memcpy(buf, evs, sizeof(evs));
	memset(buf + sizeof(evs), 0xAB, 5);  /* a partial fourth event: ignored */
	struct seen s = { 0 };
	assert_int_equal(virtio_input_parse_status(buf, sizeof(buf), on_status, &s), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ev[0].type, EV_LED);
	assert_int_equal(s.ev[0].code, LED_CAPSL);
	assert_int_equal(s.ev[0].value, 1);
	assert_int_equal(s.ev[2].type, EV_SYN);
	s.n = 0;
	assert_int_equal(virtio_input_parse_status(buf, 7, on_status, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(virtio_input_parse_status(buf, 0, NULL, NULL), 0);
}

static void test_toggle(void **state)
{
	(void)state;
	struct input_toggle t;
	struct error err = { "" };
	assert_int_equal(input_toggle_parse(&t, INPUT_TOGGLE_DEFAULT, &err), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.keys[0], KEY_LEFTCTRL);
	assert_int_equal(t.keys[1], KEY_RIGHTCTRL);
	/* Left Ctrl, then Right Ctrl: fires on the press that completes it. */
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_LEFTCTRL, 1));
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_A, 1));
	assert_false(input_toggle_feed(&t, EV_REL, KEY_RIGHTCTRL, 1)); /* not a key event */
	assert_true(input_toggle_feed(&t, EV_KEY, KEY_RIGHTCTRL, 1));
	/* Autorepeat while both are held does not fire again. */
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_RIGHTCTRL, 2));
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_LEFTCTRL, 2));
	/* Right Ctrl up and down again with Left Ctrl held: fires again. */
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_RIGHTCTRL, 0));
	assert_true(input_toggle_feed(&t, EV_KEY, KEY_RIGHTCTRL, 1));
	/* Both up; Right Ctrl alone does nothing. */
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_RIGHTCTRL, 0));
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_LEFTCTRL, 0));
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_RIGHTCTRL, 1));

	/* Three keys, in any order. */
	assert_int_equal(input_toggle_parse(&t, "KEY_LEFTALT+KEY_LEFTSHIFT+KEY_F12", &err), 0);
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_F12, 1));
	assert_false(input_toggle_feed(&t, EV_KEY, KEY_LEFTSHIFT, 1));
	assert_true(input_toggle_feed(&t, EV_KEY, KEY_LEFTALT, 1));

	assert_int_equal(input_toggle_parse(&t, "KEY_LEFTCTRL+KEY_NOPE", &err), -1);
	assert_non_null(strstr(err.msg, "'KEY_NOPE'"));
	assert_int_equal(input_toggle_parse(&t, "", &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_ids),
		cmocka_unit_test(test_config_bits),
		cmocka_unit_test(test_config_abs_and_junk),
		cmocka_unit_test(test_status_parse),
		cmocka_unit_test(test_toggle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
