// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for virtio-input's guest-facing parsers
 * (input/virtio_input_proto.c). The input is a hostile driver and a device
 * at once: [0] a prefix length, then that prefix, repeated to fill the
 * device's caps (name and serial without a NUL, bitmaps, absinfo), then a
 * count and a script of (select, subsel)
 * config writes, each answer read in full as a driver would, followed by
 * status queue bytes of any length. ASan/UBSan flag any read or write
 * outside the config structure or the status buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input/virtio_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void status_sink(void *opaque, const struct virtio_input_event *ev)
{
	unsigned *sum = opaque;
	*sum += ev->type + ev->code + ev->value;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct input_caps caps;
	if (!size)
		return 0;
	/* Caps: a prefix of data[0] bytes, repeated over the whole struct (the
	 * strings then lack their NUL: the parser must cope). */
	size_t plen = data[0];
	data++;
	size--;
	if (plen > size)
		plen = size;
	uint8_t *cb = (uint8_t *)&caps;
	for (size_t i = 0; i < sizeof(caps); i++)
		cb[i] = plen ? data[i % plen] : 0;
	data += plen;
	size -= plen;
	if (!size)
		return 0;
	unsigned writes = data[0] % 64;
	data++;
	size--;
	volatile uint8_t sink = 0;
	for (unsigned i = 0; i < writes && size >= 2; i++, data += 2, size -= 2) {
		struct virtio_input_config out;
		virtio_input_config_answer(&caps, data[0], data[1], &out);
		if (out.size > sizeof(out.u))
			abort(); /* the driver would read past the union */
		const uint8_t *bytes = (const uint8_t *)&out;
		for (size_t k = 0; k < sizeof(out); k++)
			sink ^= bytes[k];
	}
	uint8_t *st = malloc(size ? size : 1); /* exactly sized: ASan sees overreads */
	if (!st)
		return 0;
	memcpy(st, data, size);
	unsigned sum = 0;
	unsigned n = virtio_input_parse_status(st, size, status_sink, &sum);
	if (n != size / sizeof(struct virtio_input_event))
		abort();
	free(st);
	(void)sink;
	return 0;
}
