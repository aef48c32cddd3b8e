// SPDX-License-Identifier: GPL-2.0-only
/* Audio formats (audio.h). */
#include <stdio.h>
#include <string.h>

#include "audio/audio.h"

bool audio_format_equal(const struct audio_format *a, const struct audio_format *b)
{
	return a->rate == b->rate && a->channels == b->channels &&
	       !memcmp(a->position, b->position, MIN(a->channels, (uint32_t)AUDIO_MAX_CHANNELS));
}

void audio_fifo_setup(struct audio_fifo *f, float *buf, uint32_t cap, unsigned channels)
{
	*f = (struct audio_fifo){ .buf = buf, .cap = cap, .channels = channels };
}

/* Both copy in up to two pieces: the ring may wrap. */
void audio_fifo_push(struct audio_fifo *f, const float *in, uint32_t frames)
{
	frames = MIN(frames, audio_fifo_room(f));
	if (!frames)
		return;
	size_t ch = f->channels;
	uint32_t at = (f->head + f->len) % f->cap, first = MIN(frames, f->cap - at);
	memcpy(f->buf + at * ch, in, first * ch * sizeof(float));
	memcpy(f->buf, in + first * ch, (frames - first) * ch * sizeof(float));
	f->len += frames;
}

void audio_fifo_pop(struct audio_fifo *f, float *out, uint32_t frames)
{
	frames = MIN(frames, f->len);
	if (!frames)
		return;
	size_t ch = f->channels;
	uint32_t first = MIN(frames, f->cap - f->head);
	memcpy(out, f->buf + f->head * ch, first * ch * sizeof(float));
	memcpy(out + first * ch, f->buf, (frames - first) * ch * sizeof(float));
	audio_fifo_drop(f, frames);
}

void audio_fifo_drop(struct audio_fifo *f, uint32_t frames)
{
	frames = MIN(frames, f->len);
	if (!frames)
		return;
	f->head = (f->head + frames) % f->cap;
	f->len -= frames;
}

static const char *const audio_position_names[] = {
	[AUDIO_POS_UNKNOWN] = "?", [AUDIO_POS_MONO] = "MONO", [AUDIO_POS_FL] = "FL",
	[AUDIO_POS_FR] = "FR", [AUDIO_POS_FC] = "FC", [AUDIO_POS_LFE] = "LFE",
	[AUDIO_POS_RL] = "RL", [AUDIO_POS_RR] = "RR", [AUDIO_POS_FLC] = "FLC",
	[AUDIO_POS_FRC] = "FRC", [AUDIO_POS_RC] = "RC", [AUDIO_POS_SL] = "SL",
	[AUDIO_POS_SR] = "SR",
};

void audio_format_describe(const struct audio_format *f, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u Hz, %u ch (", f->rate, f->channels);
	for (uint32_t i = 0; i < f->channels && i < AUDIO_MAX_CHANNELS && n > 0 && (size_t)n < len;
	     i++) {
		uint8_t p = f->position[i];
		n += snprintf(buf + n, len - (size_t)n, "%s%s", i ? " " : "",
			      p < ARRAY_SIZE(audio_position_names) ? audio_position_names[p] : "?");
	}
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ")");
}

struct audio_sink *audio_sink_start_for(const struct audio_sink_ops *ops, const char *vm_name,
					const char *kind, const char *target, unsigned latency_ms,
					struct audio_source source, struct error *err)
{
	char node[96], desc[128];
	if (!vm_name)
		vm_name = "guest";
	snprintf(node, sizeof(node), "passvm.%s", vm_name);
	snprintf(desc, sizeof(desc), "passvm %s (%s)", vm_name, kind);
	struct audio_sink_params sp = {
		.node_name = node, .description = desc, .target = target,
		.latency_ms = latency_ms, .source = source,
	};
	return ops->start(&sp, err);
}
