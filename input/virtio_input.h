/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A virtio-input device (virtio 1.2, 5.8; wire format in virtio_input_wire.h)
 * for one host input device: the guest's driver reads what the device can
 * do (struct input_caps) from the config space and gets its events on the
 * event queue; LED changes the guest makes (Caps Lock...) come back through
 * the status queue to a callback.
 *
 * The source of caps and events is the caller's (input/evdev.c for a host
 * evdev node); this file knows only the guest side. Events are sent from
 * the event-loop thread; those the driver has no buffer for yet wait in a
 * bounded queue (a driver that posts none loses the oldest reports).
 */
#ifndef PASSVM_INPUT_VIRTIO_INPUT_H
#define PASSVM_INPUT_VIRTIO_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "input/virtio_input_wire.h"

struct vm;
struct virtio_input;

#define INPUT_EV_TYPES 0x20   /* EV_CNT */
#define INPUT_ABS_AXES 0x40   /* ABS_CNT */

/* What a device can do, as virtio-input tells it. */
struct input_caps {
	char name[VIRTIO_INPUT_CFG_DATA];    /* NUL-terminated */
	char serial[VIRTIO_INPUT_CFG_DATA];  /* NUL-terminated, "" when none */
	struct virtio_input_devids ids;
	uint8_t props[VIRTIO_INPUT_CFG_DATA];            /* INPUT_PROP_* bits */
	uint8_t ev_bits[INPUT_EV_TYPES][VIRTIO_INPUT_CFG_DATA];  /* codes per EV_* type */
	struct virtio_input_absinfo abs[INPUT_ABS_AXES]; /* where EV_ABS has the axis */
};

static inline void input_caps_set(uint8_t *bitmap, unsigned bit)
{
	if (bit < 8 * VIRTIO_INPUT_CFG_DATA)
		bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static inline bool input_caps_has(const uint8_t *bitmap, unsigned bit)
{
	return bit < 8 * VIRTIO_INPUT_CFG_DATA && (bitmap[bit / 8] >> (bit % 8) & 1);
}

/* A change of LED/sound state from the guest (statusq), on the event loop. */
typedef void (*virtio_input_status_fn)(void *opaque, const struct virtio_input_event *ev);

/*
 * Create the device on the VM's PCI bus and register it for teardown
 * (vm_device_add); caps are copied. `status` may be NULL.
 */
struct virtio_input *virtio_input_create(struct vm *vm, const char *name,
					 const struct input_caps *caps,
					 virtio_input_status_fn status, void *opaque,
					 struct error *err);

/* Queue one event for the guest and deliver what its buffers take (event
 * loop). A report ends with EV_SYN/SYN_REPORT, as on the host. */
void virtio_input_send(struct virtio_input *vi, uint16_t type, uint16_t code, int32_t value);

/* Events dropped because the guest posted no buffers (for the log and tests). */
uint64_t virtio_input_dropped(const struct virtio_input *vi);

/*
 * The config answer to (select, subsel) for caps, in out (select/subsel set,
 * size 0 when there is nothing): every byte the guest can read comes from
 * here. Exposed for the tests and the fuzz target.
 */
void virtio_input_config_answer(const struct input_caps *caps, uint8_t select, uint8_t subsel,
				struct virtio_input_config *out);

/*
 * Parse a status queue buffer (driver -> device bytes, len of them): each
 * whole 8-byte event goes to fn; a trailing partial one is ignored. Returns
 * the number of events. Exposed for the tests and the fuzz target.
 */
unsigned virtio_input_parse_status(const uint8_t *buf, size_t len, virtio_input_status_fn fn,
				   void *opaque);

#endif
