// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-input's guest-facing parsers, apart from the device so that the
 * fuzz target (tests/fuzz/fuzz_virtio_input.c) can take them alone: the
 * config answer to whatever select/subsel the driver writes, and the status
 * queue's bytes.
 */
#include <string.h>

#include "input/virtio_input.h"

static uint8_t vi_bitmap_len(const uint8_t *bitmap)
{
	unsigned n = VIRTIO_INPUT_CFG_DATA;
	while (n && !bitmap[n - 1])
		n--;
	return (uint8_t)n;
}

void virtio_input_config_answer(const struct input_caps *caps, uint8_t select, uint8_t subsel,
				struct virtio_input_config *out)
{
	memset(out, 0, sizeof(*out));
	out->select = select;
	out->subsel = subsel;
	switch (select) {
	case VIRTIO_INPUT_CFG_ID_NAME:
	case VIRTIO_INPUT_CFG_ID_SERIAL: {
		const char *s = select == VIRTIO_INPUT_CFG_ID_NAME ? caps->name : caps->serial;
		size_t n = strnlen(s, VIRTIO_INPUT_CFG_DATA);
		memcpy(out->u.string, s, n);
		out->size = (uint8_t)n;
		break;
	}
	case VIRTIO_INPUT_CFG_ID_DEVIDS:
		out->u.ids = caps->ids;
		out->size = sizeof(out->u.ids);
		break;
	case VIRTIO_INPUT_CFG_PROP_BITS:
		out->size = vi_bitmap_len(caps->props);
		memcpy(out->u.bitmap, caps->props, out->size);
		break;
	case VIRTIO_INPUT_CFG_EV_BITS:
		/* subsel 0 (EV_SYN) is no type a driver asks about; types beyond
		 * EV_MAX do not exist. */
		if (subsel == 0 || subsel >= INPUT_EV_TYPES)
			break;
		out->size = vi_bitmap_len(caps->ev_bits[subsel]);
		memcpy(out->u.bitmap, caps->ev_bits[subsel], out->size);
		break;
	case VIRTIO_INPUT_CFG_ABS_INFO:
		if (subsel >= INPUT_ABS_AXES || !input_caps_has(caps->ev_bits[3 /* EV_ABS */], subsel))
			break;
		out->u.abs = caps->abs[subsel];
		out->size = sizeof(out->u.abs);
		break;
	default:
		break; /* UNSET and unknown selects: size 0 */
	}
}

unsigned virtio_input_parse_status(const uint8_t *buf, size_t len, virtio_input_status_fn fn,
				   void *opaque)
{
	unsigned n = 0;
	for (size_t off = 0; off + sizeof(struct virtio_input_event) <= len; off += 8, n++) {
		struct virtio_input_event ev;
		memcpy(&ev, buf + off, sizeof(ev));
		if (fn)
			fn(opaque, &ev);
	}
	return n;
}

