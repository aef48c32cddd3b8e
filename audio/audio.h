/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest audio to the host: a source (what the guest plays: the Scream ring
 * today, scream.h) and a sink (where it goes: PipeWire, pipewire.c) meet
 * here, and nowhere else.
 *
 * The sink owns the timing: on its own thread, once per period, it asks the
 * source for `frames` interleaved float frames in the format it was set up
 * with. The source answers with what it has (the sink plays silence for
 * the rest), or says its format changed or that the guest stopped playing;
 * the sink then reads source->format() and reconfigures, or goes idle and
 * polls source->format() until the guest plays again. A source may name its
 * format before it plays (virtio-snd at PREPARE): the sink then connects
 * paused, so that starting is quick. Both run only on the
 * sink's thread, so the source needs no locking.
 */
#ifndef PASSVM_AUDIO_H
#define PASSVM_AUDIO_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

#define AUDIO_MAX_CHANNELS 8
#define AUDIO_MIN_RATE 8000
#define AUDIO_MAX_RATE 192000

/* Speaker positions (mapped to PipeWire's in pipewire.c). */
enum audio_position {
	AUDIO_POS_UNKNOWN = 0, AUDIO_POS_MONO, AUDIO_POS_FL, AUDIO_POS_FR, AUDIO_POS_FC,
	AUDIO_POS_LFE, AUDIO_POS_RL, AUDIO_POS_RR, AUDIO_POS_FLC, AUDIO_POS_FRC, AUDIO_POS_RC,
	AUDIO_POS_SL, AUDIO_POS_SR,
};

/* Interleaved 32-bit float at `rate`, `channels` in `position` order. */
struct audio_format {
	uint32_t rate;
	uint32_t channels;
	uint8_t position[AUDIO_MAX_CHANNELS];
};

bool audio_format_equal(const struct audio_format *a, const struct audio_format *b);
/* "48000 Hz, 2 ch (FL FR)" */
void audio_format_describe(const struct audio_format *f, char *buf, size_t len);

/* A ring of interleaved float frames (audio.c), the sources' playout
 * buffer. Not locked: its owner's lock guards it. */
struct audio_fifo {
	float *buf;          /* cap * channels samples, the owner's */
	uint32_t cap;        /* frames */
	uint32_t head, len;  /* frames */
	unsigned channels;
};

/* Empty it, for frames of `channels` and at most `cap` of them. */
void audio_fifo_setup(struct audio_fifo *f, float *buf, uint32_t cap, unsigned channels);
static inline uint32_t audio_fifo_room(const struct audio_fifo *f)
{
	return f->cap - f->len;
}
/* Append frames (at most the room), take frames (at most len), drop the
 * oldest (as many as there are). */
void audio_fifo_push(struct audio_fifo *f, const float *in, uint32_t frames);
void audio_fifo_pop(struct audio_fifo *f, float *out, uint32_t frames);
void audio_fifo_drop(struct audio_fifo *f, uint32_t frames);

enum audio_pull_result {
	AUDIO_PULL_OK,        /* *got frames written (the rest: silence) */
	AUDIO_PULL_REFORMAT,  /* the source's format is no longer the sink's */
	AUDIO_PULL_IDLE,      /* the guest plays nothing: the sink may pause */
};

struct audio_source {
	/* Fill out[0 .. frames*fmt->channels). */
	enum audio_pull_result (*pull)(void *opaque, float *out, uint32_t frames,
				       const struct audio_format *fmt, uint32_t *got);
	/* The guest's current format; false: none (the sink disconnects or
	 * pauses). *active: it plays now (else the sink stays connected in this
	 * format but paused, ready for a quick start). */
	bool (*format)(void *opaque, struct audio_format *fmt, bool *active);
	void *opaque;
};

struct audio_sink_params {
	const char *node_name;    /* e.g. "passvm.win11" */
	const char *description;  /* shown by the desktop's mixer */
	const char *target;       /* sink node to play into; NULL: the default */
	unsigned latency_ms;      /* the period the sink asks for */
	struct audio_source source;
};

struct audio_sink;

/* A sink back end (Looking Glass style: one small ops struct each). */
struct audio_sink_ops {
	const char *name;
	/* Connect and start asking the source; fails with err naming the fix. */
	struct audio_sink *(*start)(const struct audio_sink_params *p, struct error *err);
	/* Stop asking (joins the sink's thread), disconnect, free. */
	void (*stop)(struct audio_sink *s);
};

extern const struct audio_sink_ops audio_sink_pipewire;

/* Start `ops` for a VM's device: node "passvm.VM", described "passvm VM
 * (KIND)", the profile's target and latency. NULL with err on failure. */
struct audio_sink *audio_sink_start_for(const struct audio_sink_ops *ops, const char *vm_name,
					const char *kind, const char *target, unsigned latency_ms,
					struct audio_source source, struct error *err);

/* For `passvm check`: PipeWire's version and its output (Audio/Sink) nodes. */
#define AUDIO_PROBE_MAX_SINKS 16
struct audio_probe {
	char version[32];
	unsigned nr_sinks;                          /* may exceed the names kept */
	char sinks[AUDIO_PROBE_MAX_SINKS][96];
	bool target_found;
};
/* Connect, list the sinks (target_found: one is named `target`), disconnect. */
int audio_pipewire_probe(const char *target, struct audio_probe *out, struct error *err);

#endif
