/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-input on the wire (virtio 1.2, 5.8): the device config space the
 * driver reads with select/subsel, and the 8-byte events on its two queues.
 * Everything is little-endian; x86 is, so the structs are used as they are.
 *
 * Config: the driver writes `select` and `subsel`, then reads `size` (0: no
 * such item) and `u`:
 *   ID_NAME, ID_SERIAL  u.string (size bytes, no NUL needed)
 *   ID_DEVIDS           u.ids
 *   PROP_BITS           u.bitmap of INPUT_PROP_*
 *   EV_BITS (subsel=EV_x)  u.bitmap of that type's codes
 *   ABS_INFO (subsel=ABS_x) u.abs
 * Queues: 0 eventq (device -> driver: input events, one per buffer), 1 statusq
 * (driver -> device: LED and sound state, e.g. Caps Lock's light).
 */
#ifndef PASSVM_INPUT_VIRTIO_INPUT_WIRE_H
#define PASSVM_INPUT_VIRTIO_INPUT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_INPUT_DEVICE_ID 18

enum virtio_input_cfg_select {
	VIRTIO_INPUT_CFG_UNSET = 0x00,
	VIRTIO_INPUT_CFG_ID_NAME = 0x01,
	VIRTIO_INPUT_CFG_ID_SERIAL = 0x02,
	VIRTIO_INPUT_CFG_ID_DEVIDS = 0x03,
	VIRTIO_INPUT_CFG_PROP_BITS = 0x10,
	VIRTIO_INPUT_CFG_EV_BITS = 0x11,
	VIRTIO_INPUT_CFG_ABS_INFO = 0x12,
};

#define VIRTIO_INPUT_CFG_DATA 128  /* bytes of the union: 1024 bits */

struct virtio_input_absinfo {
	uint32_t min, max, fuzz, flat, res;
};

struct virtio_input_devids {
	uint16_t bustype, vendor, product, version;
};

struct virtio_input_config {
	uint8_t select;
	uint8_t subsel;
	uint8_t size;
	uint8_t reserved[5];
	union {
		char string[VIRTIO_INPUT_CFG_DATA];
		uint8_t bitmap[VIRTIO_INPUT_CFG_DATA];
		struct virtio_input_absinfo abs;
		struct virtio_input_devids ids;
	} u;
};

struct virtio_input_event {
	uint16_t type;
	uint16_t code;
	uint32_t value;
};

#define VIRTIO_INPUT_EVENTQ  0
#define VIRTIO_INPUT_STATUSQ 1

_Static_assert(sizeof(struct virtio_input_absinfo) == 20, "virtio_input_absinfo");
_Static_assert(sizeof(struct virtio_input_devids) == 8, "virtio_input_devids");
_Static_assert(offsetof(struct virtio_input_config, u) == 8, "virtio_input_config.u");
_Static_assert(sizeof(struct virtio_input_config) == 136, "virtio_input_config");
_Static_assert(sizeof(struct virtio_input_event) == 8, "virtio_input_event");

#endif
