// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for virtio-snd's control protocol
 * (audio/virtio_snd_proto.c): a hostile driver's requests of any length
 * and content, with any room for the answer, one after another on the same
 * stream table. Each step: [len lo][len hi][room lo][room hi] then len
 * request bytes. ASan/UBSan flag any access outside the request or the
 * answer; the answer may never be longer than its room, and a stream the
 * protocol accepted must have parameters the device can use (frame size,
 * rate, channels) - and its samples decode.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/virtio_snd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[VSND_CTL_MAX + 64];
	static float out[64 * AUDIO_MAX_CHANNELS];
	struct vsnd_stream streams[VSND_STREAMS];
	memset(streams, 0, sizeof(streams));
	while (size >= 4) {
		size_t len = (size_t)(data[0] | data[1] << 8), cap = (size_t)(data[2] | data[3] << 8);
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		if (cap > VSND_CTL_MAX)
			cap = VSND_CTL_MAX;
		/* The request in a buffer of its own size, so reads past it are caught. */
		uint8_t *req = malloc(len ? len : 1);
		if (!req)
			abort();
		memcpy(req, data, len);
		unsigned id;
		enum vsnd_change change;
		size_t n = vsnd_control(streams, req, len, resp, cap, &id, &change);
		free(req);
		data += len;
		size -= len;
		if (n > cap || id >= VSND_STREAMS)
			abort();
		const struct vsnd_stream *s = &streams[0];
		if (s->state != VSND_RELEASED) {
			const struct vsnd_params *p = &s->params;
			if (!p->frame_bytes || p->frame_bytes != vsnd_format_bytes(p->format) * p->channels ||
			    !p->rate_hz || p->channels < 1 || p->channels > AUDIO_MAX_CHANNELS ||
			    p->buffer_bytes > VSND_MAX_BUFFER_BYTES || p->buffer_bytes % p->frame_bytes)
				abort();
			uint8_t raw[64 * AUDIO_MAX_CHANNELS * 4];
			memset(raw, 0x5a, sizeof(raw));
			vsnd_to_float(p, raw, 64, out);
			for (unsigned i = 0; i < 64 * p->channels; i++)
				if (!(out[i] >= -1.0f && out[i] <= 1.0f))
					abort();
		}
	}
	return 0;
}
