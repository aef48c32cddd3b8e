// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the Scream ring's host side (audio/scream.c): the
 * guest owns the whole region, header and slots, and changes it between
 * the sink's periods. The input is a script: [0..23] the first header,
 * then steps of 4 bytes: (op, a, b, c): write byte c at header offset a%24
 * (a torn or hostile update), fill slot bytes, or pull a period of
 * (a<<8|b)%4096 frames in one of a few sink formats (or ask the format).
 * ASan/UBSan flag any access outside the region, the scratch or the
 * playout buffer, and the output must be finite samples in [-1, 1].
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/scream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REGION (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *region;
	static float *out;
	static struct scream_source src;
	static bool ready;
	if (!ready) {
		region = malloc(FUZZ_REGION);
		out = malloc(4096 * AUDIO_MAX_CHANNELS * sizeof(float));
		if (!region || !out)
			abort();
		ready = true;
	}
	if (size < sizeof(struct scream_header))
		return 0;
	memset(region, 0, FUZZ_REGION);
	memcpy(region, data, sizeof(struct scream_header));
	data += sizeof(struct scream_header);
	size -= sizeof(struct scream_header);
	if (scream_source_init(&src, region, FUZZ_REGION, 1 + (size ? data[0] : 0) % 100, NULL))
		abort();
	struct audio_source as = scream_audio_source(&src);
	static const struct audio_format fmts[] = {
		{ 48000, 2, { AUDIO_POS_FL, AUDIO_POS_FR } },
		{ 44100, 1, { AUDIO_POS_MONO } },
		{ 96000, 6, { AUDIO_POS_FL, AUDIO_POS_FR, AUDIO_POS_FC, AUDIO_POS_LFE,
			      AUDIO_POS_RL, AUDIO_POS_RR } },
		{ 192000, 8, { AUDIO_POS_FL } },
	};
	struct audio_format cur = fmts[0];
	uint32_t fill = 0;
	for (; size >= 4; data += 4, size -= 4) {
		uint8_t op = data[0], a = data[1], b = data[2], c = data[3];
		switch (op % 4) {
		case 0:
			region[a % sizeof(struct scream_header)] = c;
			break;
		case 1: /* the guest writes slot data somewhere */
			for (unsigned i = 0; i < 256; i++)
				region[(fill + i) % FUZZ_REGION] = (uint8_t)(a + i * b);
			fill += 256 * (c + 1);
			break;
		case 2: {
			uint32_t frames = ((uint32_t)a << 8 | b) % 4096;
			uint32_t got = 0;
			enum audio_pull_result r = as.pull(as.opaque, out, frames, &cur, &got);
			if (got > frames || (r != AUDIO_PULL_OK && got))
				abort();
			for (size_t i = 0; i < (size_t)got * cur.channels; i++)
				if (!(out[i] >= -1.0f && out[i] <= 1.0f))
					abort();
			break;
		}
		case 3: {
			struct audio_format f;
			bool active;
			if (as.format(as.opaque, &f, &active)) {
				if (f.channels < 1 || f.channels > AUDIO_MAX_CHANNELS ||
				    f.rate < AUDIO_MIN_RATE || f.rate > AUDIO_MAX_RATE)
					abort();
				if (c & 1)
					cur = f; /* the sink follows, or not */
			} else if (c & 2) {
				cur = fmts[c % 4];
			}
			break;
		}
		}
	}
	scream_source_fini(&src);
	return 0;
}
